"""NumPy callables whose outputs have no derivative, declared with `non_differentiable`.

Predicates and comparisons of whole arrays, type and dtype queries, string formatting,
file input and output, error and print settings, calendar functions, bit packing, window
functions of an integer length, and random draws that take no differentiable parameter
(`numpy.random.rand`, `randn`, `randint`, ...: a draw is a constant of the computation).
Shape queries, `argmax` and friends, comparisons and bitwise ufuncs are declared next to the
rules of their topic.
"""

from __future__ import annotations

import numpy as np

from rulescore import non_differentiable

_NAMES = """
    allclose array2string array_equal array_equiv array_repr array_str base_repr binary_repr
    busday_count busday_offset can_cast common_type datetime_as_string datetime_data
    einsum_path format_float_positional format_float_scientific frombuffer fromfile
    fromregex fromstring genfromtxt get_include get_printoptions getbufsize geterr
    geterrcall info is_busday isclose iscomplex iscomplexobj isdtype isin isneginf isposinf
    isreal isrealobj isscalar issubdtype iterable load loadtxt may_share_memory
    min_scalar_type mintypecode nested_iters packbits unpackbits printoptions promote_types
    result_type save savetxt savez savez_compressed set_printoptions setbufsize seterr
    seterrcall shares_memory show_config show_runtime typename bartlett blackman hamming
    hanning
""".split()

_METHODS = "tobytes tofile dump dumps".split()

_RANDOM = """
    rand randn random random_sample ranf sample randint random_integers standard_normal
    standard_exponential bytes seed get_state set_state default_rng
""".split()

non_differentiable(*(getattr(np, name) for name in _NAMES if hasattr(np, name)))
non_differentiable(*(getattr(np.ndarray, name) for name in _METHODS))
non_differentiable(*(getattr(np.random, name) for name in _RANDOM if hasattr(np.random, name)))
