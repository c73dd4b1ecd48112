"""The coverage report: per namespace, which callables have rules, which are declared
non-differentiable, and which are missing.

    python -m rules.coverage              # a summary table
    python -m rules.coverage --missing    # ... and the names still missing
    python -m rules.coverage --markdown   # the page docs/coverage.md (a test keeps it current)

A callable counts as covered when both an rrule and an frule apply to it (registered rules
or a `non_differentiable` declaration); classes and submodules are not callables here.
Aliases (`np.abs` and `np.absolute`) are the same object and share their rules.
"""

from __future__ import annotations

import argparse
import importlib
import types
from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

import rules  # noqa: F401  (registers every rule)
from rulescore import frule, rrule

__all__ = ["NAMESPACES", "Coverage", "coverage", "main", "render_markdown"]

# The namespaces the report walks, with a description for the page.
NAMESPACES: dict[str, str] = {
    "numpy": "NumPy top level",
    "numpy.linalg": "NumPy linear algebra",
    "numpy.fft": "NumPy discrete Fourier transforms",
    "numpy.ndarray": "ndarray methods",
    "scipy.special": "SciPy special functions",
    "scipy.linalg": "SciPy linear algebra",
    "scipy.signal": "SciPy signal processing",
    "scipy.integrate": "SciPy integration and ODEs",
    "scipy.optimize": "SciPy optimization and root finding",
    "scipy.sparse.linalg": "SciPy sparse linear algebra",
    "scipy.stats.distributions": "SciPy distributions: `<distribution>.<method>` for every "
    "distribution object in scipy.stats and its density, mass and distribution functions",
}

# The methods of a distribution object that the report lists.
DISTRIBUTION_METHODS = ("logpdf", "pdf", "logpmf", "pmf", "logcdf", "cdf", "logsf", "sf")


@dataclass
class Coverage:
    """The callables of one namespace, sorted into what has rules and what does not."""

    namespace: str
    differentiable: list[str] = field(default_factory=list)
    non_differentiable: list[str] = field(default_factory=list)
    partial: list[str] = field(default_factory=list)  # only one of rrule/frule
    missing: list[str] = field(default_factory=list)

    @property
    def total(self) -> int:
        return sum(
            map(len, (self.differentiable, self.non_differentiable, self.partial, self.missing))
        )

    @property
    def covered(self) -> int:
        return len(self.differentiable) + len(self.non_differentiable)


def coverage(namespace: str) -> Coverage:
    """Sort the public callables of `namespace` by the rules registered for them.

    >>> report = coverage("numpy.fft")
    >>> report.total == len(report.differentiable + report.non_differentiable
    ...                     + report.partial + report.missing)
    True
    """
    report = Coverage(namespace)
    for name, function in _callables(namespace):
        kinds = {info.kind for info in rrule.rules_for(function)} | {
            info.kind for info in frule.rules_for(function)
        }
        has_both = rrule.has_rule(function) and frule.has_rule(function)
        if has_both and kinds == {"non_differentiable"}:
            report.non_differentiable.append(name)
        elif has_both:
            report.differentiable.append(name)
        elif rrule.has_rule(function) or frule.has_rule(function):
            report.partial.append(name)
        else:
            report.missing.append(name)
    return report


def _callables(namespace: str) -> Iterator[tuple[str, Any]]:
    if namespace == "scipy.stats.distributions":
        yield from _distribution_methods()
        return
    if namespace == "numpy.ndarray":
        import numpy

        owner: Any = numpy.ndarray
    else:
        owner = importlib.import_module(namespace)
    for name in sorted(dir(owner)):
        if name.startswith("_"):
            continue
        value = getattr(owner, name, None)
        if isinstance(value, (type, types.ModuleType)) or not callable(value):
            continue
        if type(value).__name__ == "PytestTester":  # `numpy.test()` runs NumPy's own suite
            continue
        yield name, value


def _distribution_methods() -> Iterator[tuple[str, Any]]:
    import scipy.stats

    generic = (scipy.stats.rv_continuous, scipy.stats.rv_discrete)
    multivariate = scipy.stats._multivariate.multi_rv_generic
    for name in sorted(dir(scipy.stats)):
        distribution = getattr(scipy.stats, name)
        if name.startswith("_") or not isinstance(distribution, (*generic, multivariate)):
            continue
        for method in DISTRIBUTION_METHODS:
            if hasattr(distribution, method):
                yield f"{name}.{method}", getattr(distribution, method)


def render_summary(reports: list[Coverage], missing: bool = False) -> str:
    lines = [
        f"{'namespace':<26}{'callables':>10}{'rules':>8}{'non-diff':>10}{'partial':>9}"
        f"{'missing':>9}"
    ]
    for r in reports:
        lines.append(
            f"{r.namespace:<26}{r.total:>10}{len(r.differentiable):>8}"
            f"{len(r.non_differentiable):>10}{len(r.partial):>9}{len(r.missing):>9}"
        )
        if missing and r.missing:
            lines.append("    missing: " + ", ".join(r.missing))
    return "\n".join(lines)


def render_markdown(reports: list[Coverage]) -> str:
    """The docs page: a summary table, then each namespace's lists."""
    parts = [
        "# Rule coverage\n",
        "Generated by `python -m rules.coverage --markdown` from the rule registries; do not "
        "edit by hand. A callable is covered when both an rrule and an frule apply to it: "
        "registered rules, or a `non_differentiable` declaration. Aliases share their "
        "rules.\n",
        "| namespace | callables | with rules | non-differentiable | partial | missing |",
        "| --- | ---: | ---: | ---: | ---: | ---: |",
    ]
    for r in reports:
        parts.append(
            f"| `{r.namespace}` | {r.total} | {len(r.differentiable)} | "
            f"{len(r.non_differentiable)} | {len(r.partial)} | {len(r.missing)} |"
        )
    for r in reports:
        parts.append(f"\n## `{r.namespace}`: {NAMESPACES.get(r.namespace, '')}\n")
        for title, names in (
            ("With rules", r.differentiable),
            ("Non-differentiable", r.non_differentiable),
            ("Only one of rrule/frule", r.partial),
            ("Missing", r.missing),
        ):
            listed = ", ".join(f"`{n}`" for n in names) if names else "(none)"
            parts.append(f"**{title}** ({len(names)}): {listed}\n")
    return "\n".join(parts)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m rules.coverage", description=__doc__)
    parser.add_argument("--missing", action="store_true", help="list the missing names")
    parser.add_argument("--markdown", action="store_true", help="print the docs page")
    args = parser.parse_args(argv)
    reports = [coverage(namespace) for namespace in NAMESPACES]
    print(render_markdown(reports) if args.markdown else render_summary(reports, args.missing))


if __name__ == "__main__":
    main()
