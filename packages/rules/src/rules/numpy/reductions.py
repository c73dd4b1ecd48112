"""Rules for reductions (being written)."""
