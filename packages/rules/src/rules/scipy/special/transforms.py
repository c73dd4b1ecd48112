"""Rules for scipy.special: transforms (being written)."""
