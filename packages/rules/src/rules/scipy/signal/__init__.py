"""Rules for `scipy.signal`, one module per topic, with an frule and an rrule for each of

- `convolution`: `convolve`, `correlate`, `fftconvolve`, `oaconvolve`, `convolve2d`,
  `correlate2d`;
- `filtering`: `lfilter` (with `zi` and the final state), `sosfilt`;
- `zero_phase`: `filtfilt`, `sosfiltfilt`;
- `linear`: `hilbert`, `detrend`, `savgol_filter`.

SciPy is slow to import, so `rules.scipy` announces this package with `lazy_rules`: it is
imported (and registers its rules) at the first rule lookup after the user's code imported
`scipy.signal`. Conventions shared by the modules (each module's docstring adds its own):

- Options (`mode=`, `axis=`, `method=`, `boundary=`, `padtype=`, ...) are never
  differentiated; given positionally they get `NoTangent()`. Numbers the output depends on
  smoothly (`fillvalue`, `savgol_filter`'s `delta` and `cval`) are differentiated when
  given positionally.
- Complex signals and coefficients follow the package convention (cotangent =
  dL/dRe + i dL/dIm): holomorphic arguments get the conjugate-transposed operator, and a
  correlation's conjugated operand gets the conjugated cotangent.
- The derivatives are computed with the same SciPy functions as the primal (convolutions
  with the same `method`, filters with `lfilter`), so they cost about as much.
"""

from rules.scipy.signal import convolution, filtering, linear, zero_phase

__all__ = ["convolution", "filtering", "linear", "zero_phase"]
