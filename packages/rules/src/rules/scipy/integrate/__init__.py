"""Rules for scipy.integrate (being written)."""
