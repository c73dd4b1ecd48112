"""Rules for SciPy, registered lazily: importing `rules` imports no SciPy subpackage.

Each subpackage's rules are announced with `lazy_rules` and imported at the first rule lookup
after the user's code imported that subpackage, so a user who never imports
`scipy.integrate` never pays for it.
"""

from rulescore import lazy_rules

SUBPACKAGES = ("integrate", "linalg", "optimize", "signal", "sparse", "special", "stats")

for _name in SUBPACKAGES:
    lazy_rules(f"scipy.{_name}", f"rules.scipy.{_name}")

__all__ = ["SUBPACKAGES"]
