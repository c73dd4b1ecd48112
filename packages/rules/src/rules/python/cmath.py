"""Rules for cmath (being written)."""
