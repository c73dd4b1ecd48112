"""Rules for NumPy products (being written)."""
