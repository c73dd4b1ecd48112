"""Rules for frozen distributions of `scipy.stats`: freezing, and the methods of the result.

A frozen distribution (`scipy.stats.norm(loc, scale)`, `scipy.stats.gamma(a, scale=2.0)`)
has a structural tangent whose fields are those of the object: `args` (a tuple, one entry
per positional parameter) and `kwds` (a dict, one entry per keyword parameter), as
`Tangent[rv_continuous_frozen](args=(dloc, dscale))`.

Both an frule and an rrule for:

- freezing: calling one of the distributions of `rules.scipy.stats.continuous` and
  `rules.scipy.stats.discrete` (`scipy.stats.norm(1.0, 2.0)`) or its `freeze` method. The
  positional parameters get the cotangents of `args`; keyword parameters are constants, as
  for every rule (write `gamma(a, loc, scale)` to differentiate all three);
- the methods of a frozen distribution, keyed on the functions of its class as engines
  resolve `frozen.logpdf(x)` (`rv_continuous_frozen.logpdf(frozen, x)`): `logpdf`, `pdf`,
  `logpmf`, `pmf`, `logcdf`, `cdf`, `sf`, `logsf`, in `x` and in every parameter the object
  holds, whether in `args` or in `kwds` (they are fields of the object, not keyword
  arguments of the call). They apply the rules of the unfrozen method
  (`scipy.stats.norm.logpdf(x, loc, scale)`), so the conventions are those.

The rules apply to frozen distributions of the instances of `scipy.stats` those modules
cover; another instance of the same class (`norm_gen(a=...)`) gets no rule.

>>> import rules
>>> from scipy import stats
>>> from scipy.stats._distn_infrastructure import rv_continuous_frozen
>>> from rulescore import rrule, unthunk
>>> frozen = stats.norm(0.0, scale=2.0)
>>> y, back = rrule(rv_continuous_frozen.logpdf, frozen, 1.0)
>>> _, dfrozen, dx = back(1.0)
>>> unthunk(dfrozen.args[0]), unthunk(dfrozen.kwds["scale"]), unthunk(dx)
(0.25, -0.375, -0.25)
"""

from __future__ import annotations

from typing import Any

from scipy import stats
from scipy.stats._distn_infrastructure import rv_continuous_frozen, rv_discrete_frozen, rv_frozen

from rules.scipy.stats import continuous, discrete
from rules.scipy.stats._parameters import shape_names
from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Tangent,
    ZeroTangent,
    backing,
    frule,
    rrule,
    unthunk,
)

__all__: list[str] = []

METHODS = {
    "logpdf": rv_continuous_frozen.logpdf,
    "pdf": rv_continuous_frozen.pdf,
    "logpmf": rv_discrete_frozen.logpmf,
    "pmf": rv_discrete_frozen.pmf,
    "logcdf": rv_frozen.logcdf,
    "cdf": rv_frozen.cdf,
    "sf": rv_frozen.sf,
    "logsf": rv_frozen.logsf,
}

CONTINUOUS = tuple(family.dist for family in continuous.FAMILIES)
DISTRIBUTIONS = (*CONTINUOUS, *(entry[0] for entry in discrete.DISTRIBUTIONS))

Source = tuple[str, Any] | None  # ("args", index), ("kwds", name), or None for a default


# ---------------------------------------------------------------------------------------------
# The parameters a frozen distribution holds


def _instance(frozen: Any) -> Any:
    """The instance `scipy.stats.<name>` whose rules serve `frozen`, or None."""
    instance = getattr(stats, frozen.dist.name, None)
    if instance not in DISTRIBUTIONS or type(instance) is not type(frozen.dist):
        return None
    same_support = (instance.a, instance.b) == (frozen.dist.a, frozen.dist.b)
    return instance if same_support else None


def _parameters(instance: Any, frozen: Any) -> tuple[list[Source], list[Any]]:
    """Where each parameter of `instance`'s methods (shapes, `loc`, `scale`) is held in
    `frozen`, and its value, in the order of the methods' positional arguments."""
    defaults = {"loc": 0.0, "scale": 1.0}
    names = shape_names(instance) + (("loc", "scale") if instance in CONTINUOUS else ("loc",))
    sources: list[Source] = []
    values: list[Any] = []
    for i, name in enumerate(names):
        if i < len(frozen.args):
            sources.append(("args", i))
            values.append(frozen.args[i])
        elif name in frozen.kwds:
            sources.append(("kwds", name))
            values.append(frozen.kwds[name])
        else:
            sources.append(None)
            values.append(defaults[name])
    return sources, values


def _frozen_cotangent(frozen: Any, sources: list[Source], cotangents: list[Any]) -> Any:
    args: list[Any] = [ZeroTangent()] * len(frozen.args)
    kwds: dict[str, Any] = {}
    for source, cotangent in zip(sources, cotangents, strict=True):
        if source is not None and source[0] == "args":
            args[source[1]] = cotangent
        elif source is not None:
            kwds[source[1]] = cotangent
    fields: dict[str, Any] = {}
    if args:
        fields["args"] = tuple(args)
    if kwds:
        fields["kwds"] = kwds
    return ProjectTo(frozen)(fields) if fields else ZeroTangent()


def _parameter_tangents(frozen: Any, sources: list[Source], dfrozen: Any) -> list[Any]:
    dfrozen = unthunk(dfrozen)
    if isinstance(dfrozen, AbstractZero):
        return [ZeroTangent()] * len(sources)
    fields = backing(dfrozen) if isinstance(dfrozen, Tangent) else dict(dfrozen)
    dargs = unthunk(fields.get("args", ZeroTangent()))
    dkwds = unthunk(fields.get("kwds", ZeroTangent()))
    tangents: list[Any] = []
    for source in sources:
        if source is None:
            tangents.append(ZeroTangent())
        elif source[0] == "args":
            zero = isinstance(dargs, AbstractZero)
            tangents.append(ZeroTangent() if zero else dargs[source[1]])
        else:
            zero = isinstance(dkwds, AbstractZero)
            tangents.append(ZeroTangent() if zero else dkwds.get(source[1], ZeroTangent()))
    return tangents


# ---------------------------------------------------------------------------------------------
# The methods of a frozen distribution


def _method_rules(name: str, function: Any) -> None:
    @rrule.register(function, rv_frozen)
    def frozen_rrule(frozen: Any, x: Any) -> Any:
        instance = _instance(frozen)
        if instance is None:
            return None
        sources, values = _parameters(instance, frozen)
        result = rrule(getattr(instance, name), x, *values)
        if result is None:
            return None
        y, back = result

        def pullback(dy: Any) -> tuple[Any, Any, Any]:
            _, dx, *dvalues = back(dy)
            return NoTangent(), _frozen_cotangent(frozen, sources, dvalues), dx

        pullback.__name__ = pullback.__qualname__ = f"frozen_{name}_pullback"
        return y, pullback

    @frule.register(function, rv_frozen)
    def frozen_frule(tangents: tuple[Any, ...], frozen: Any, x: Any) -> Any:
        instance = _instance(frozen)
        if instance is None:
            return None
        sources, values = _parameters(instance, frozen)
        _, dfrozen, dx = tangents
        dvalues = _parameter_tangents(frozen, sources, dfrozen)
        return frule((NoTangent(), dx, *dvalues), getattr(instance, name), x, *values)


# ---------------------------------------------------------------------------------------------
# Freezing


def _freezing_rules(freeze: Any) -> None:
    @rrule.register(freeze)
    def freeze_rrule(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        projections = [ProjectTo(a) for a in args]
        frozen = freeze(*args, **kwargs)

        def pullback(dfrozen: Any) -> tuple[Any, ...]:
            sources: list[Source] = [("args", i) for i in range(len(args))]
            dargs = _parameter_tangents(frozen, sources, dfrozen)
            return NoTangent(), *(p(d) for p, d in zip(projections, dargs, strict=True))

        pullback.__name__ = pullback.__qualname__ = "freeze_pullback"
        return frozen, pullback

    @frule.register(freeze)
    def freeze_frule(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        frozen = freeze(*args, **kwargs)
        dargs = tuple(unthunk(t) for t in tangents[1:])
        if all(isinstance(d, AbstractZero) for d in dargs):
            return frozen, ZeroTangent()
        return frozen, ProjectTo(frozen)({"args": dargs})


for _name, _function in METHODS.items():
    _method_rules(_name, _function)
for _dist in DISTRIBUTIONS:
    _freezing_rules(_dist)
    _freezing_rules(_dist.freeze)
