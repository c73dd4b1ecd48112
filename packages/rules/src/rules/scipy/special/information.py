"""Rules for scipy.special: information (being written)."""
