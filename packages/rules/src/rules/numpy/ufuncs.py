"""Rules for ufuncs (being written)."""
