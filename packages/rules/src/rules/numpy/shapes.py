"""Rules for NumPy shapes (being written)."""
