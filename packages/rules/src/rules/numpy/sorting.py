"""Rules for NumPy sorting (being written)."""
