"""Rules for scipy.special: hypergeometric (being written)."""
