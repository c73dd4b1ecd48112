"""Rules for scipy.special: incomplete (being written)."""
