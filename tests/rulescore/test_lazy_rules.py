"""lazy_rules: a rule module is imported when the module it covers is, not before."""

from __future__ import annotations

import subprocess
import sys
import textwrap


def test_loader_runs_at_the_first_lookup_after_the_module_is_imported(tmp_path):
    (tmp_path / "slowlib.py").write_text("def double(x):\n    return 2 * x\n")
    (tmp_path / "slowlib_rules.py").write_text(
        textwrap.dedent("""
        import slowlib
        from rulescore import NoTangent, rrule

        @rrule.register(slowlib.double)
        def _(x):
            def double_pullback(dy):
                return NoTangent(), 2 * dy
            return slowlib.double(x), double_pullback
    """)
    )
    script = textwrap.dedent("""
        import sys
        from rulescore import lazy_rules, rrule
        lazy_rules("slowlib", "slowlib_rules")
        assert "slowlib" not in sys.modules and "slowlib_rules" not in sys.modules
        import slowlib
        assert "slowlib_rules" not in sys.modules
        y, back = rrule(slowlib.double, 3.0)
        assert (y, back(1.0)[1]) == (6.0, 2.0)
        print("ok")
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.stdout.strip() == "ok", result.stderr


def test_an_already_imported_module_loads_its_rules_at_once(tmp_path):
    (tmp_path / "fastlib_rules.py").write_text("LOADED = True\n")
    script = textwrap.dedent("""
        import sys, json
        from rulescore import lazy_rules
        lazy_rules("json", "fastlib_rules")
        print("fastlib_rules" in sys.modules)
    """)
    result = subprocess.run(
        [sys.executable, "-c", script], cwd=tmp_path, capture_output=True, text=True
    )
    assert result.stdout.strip() == "True", result.stderr
