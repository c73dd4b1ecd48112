"""Rules for scipy.special (being written)."""
