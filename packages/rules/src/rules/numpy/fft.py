"""Rules for `numpy.fft`: every transform (with `n`/`s`/`axes`/`norm`), the shifts, and the
sample frequencies (differentiable in the spacing `d`).

Every transform is linear, so its frule applies the transform itself to the tangent and its
pullback applies the adjoint:

- complex transforms (`fft`, `ifft`, `fft2`, `ifft2`, `fftn`, `ifftn`): the adjoint of a
  transform with normalization `norm` is the inverse transform with the swapped
  normalization ("backward" <-> "forward", "ortho" stays); padding or truncating to `n`/`s`
  is undone by truncating or zero-padding back;
- real-input transforms (`rfft`, `rfft2`, `rfftn`, `ihfft`): the seed is zero-extended to
  the full spectrum and transformed back; the cotangent is its real part;
- real-output transforms (`irfft`, `irfft2`, `irfftn`, `hfft`): the cotangent is the
  half-spectrum transform of the seed with the bins that appear twice in the Hermitian
  extension doubled. The parts of the input the transform ignores (the imaginary part of the
  DC term and, for an even length, of the Nyquist term in 1-D; bins beyond `n // 2 + 1`)
  get zero.
"""

from __future__ import annotations

import inspect
from collections.abc import Callable
from typing import Any

import numpy as np

from rulescore import (
    AbstractZero,
    NoTangent,
    ProjectTo,
    ZeroTangent,
    frule,
    non_differentiable,
    rrule,
    unthunk,
)

_SWAP = {None: "forward", "backward": "forward", "forward": "backward", "ortho": "ortho"}
Adjoint = Callable[[Any, Any, dict[str, Any]], Any]


def _axes_and_sizes(x: Any, p: dict[str, Any]) -> tuple[list[int], list[int]]:
    """The transformed axes and the transform sizes along them, as NumPy resolves them."""
    ndim = np.ndim(x)
    if "axis" in p:
        axes = [p["axis"]]
        sizes = [p["n"] if p["n"] is not None else np.shape(x)[p["axis"]]]
    else:
        s, axes = p["s"], p["axes"]
        if axes is None:
            axes = list(range(-len(s), 0)) if s is not None else list(range(-ndim, 0))
        sizes = list(s) if s is not None else [np.shape(x)[a] for a in axes]
    return [a % ndim for a in axes], sizes


def _fit(a: Any, axes: list[int], sizes: list[int]) -> Any:
    """`a` truncated or zero-padded at the end of each axis to the given size."""
    for axis, size in zip(axes, sizes, strict=True):
        current = a.shape[axis]
        if current > size:
            a = np.take(a, np.arange(size), axis=axis)
        elif current < size:  # (built without mutation: differentiated again, higher order)
            widths = [(0, size - current) if i == axis else (0, 0) for i in range(a.ndim)]
            a = np.pad(a, widths)
    return a


def _hermitian_weights(size: int, bins: int, axis: int, ndim: int) -> Any:
    """2 for the bins that appear twice in a Hermitian spectrum of length `size`, else 1."""
    w = np.full(bins, 2.0)
    w[0] = 1.0
    if size % 2 == 0:
        w[size // 2] = 1.0
    shape = [1] * ndim
    shape[axis] = bins
    return w.reshape(shape)


def _complex_adjoint(inverse: Callable[..., Any]) -> Adjoint:
    def adjoint(dy: Any, x: Any, p: dict[str, Any]) -> Any:
        axes, _ = _axes_and_sizes(x, p)
        back = inverse(dy, axes=axes, norm=_SWAP[p["norm"]])
        return _fit(back, axes, [np.shape(x)[a] for a in axes])

    return adjoint


def _real_input_adjoint(dy: Any, x: Any, p: dict[str, Any]) -> Any:
    axes, sizes = _axes_and_sizes(x, p)
    full = _fit(dy, axes[-1:], sizes[-1:])  # zero-extend the half spectrum
    back = np.fft.ifftn(full, axes=axes, norm=_SWAP[p["norm"]]).real
    return _fit(back, axes, [np.shape(x)[a] for a in axes])


def _real_output_adjoint(dy: Any, x: Any, p: dict[str, Any]) -> Any:
    axes, _ = _axes_and_sizes(x, p)
    last = axes[-1]
    size = np.shape(dy)[last]
    half = np.fft.rfftn(dy, axes=axes, norm=_SWAP[p["norm"]])
    half = half * _hermitian_weights(size, half.shape[last], last, half.ndim)
    if np.ndim(x) == 1 or len(axes) == 1:
        half = _real_where_ignored(half, last, size)
    return _fit(half, axes, [np.shape(x)[a] for a in axes])


def _real_where_ignored(half: Any, axis: int, size: int) -> Any:
    """Zero the imaginary parts of the DC (and even-length Nyquist) bins along `axis`."""
    ignored = [0] + ([size // 2] if size % 2 == 0 else [])
    index = [slice(None)] * half.ndim
    index[axis] = ignored
    half = half.copy()
    half[tuple(index)] = half[tuple(index)].real
    return half


def _hfft_adjoint(dy: Any, x: Any, p: dict[str, Any]) -> Any:
    # hfft(a) = irfft(conj(a), norm=swap(norm)), and conjugation is its own adjoint.
    swapped = {**p, "norm": _SWAP[p["norm"]]}
    return np.conj(_real_output_adjoint(dy, x, swapped))


def _ihfft_adjoint(dy: Any, x: Any, p: dict[str, Any]) -> Any:
    # ihfft(a) = conj(rfft(a, norm=swap(norm))).
    return _real_input_adjoint(np.conj(dy), x, {**p, "norm": _SWAP[p["norm"]]})


def _shift_adjoint(inverse: Callable[..., Any]) -> Adjoint:
    def adjoint(dy: Any, x: Any, p: dict[str, Any]) -> Any:
        return inverse(dy, axes=p["axes"])

    return adjoint


def _linear_rules(f: Callable[..., Any], adjoint: Adjoint) -> None:
    """Both rules of a transform linear in its first argument; the rest are parameters."""
    signature = inspect.signature(f)
    name = f.__name__

    def transform_rrule(a: Any, *args: Any, **kwargs: Any) -> Any:
        params = _parameters(signature, name, a, args, kwargs)
        project = ProjectTo(a)

        def transform_pullback(dy: Any) -> tuple[Any, ...]:
            dy = unthunk(dy)
            da = dy if isinstance(dy, AbstractZero) else project(adjoint(dy, a, params))
            return (NoTangent(), da, *(NoTangent() for _ in args))

        transform_pullback.__name__ = transform_pullback.__qualname__ = f"{name}_pullback"
        return f(a, *args, **kwargs), transform_pullback

    def transform_frule(tangents: tuple[Any, ...], a: Any, *args: Any, **kwargs: Any) -> Any:
        _parameters(signature, name, a, args, kwargs)
        da = unthunk(tangents[1])
        y = f(a, *args, **kwargs)
        return y, ZeroTangent() if isinstance(da, AbstractZero) else f(da, *args, **kwargs)

    rrule.register(f)(transform_rrule)
    frule.register(f)(transform_frule)


def _parameters(
    signature: inspect.Signature, name: str, a: Any, args: Any, kwargs: Any
) -> dict[str, Any]:
    if kwargs.get("out") is not None:
        raise TypeError(
            f"differentiating numpy.fft.{name} with out= (mutation) is not supported: "
            "assign the result instead"
        )
    bound = signature.bind(a, *args, **kwargs)
    bound.apply_defaults()
    return dict(bound.arguments)


# The transform's options by name (a pullback reads `n`, `axis`, `norm`) and constant
# weights: no derivative, met again when a pullback is differentiated (higher order).
non_differentiable(_parameters, _axes_and_sizes, _hermitian_weights)


for _forward, _inverse in (
    (np.fft.fft, np.fft.ifft),
    (np.fft.fft2, np.fft.ifft2),
    (np.fft.fftn, np.fft.ifftn),
):
    _linear_rules(_forward, _complex_adjoint(np.fft.ifftn))
    _linear_rules(_inverse, _complex_adjoint(np.fft.fftn))
for _real_input in (np.fft.rfft, np.fft.rfft2, np.fft.rfftn):
    _linear_rules(_real_input, _real_input_adjoint)
for _real_output in (np.fft.irfft, np.fft.irfft2, np.fft.irfftn):
    _linear_rules(_real_output, _real_output_adjoint)
_linear_rules(np.fft.hfft, _hfft_adjoint)
_linear_rules(np.fft.ihfft, _ihfft_adjoint)
_linear_rules(np.fft.fftshift, _shift_adjoint(np.fft.ifftshift))
_linear_rules(np.fft.ifftshift, _shift_adjoint(np.fft.fftshift))


def _frequencies_rules(f: Callable[..., Any]) -> None:
    """`fftfreq(n, d)` and `rfftfreq(n, d)` are `k / (n d)`: d/dd = -y / d (a positional `d`;
    keyword arguments are not differentiated)."""

    def frequencies_rrule(n: int, *args: Any, **kwargs: Any) -> Any:
        y = f(n, *args, **kwargs)
        project_d = ProjectTo(args[0]) if args else None

        def frequencies_pullback(dy: Any) -> tuple[Any, ...]:
            if project_d is None:
                return NoTangent(), NoTangent()
            dy = unthunk(dy)
            return NoTangent(), NoTangent(), project_d(-np.sum(dy * y) / args[0])

        frequencies_pullback.__name__ = f"{f.__name__}_pullback"
        return y, frequencies_pullback

    def frequencies_frule(tangents: tuple[Any, ...], n: int, *args: Any, **kwargs: Any) -> Any:
        y = f(n, *args, **kwargs)
        dd = unthunk(tangents[2]) if args else ZeroTangent()
        return y, ZeroTangent() if isinstance(dd, AbstractZero) else -y / args[0] * dd

    rrule.register(f)(frequencies_rrule)
    frule.register(f)(frequencies_frule)


_frequencies_rules(np.fft.fftfreq)
_frequencies_rules(np.fft.rfftfreq)
