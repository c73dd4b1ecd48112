"""Rules for operators (being written)."""
