"""Rules for scipy.linalg (being written)."""
