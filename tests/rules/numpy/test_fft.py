"""Every numpy.fft rule through the harness: lengths odd and even, n/s/axes/norm, real and
complex inputs."""

from __future__ import annotations

import numpy as np
import pytest

from rulescore.testing import constant, test_frule, test_rrule

NORMS = [None, "ortho", "forward"]


def sample(rng, shape, dtype):
    x = rng.standard_normal(shape)
    if np.dtype(dtype).kind == "c":
        x = x + 1j * rng.standard_normal(shape)
    return x.astype(dtype)


def check(rng, f, x, *args, **kwargs):
    test_rrule(f, x, *map(constant, args), fkwargs=kwargs, rng=rng)
    test_frule(f, x, *map(constant, args), fkwargs=kwargs, rng=rng)


ONE_D = [
    ((8,), {}),
    ((7,), {}),
    ((6,), {"n": 9}),
    ((9,), {"n": 4}),
    ((3, 5), {"axis": 0}),
    ((2, 3, 4), {"axis": -1, "n": 6}),
]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(("shape", "kwargs"), ONE_D)
@pytest.mark.parametrize("f", [np.fft.fft, np.fft.ifft, np.fft.hfft])
def test_complex_input_1d(rng, f, shape, kwargs, norm):
    check(rng, f, sample(rng, shape, np.complex128), norm=norm, **kwargs)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(("shape", "kwargs"), ONE_D)
@pytest.mark.parametrize("f", [np.fft.fft, np.fft.rfft, np.fft.ihfft])
def test_real_input_1d(rng, f, shape, kwargs, norm):
    check(rng, f, sample(rng, shape, np.float64), norm=norm, **kwargs)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(
    ("shape", "kwargs"),
    [
        ((5,), {}),
        ((4,), {}),
        ((5,), {"n": 8}),
        ((5,), {"n": 9}),
        ((6,), {"n": 4}),
        ((3, 4), {"axis": 0}),
    ],
)
def test_irfft(rng, shape, kwargs, norm):
    check(rng, np.fft.irfft, sample(rng, shape, np.complex128), norm=norm, **kwargs)


MULTI_D = [
    ((3, 4), {}),
    ((2, 3, 4), {}),
    ((2, 3, 4), {"axes": (0, 2)}),
    ((3, 4), {"s": (5, 6), "axes": (0, 1)}),
    ((4, 5), {"s": (3, 4), "axes": (1, 0)}),
]


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(("shape", "kwargs"), MULTI_D)
@pytest.mark.parametrize("f", [np.fft.fftn, np.fft.ifftn, np.fft.irfftn])
def test_complex_input_nd(rng, f, shape, kwargs, norm):
    check(rng, f, sample(rng, shape, np.complex128), norm=norm, **kwargs)


@pytest.mark.parametrize("norm", NORMS)
@pytest.mark.parametrize(("shape", "kwargs"), MULTI_D)
def test_rfftn(rng, shape, kwargs, norm):
    check(rng, np.fft.rfftn, sample(rng, shape, np.float64), norm=norm, **kwargs)


@pytest.mark.parametrize(
    ("f", "dtype"),
    [
        (np.fft.fft2, np.float64),
        (np.fft.fft2, np.complex128),
        (np.fft.ifft2, np.complex128),
        (np.fft.rfft2, np.float64),
        (np.fft.irfft2, np.complex128),
    ],
)
def test_2d_transforms(rng, f, dtype):
    check(rng, f, sample(rng, (2, 3, 4), dtype))
    check(rng, f, sample(rng, (3, 4), dtype), s=(4, 6), norm="ortho")


@pytest.mark.parametrize("f", [np.fft.fft, np.fft.rfft, np.fft.irfft, np.fft.fftn])
def test_float32_and_complex64_keep_their_precision(rng, f):
    dtype = np.complex64 if f is np.fft.irfft else np.float32
    check(rng, f, sample(rng, (2, 6), dtype))


def test_positional_parameters(rng):
    check(rng, np.fft.fft, sample(rng, (6,), np.complex128), 8, -1, "ortho")


@pytest.mark.parametrize("f", [np.fft.fftshift, np.fft.ifftshift])
@pytest.mark.parametrize("axes", [None, 0, (0, 1)])
def test_shifts(rng, f, axes):
    check(rng, f, sample(rng, (3, 5), np.complex128), axes=axes)


@pytest.mark.parametrize("f", [np.fft.fftfreq, np.fft.rfftfreq])
def test_frequencies_in_the_spacing(rng, f):
    test_rrule(f, constant(7), 0.3, rng=rng)
    test_frule(f, constant(8), 0.5, rng=rng)
    test_rrule(f, constant(7), rng=rng)


def test_out_is_refused():
    from rulescore import rrule

    with pytest.raises(TypeError, match="out="):
        rrule(np.fft.fft, np.ones(4), out=np.zeros(4, complex))
