"""Rules for math (being written)."""
