"""Rules for NumPy's covariances and correlation coefficients: `cov` and `corrcoef`.

Covered, with an rrule and an frule each: `cov` (`m`, `y`, `aweights`; with `rowvar`, `bias`,
`ddof`, `fweights`), `corrcoef` (`x`, `y`), real or complex.

Conventions:

- Only positional arguments are differentiated (the rulescore contract): `np.cov(m,
  aweights=w)` holds `w` constant. Integer options (`ddof`, `fweights`) and the flags
  (`rowvar`, `bias`) get `NoTangent()`.
- `cov`: the cotangent of `m` is `(G + Gᴴ) Xc W / fact` (`Xc` centred, `W` the weights): the
  weighted mean's derivative drops out. `aweights` (when positional) are differentiated,
  `fweights` are integers.
- `corrcoef` ignores NumPy's final clip to [-1, 1] (it only absorbs rounding).

Left out: `histogram` & co (piecewise constant).

>>> import numpy as np
>>> from rulescore import rrule
>>> c, back = rrule(np.cov, np.array([1.0, 2.0, 4.0]))
>>> back(np.array(1.0))[1]  # the centred data: (G + Gᴴ) Xc / fact with G = 1, fact = 2
array([-1.33333333, -0.33333333,  1.66666667])
"""

from __future__ import annotations

from typing import Any

import numpy as np

from rules.numpy._arguments import Call, dense, is_zero, project_to, zero_output
from rulescore import ProjectTo, frule, rrule, unthunk

__all__: list[str] = []


# ---------------------------------------------------------------------------------------------
# cov, corrcoef


class _Covariance:
    """`cov(m, y, rowvar, bias, ddof, fweights, aweights)` as `C = Xc W Xcᴴ / fact`: the
    variables of `m` and `y` stacked one per row (`X`) and centred on their weighted mean
    (`Xc`), the weights `w` (`fweights * aweights`, ones without them) and `fact`."""

    def __init__(
        self, m: Any, y: Any, rowvar: bool, bias: bool, ddof: Any, fweights: Any, aweights: Any
    ):
        self.rowvar = rowvar
        self.blocks, self.transposed = [], []
        for x in [m] if y is None else [m, y]:
            rows = np.array(x, ndmin=2)
            self.transposed.append(not rowvar and rows.shape[0] != 1)
            self.blocks.append(rows.T if self.transposed[-1] else rows)
        stacked = np.concatenate(self.blocks, axis=0)
        n = stacked.shape[1]
        self.f = np.ones(n) if fweights is None else np.asarray(fweights, dtype=float)
        self.a = None if aweights is None else np.asarray(aweights, dtype=float)
        self.w = self.f if self.a is None else self.f * self.a
        self.ddof = (0 if bias else 1) if ddof is None else ddof
        v1 = np.sum(self.w)
        self.centred = stacked - (stacked @ self.w / v1)[:, None]
        if fweights is None and aweights is None:
            self.fact = n - self.ddof
        elif self.ddof == 0:
            self.fact = v1
        elif self.a is None:
            self.fact = v1 - self.ddof
        else:
            self.fact = v1 - self.ddof * np.sum(self.w * self.a) / v1
        self.cov = (self.centred * self.w) @ np.conj(self.centred).T / self.fact
        self.v1 = v1

    def _fact_derivative(self) -> Any:
        """The derivative of `fact` in each of the `aweights`."""
        if self.ddof == 0:
            return self.f
        sum_wa = np.sum(self.w * self.a)
        return self.f - self.ddof * (2 * self.f * self.a * self.v1 - sum_wa * self.f) / self.v1**2

    def split(self, dstacked: Any, inputs: list[Any]) -> list[Any]:
        """The cotangent of `X` cut back into those of `m` and `y`."""
        out, start = [], 0
        for block, transposed, x in zip(self.blocks, self.transposed, inputs, strict=False):
            part = dstacked[start : start + block.shape[0]]
            start += block.shape[0]
            out.append(np.reshape(part.T if transposed else part, np.shape(x)))
        return out

    def stack(self, tangents: list[Any], inputs: list[Any]) -> Any:
        """The tangent of `X` from those of `m` and `y`."""
        rows = []
        for t, x, transposed in zip(tangents, inputs, self.transposed, strict=False):
            t = np.array(dense(t, x), ndmin=2)
            rows.append(t.T if transposed else t)
        return np.concatenate(rows, axis=0)

    def pullback(self, seed: Any) -> tuple[Any, Any]:
        """Cotangents of `X` and of `aweights` from that of `C` (of any shape with `C.size`
        entries: NumPy squeezes `C`)."""
        seed = np.reshape(seed, self.cov.shape)
        # dC = (dX W Xcᴴ + Xc W dXᴴ) / fact: the mean's derivative cancels (Xc w = 0), and
        # the seed G pulls back to (G + Gᴴ) Xc W / fact
        dstacked = (seed + np.conj(seed).T) @ self.centred * self.w / self.fact
        if self.a is None:
            return dstacked, None
        # dC/dw_j = xc_j xc_jᴴ / fact - C dfact/dw_j / fact, and Re <G, xc xcᴴ> = Re xcᴴ G xc
        outer = np.real(np.sum(np.conj(self.centred) * (seed @ self.centred), axis=0))
        dfact = np.real(np.sum(np.conj(seed) * self.cov)) / self.fact
        return dstacked, (self.f * outer / self.fact - dfact * self._fact_derivative())

    def pushforward(self, dstacked: Any, daweights: Any) -> Any:
        dcov = (dstacked * self.w) @ np.conj(self.centred).T
        dcov = (dcov + np.conj(dcov).T) / self.fact
        if self.a is not None and not is_zero(daweights):
            dw = self.f * daweights
            dcov = (
                dcov
                + (
                    (self.centred * dw) @ np.conj(self.centred).T
                    - self.cov * np.sum(self._fact_derivative() * daweights)
                )
                / self.fact
            )
        return dcov


def _covariance_of(call: Call, first: str) -> _Covariance:
    return _Covariance(
        call.get(first),
        call.get("y"),
        call.get("rowvar", True),
        call.get("bias", False),
        call.get("ddof"),
        call.get("fweights"),
        call.get("aweights"),
    )


@rrule.register(np.cov)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(np.cov, args, kwargs)
    m, y, aweights = call.get("m"), call.get("y"), call.get("aweights")
    project_m, project_y, project_aweights = project_to(m), project_to(y), project_to(aweights)
    c = np.cov(*args, **kwargs)
    covariance = _covariance_of(call, "m")

    def cov_pullback(dc: Any) -> tuple[Any, ...]:
        dc = unthunk(dc)
        if is_zero(dc):
            return call.cotangents(m=project_m(dc), y=project_y(dc), aweights=project_aweights(dc))
        dstacked, daweights = covariance.pullback(dc)
        parts = [*covariance.split(dstacked, [m, y]), None]
        return call.cotangents(
            m=project_m(parts[0]),
            y=project_y(parts[1]),
            aweights=project_aweights(daweights),
        )

    return c, cov_pullback


@frule.register(np.cov)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(np.cov, args, kwargs)
    c = np.cov(*args, **kwargs)
    names = ("m", "y", "aweights")
    d = {name: call.tangent(tangents, name) for name in names}
    if all(is_zero(d[name]) for name in names):
        return zero_output(c)
    covariance = _covariance_of(call, "m")
    dstacked = covariance.stack([d["m"], d["y"]], [call.get("m"), call.get("y")])
    return c, ProjectTo(c)(covariance.pushforward(dstacked, d["aweights"]))


def _correlation(covariance: _Covariance) -> tuple[Any, Any]:
    """The correlations `R = C / (s sᵀ)` and the standard deviations `s`."""
    s = np.sqrt(np.real(np.diag(covariance.cov)))
    return covariance.cov / np.outer(s, s), s


@rrule.register(np.corrcoef)
def _(*args: Any, **kwargs: Any) -> Any:
    call = Call(np.corrcoef, args, kwargs)
    x, y = call.get("x"), call.get("y")
    project_x, project_y = project_to(x), project_to(y)
    r = np.corrcoef(*args, **kwargs)
    covariance = _covariance_of(call, "x")
    corr, s = _correlation(covariance)

    def corrcoef_pullback(dr: Any) -> tuple[Any, ...]:
        dr = unthunk(dr)
        if is_zero(dr):
            return call.cotangents(x=project_x(dr), y=project_y(dr))
        seed = np.reshape(dr, corr.shape)
        # R_ij = C_ij / (s_i s_j) with s_i = sqrt(Re C_ii)
        weighted = np.real(np.conj(seed) * corr)
        ds = -(np.sum(weighted, axis=0) + np.sum(weighted, axis=1)) / s
        dcov = seed / np.outer(s, s) + np.diag(ds / (2 * s))
        parts = [*covariance.split(covariance.pullback(dcov)[0], [x, y]), None]
        return call.cotangents(x=project_x(parts[0]), y=project_y(parts[1]))

    return r, corrcoef_pullback


@frule.register(np.corrcoef)
def _(tangents: Any, *args: Any, **kwargs: Any) -> Any:
    call = Call(np.corrcoef, args, kwargs)
    r = np.corrcoef(*args, **kwargs)
    dx, dy = call.tangent(tangents, "x"), call.tangent(tangents, "y")
    if is_zero(dx) and is_zero(dy):
        return zero_output(r)
    covariance = _covariance_of(call, "x")
    corr, s = _correlation(covariance)
    dcov = covariance.pushforward(covariance.stack([dx, dy], [call.get("x"), call.get("y")]), None)
    relative = np.real(np.diag(dcov)) / (2 * s**2)  # ds / s
    dcorr = dcov / np.outer(s, s) - corr * (relative[:, None] + relative[None, :])
    return r, ProjectTo(r)(dcorr)
