"""Rules for NumPy construction (being written)."""
