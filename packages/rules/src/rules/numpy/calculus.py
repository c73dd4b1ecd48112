"""Rules for NumPy calculus (being written)."""
