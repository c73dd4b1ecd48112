"""Rules for scipy.special: bessel (being written)."""
