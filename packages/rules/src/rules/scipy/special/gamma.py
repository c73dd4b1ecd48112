"""Rules for scipy.special: gamma (being written)."""
