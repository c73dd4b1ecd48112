"""Rules for NumPy linalg (being written)."""
