"""Rules for scipy.sparse (being written)."""
