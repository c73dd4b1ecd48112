"""Rules for scipy.special: logistic (being written)."""
