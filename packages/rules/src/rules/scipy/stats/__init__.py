"""Rules for scipy.stats (being written)."""
