"""Rules for multivariate distributions of `scipy.stats`: `multivariate_normal` and `dirichlet`.

Both an frule and an rrule for `logpdf` and `pdf` of each (the methods of the instances
`scipy.stats.multivariate_normal` and `scipy.stats.dirichlet`), in their positional
arguments (keyword arguments are constants, as for every rule: write
`multivariate_normal.logpdf(x, mean, cov)` to differentiate `mean` and `cov`):

- `multivariate_normal.logpdf(x, mean=None, cov=1, allow_singular=False)`: with
  `r = cov⁻¹ (x - mean)` for each point, `∂x = -r`, `∂mean = r` and
  `∂cov = (r rᵀ - cov⁻¹) / 2`. `cov` is read as symmetric (SciPy reads one triangle), so its
  cotangent is the symmetrized one (the convention of `eigh` and `cholesky`); a scalar `cov`
  (`cov * I`) gets the trace of that, a 1-d `cov` (the diagonal) its diagonal. Points are
  along the last axis of `x`, as SciPy reads them (for a 1-d distribution a 1-d `x` holds
  one point per entry). A singular `cov` (with `allow_singular=True`): the derivatives are
  `not_implemented` (the density lives on a subspace that moves with `cov`); so is a
  `scipy.stats.Covariance` object's.
- `dirichlet.logpdf(x, alpha)`: `∂alpha_i = ψ(Σ alpha) - ψ(alpha_i) + log x_i` and
  `∂x_i = (alpha_i - 1) / x_i`, for `x` of shape `(K,)` or `(K, n)`, on the simplex. The
  function is defined only there, so the cotangent of `x` is the gradient of the formula
  (its component along `(1, ..., 1)`, which no tangent of the simplex sees, is kept). With
  `K - 1` entries, the last one is `1 - Σ x_i` and `∂x_i = (alpha_i - 1)/x_i - (alpha_K -
  1)/x_K`.

`pdf` multiplies each derivative of `logpdf` by the density.

>>> import numpy as np
>>> import rules
>>> from scipy import stats
>>> from rulescore import rrule, unthunk
>>> y, back = rrule(stats.multivariate_normal.logpdf, np.array([1.0, 0.0]), np.zeros(2), np.eye(2))
>>> [unthunk(c) for c in back(1.0)[1:]]
[array([-1., -0.]), array([1., 0.]), array([[ 0. ,  0. ],
       [ 0. , -0.5]])]
"""

from __future__ import annotations

from typing import Any

import numpy as np
from scipy import special, stats

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    Thunk,
    ZeroTangent,
    frule,
    not_implemented,
    rrule,
    unthunk,
)

__all__: list[str] = []

_SINGULAR = 1e6 * np.finfo(np.float64).eps  # SciPy's `_PSD` cut-off for float64


# ---------------------------------------------------------------------------------------------
# multivariate_normal


class _Normal:
    """The arguments of a `multivariate_normal` call as SciPy reads them, and `r`."""

    def __init__(self, args: tuple[Any, ...], kwargs: dict[str, Any]) -> None:
        names = ("x", "mean", "cov", "allow_singular")
        given = dict(zip(names, args, strict=False))
        x = given["x"]
        mean = given.get("mean", kwargs.get("mean"))
        cov = given.get("cov", kwargs.get("cov", 1))
        self.covariance_object = isinstance(cov, stats.Covariance)
        cov = np.asarray(cov.covariance if self.covariance_object else cov, dtype=np.float64)
        if mean is None:
            dim = 1 if cov.ndim < 2 else cov.shape[0]
            mean = np.zeros(dim)
        mean = np.asarray(mean, dtype=np.float64)
        dim = mean.size
        mean = mean.reshape(dim)
        if cov.ndim == 0 or dim == 1:
            matrix = cov.reshape(()) * np.eye(dim) if cov.size == 1 else np.diag(cov)
        elif cov.ndim == 1:
            matrix = np.diag(cov)
        else:
            matrix = cov
        x = np.asarray(x, dtype=np.float64)
        points = x[np.newaxis] if x.ndim == 0 else x
        if points.ndim == 1:
            points = points[:, np.newaxis] if dim == 1 else points[np.newaxis, :]
        self.x_shape, self.cov_ndim, self.cov_size = x.shape, cov.ndim, cov.size
        eigenvalues = np.linalg.eigvalsh(matrix)
        self.singular = bool(eigenvalues.min() <= _SINGULAR * np.abs(eigenvalues).max())
        self.precision = (np.linalg.pinv if self.singular else np.linalg.inv)(matrix)
        # r = cov⁻¹ (x - mean), one row per point (leading axes of `points`).
        self.r = (points - mean) @ self.precision  # the precision matrix is symmetric

    def cov_cotangent(self, w: Any) -> Any:
        """`Σ_points w (r rᵀ - cov⁻¹) / 2` for the points' weights `w`, in `cov`'s form."""
        r = self.r.reshape(-1, self.r.shape[-1])
        w = np.broadcast_to(w, self.r.shape[:-1]).reshape(-1)
        full = ((r * w[:, None]).T @ r - np.sum(w) * self.precision) / 2
        if self.cov_ndim == 2:
            return (full + full.T) / 2
        if self.cov_size == 1:
            return np.trace(full).reshape(()) if self.cov_ndim == 0 else np.trace(full)[None]
        return np.diag(full).copy()

    def cov_matrix_tangent(self, dcov: Any) -> Any:
        """A tangent of `cov` (in its form) as a symmetric matrix tangent."""
        dcov = np.asarray(dcov, dtype=np.float64)
        dim = self.r.shape[-1]
        if self.cov_ndim == 2:
            return (dcov + dcov.T) / 2
        if self.cov_size == 1:
            return dcov.reshape(()) * np.eye(dim)
        return np.diag(dcov)


def _mvn_rules(method: Any, density: bool) -> None:
    name = method.__name__

    @rrule.register(method)
    def _(*args: Any, **kwargs: Any) -> tuple[Any, Any]:
        projections = [ProjectTo(a) for a in args]
        y = method(*args, **kwargs)
        normal = _Normal(args, kwargs)
        factor = np.asarray(y, dtype=np.float64) if density else 1.0

        def pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero):
                return NoTangent(), *(ZeroTangent() for _ in args)
            w = np.asarray(dy, dtype=np.float64) * factor
            w = np.reshape(w, normal.r.shape[:-1])  # undo SciPy's squeeze
            if normal.singular or normal.covariance_object:
                unknown = not_implemented(_mvn_unsupported(normal))
                return NoTangent(), *(project(unknown) for project in projections)
            cotangents = [
                Thunk(lambda: (-normal.r * w[..., None]).reshape(normal.x_shape)),
                Thunk(lambda: np.sum(normal.r * w[..., None], axis=tuple(range(w.ndim)))),
                Thunk(lambda: normal.cov_cotangent(w)),
                NoTangent(),  # allow_singular
            ]
            return NoTangent(), *(
                project(c) for project, c in zip(projections, cotangents, strict=False)
            )

        pullback.__name__ = pullback.__qualname__ = f"multivariate_normal_{name}_pullback"
        return y, pullback

    @frule.register(method)
    def _(tangents: tuple[Any, ...], *args: Any, **kwargs: Any) -> tuple[Any, Any]:
        y = method(*args, **kwargs)
        normal = _Normal(args, kwargs)
        dx, dmean, dcov = (*(unthunk(t) for t in tangents[1:4]), *(ZeroTangent(),) * 3)[:3]
        if all(isinstance(t, AbstractZero) for t in (dx, dmean, dcov)):
            return y, ZeroTangent()
        if normal.singular or normal.covariance_object:
            return y, not_implemented(_mvn_unsupported(normal))
        dlogpdf = np.zeros(normal.r.shape[:-1])
        if not isinstance(dx, AbstractZero):
            points = np.reshape(dx, normal.r.shape)
            dlogpdf = dlogpdf - np.sum(normal.r * points, axis=-1)
        if not isinstance(dmean, AbstractZero):
            dmean = np.broadcast_to(np.asarray(dmean, dtype=np.float64), normal.r.shape[-1:])
            dlogpdf = dlogpdf + normal.r @ dmean
        if not isinstance(dcov, AbstractZero):
            s = normal.cov_matrix_tangent(dcov)
            quadratic = np.sum((normal.r @ s) * normal.r, axis=-1)
            dlogpdf = dlogpdf + (quadratic - np.sum(normal.precision * s)) / 2
        dy = dlogpdf * (np.asarray(y, dtype=np.float64) if density else 1.0)
        return y, ProjectTo(y)(np.reshape(dy, np.shape(y)))


def _mvn_unsupported(normal: _Normal) -> str:
    if normal.covariance_object:
        return "multivariate_normal with a scipy.stats.Covariance object"
    return "multivariate_normal with a singular covariance (allow_singular=True)"


# ---------------------------------------------------------------------------------------------
# dirichlet


class _Dirichlet:
    """`x` with its last entry completed, and the partials of `logpdf` at each point."""

    def __init__(self, x: Any, alpha: Any) -> None:
        alpha = np.asarray(alpha, dtype=np.float64)
        x = np.asarray(x, dtype=np.float64)
        self.shortened = x.shape[0] != alpha.shape[0]
        if self.shortened:
            x = np.concatenate([x, (1 - np.sum(x, axis=0))[np.newaxis]])
        extra = (np.newaxis,) * (x.ndim - 1)  # points along the second axis
        a = alpha[(slice(None), *extra)]
        with np.errstate(divide="ignore", invalid="ignore"):
            self.dx = (a - 1) / x  # d logpdf / dx_i, the simplex constraint left aside
            self.dalpha = special.digamma(np.sum(alpha)) - special.digamma(a) + np.log(x)
        if self.shortened:  # x_K = 1 - Σ x_i
            self.dx = self.dx[:-1] - self.dx[-1:]


def _dirichlet_rules(method: Any, density: bool) -> None:
    name = method.__name__

    @rrule.register(method)
    def _(x: Any, alpha: Any) -> tuple[Any, Any]:
        project_x, project_alpha = ProjectTo(x), ProjectTo(alpha)
        y = method(x, alpha)
        partials = _Dirichlet(x, alpha)
        factor = np.asarray(y, dtype=np.float64) if density else 1.0

        def pullback(dy: Any) -> tuple[Any, Any, Any]:
            dy = unthunk(dy)
            if isinstance(dy, AbstractZero):
                return NoTangent(), ZeroTangent(), ZeroTangent()
            w = np.asarray(dy, dtype=np.float64) * factor
            w = np.reshape(w, partials.dx.shape[1:])
            axes = tuple(range(1, partials.dalpha.ndim))
            return (
                NoTangent(),
                project_x(Thunk(lambda: partials.dx * w)),
                project_alpha(Thunk(lambda: np.sum(partials.dalpha * w, axis=axes))),
            )

        pullback.__name__ = pullback.__qualname__ = f"dirichlet_{name}_pullback"
        return y, pullback

    @frule.register(method)
    def _(tangents: tuple[Any, ...], x: Any, alpha: Any) -> tuple[Any, Any]:
        y = method(x, alpha)
        partials = _Dirichlet(x, alpha)
        _, dx, dalpha = (unthunk(t) for t in tangents)
        dlogpdf: Any = ZeroTangent()
        if not isinstance(dx, AbstractZero):
            dlogpdf = dlogpdf + np.sum(partials.dx * np.asarray(dx), axis=0)
        if not isinstance(dalpha, AbstractZero):
            extra = (np.newaxis,) * (partials.dalpha.ndim - 1)
            da = np.asarray(dalpha, dtype=np.float64)[(slice(None), *extra)]
            dlogpdf = dlogpdf + np.sum(partials.dalpha * da, axis=0)
        if isinstance(dlogpdf, AbstractZero):
            return y, dlogpdf
        dy = dlogpdf * (np.asarray(y, dtype=np.float64) if density else 1.0)
        return y, ProjectTo(y)(np.reshape(dy, np.shape(y)))


_mvn_rules(stats.multivariate_normal.logpdf, density=False)
_mvn_rules(stats.multivariate_normal.pdf, density=True)
_dirichlet_rules(stats.dirichlet.logpdf, density=False)
_dirichlet_rules(stats.dirichlet.pdf, density=True)
