"""Rules for scipy.optimize (being written)."""
