"""Rules for builtins (being written)."""
