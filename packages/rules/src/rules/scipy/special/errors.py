"""Rules for scipy.special: errors (being written)."""
