"""rulescore.testing: the rule test harness (needs NumPy)."""
