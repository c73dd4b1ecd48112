"""Rules for scipy.signal (being written)."""
