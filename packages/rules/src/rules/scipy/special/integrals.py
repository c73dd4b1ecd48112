"""Rules for scipy.special: integrals (being written)."""
