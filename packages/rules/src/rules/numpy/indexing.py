"""Rules for NumPy indexing (being written)."""
