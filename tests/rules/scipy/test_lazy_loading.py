"""Importing the rules imports no SciPy subpackage; using one loads its rules."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_importing_rules_imports_no_scipy_subpackage():
    script = textwrap.dedent("""
        import sys
        import rules
        loaded = sorted(m for m in sys.modules if m.startswith("scipy."))
        print(",".join(m for m in loaded if m.split(".")[1] in rules.scipy.SUBPACKAGES))
    """)
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == ""
