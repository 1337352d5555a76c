"""The torch CPU arithmetic torchmetrics' numbers depend on, reproduced in NumPy.

torchmetrics turns counts into float32 tensors and reduces them with ``Tensor.sum``; torch's
CPU sum of float32 values is a cascade (four interleaved accumulators of 8-lane vectors,
carried up a few levels every 16 steps), so its last bit depends on that order. Scalars
compared with tensors are cast to the tensor's dtype first (``uint8 != -1`` compares with
255; a float16 tensor is compared with the threshold rounded to float16). Integer tensors
wrap around on overflow. This module reproduces those rules for the arrays the compat layer
works on; it never imports torch.

A dtype is named by a string (``"int64"``, ``"float16"``, ``"bfloat16"`` ...); bfloat16 values
are carried in float32 arrays (every bfloat16 is a float32).
"""

import math
import numbers
import os
import sys

import numpy as np

F32 = np.float32
INT_TAGS = ("uint8", "int8", "int16", "int32", "int64", "uint16", "uint32", "uint64")
FLOAT_TAGS = ("float16", "bfloat16", "float32", "float64")

# Lanes of the float32 vectors torch's CPU sum kernel accumulates (measured against
# torch 2.13's Tensor.sum on AVX512 hardware; the generic and AVX2 builds use 8 as well).
SUM_LANES = 8
# torch splits a reduction over threads from this many elements on (at::internal::GRAIN_SIZE).
TORCH_GRAIN_SIZE = 32768
# float32 represents every integer up to this exactly: sums of counts below it need no emulation.
F32_EXACT_INT = 1 << 24


class RuntimeValueError(ValueError, RuntimeError):
    """Raised where torchmetrics (torch) raises a ``RuntimeError`` for bad input values or
    shapes; it is also a ``ValueError``, as fastiou raises for bad input."""


def is_float(tag):
    return tag in FLOAT_TAGS


def storage(tag):
    """The NumPy dtype an array of dtype `tag` is carried in."""
    return np.dtype(np.float32 if tag == "bfloat16" else tag)


# --------------------------------------------------------------------------- rounding

def round_bfloat16(values):
    """float32 values rounded to the nearest bfloat16 (ties to even), still as float32."""
    values = np.asarray(values, dtype=np.float32)
    bits = values.view(np.uint32)
    rounded = ((bits + (np.uint32(0x7FFF) + ((bits >> np.uint32(16)) & np.uint32(1))))
               & np.uint32(0xFFFF0000)).view(np.float32)
    return np.where(np.isnan(values), values, rounded).astype(np.float32)


def round_to(value, tag):
    """A Python number as torch casts a scalar into a tensor of dtype `tag` (a NumPy scalar).

    Integers wrap around (two's complement); floats round to nearest, to float16 and
    bfloat16 through float32 as c10 does (a bfloat16 comes back as a float32 scalar).
    """
    if tag == "bool":
        return np.bool_(bool(value))
    if tag in INT_TAGS:
        info = np.iinfo(tag)
        span = 1 << info.bits
        wrapped = int(value) % span
        if info.min < 0 and wrapped > info.max:
            wrapped -= span
        return np.dtype(tag).type(wrapped)
    with np.errstate(over="ignore", invalid="ignore"):
        if tag == "float64":
            return np.float64(float(value))
        single = np.float32(float(value))
        if tag == "float16":
            return np.float16(single)
        if tag == "bfloat16":
            return round_bfloat16(single)[()]
        return single


def cast(values, tag):
    """An array converted to dtype `tag` as ``Tensor.to`` does (ints wrap, floats round)."""
    values = np.asarray(values)
    with np.errstate(over="ignore", invalid="ignore"):
        if tag == "bool":
            return values != 0
        if tag == "bfloat16":
            return round_bfloat16(values.astype(np.float32))
        return values.astype(tag)


def to_long(values, tag):
    """``Tensor.to(torch.long)``: floats truncated toward zero; NaN, infinities and values
    outside int64 become -2**63 (what x86 gives)."""
    if is_float(tag):
        values = np.asarray(values, dtype=storage(tag))
        out = np.full(values.shape, np.iinfo(np.int64).min, dtype=np.int64)
        ok = np.isfinite(values) & (np.abs(values) < 2.0 ** 63)
        out[ok] = np.trunc(values[ok]).astype(np.int64)
        return out
    return np.asarray(values).astype(np.int64)


# --------------------------------------------------------------------------- type promotion

def _float_rank(tag):
    return {"float16": 1, "bfloat16": 1, "float32": 2, "float64": 3}[tag]


def promote(first, second):
    """torch.promote_types for two tensors' dtypes."""
    if first == second:
        return first
    if is_float(first) or is_float(second):
        if not is_float(second):
            return first
        if not is_float(first):
            return second
        if {first, second} == {"float16", "bfloat16"}:
            return "float32"
        return first if _float_rank(first) >= _float_rank(second) else second
    if first == "bool":
        return second
    if second == "bool":
        return first
    return np.promote_types(first, second).name


def scalar_result(tag, scalar):
    """The dtype of ``tensor <op> python scalar`` (a Python scalar never widens a tensor of
    its own category; an int or bool tensor with a Python float gives float32)."""
    if isinstance(scalar, (bool, np.bool_)):
        return tag
    if isinstance(scalar, numbers.Integral):
        return "int64" if tag == "bool" else tag
    if is_float(tag):
        return tag
    return "float32"


def _normalized_scalar(scalar):
    if isinstance(scalar, (bool, np.bool_)):
        return int(scalar)
    if isinstance(scalar, numbers.Integral):
        return int(scalar)
    if isinstance(scalar, numbers.Real):
        return float(scalar)
    raise TypeError(f"expected a Python number, got {type(scalar).__name__} {scalar!r}")


def equals_scalar(values, tag, scalar):
    """``tensor == scalar`` with torch's casting of the scalar to the tensor's dtype."""
    scalar = _normalized_scalar(scalar)
    values = np.asarray(values)
    if isinstance(scalar, int):
        if tag == "bool":
            return values.astype(np.int64) == scalar if scalar in (0, 1) else np.zeros(values.shape, bool)
        return values == round_to(scalar, tag)
    if not is_float(tag):
        return values.astype(np.float32) == np.float32(scalar)
    return values == round_to(scalar, tag)


def times_scalar(values, tag, scalar):
    """``tensor * python int`` (ints wrap in the tensor's dtype; bool becomes int64)."""
    out_tag = scalar_result(tag, scalar)
    if is_float(out_tag):
        product = np.asarray(values, dtype=storage(out_tag)) * storage(out_tag).type(scalar)
        return cast(product, out_tag) if out_tag in ("float16", "bfloat16") else product, out_tag
    with np.errstate(over="ignore"):
        product = np.asarray(values).astype(np.int64) * np.int64(scalar)
    return product.astype(out_tag), out_tag


def _broadcast_error(first, second):
    return RuntimeValueError(
        f"The size of tensor a ({first}) must match the size of tensor b ({second}) at "
        "non-singleton dimension 0"
    )


def add(first, first_tag, second, second_tag):
    """``tensor + tensor`` of 1-D or broadcastable arrays with torch's promotion and wrap-around."""
    tag = promote(first_tag, second_tag)
    first, second = np.asarray(first), np.asarray(second)
    try:
        shape = np.broadcast_shapes(first.shape, second.shape)
    except ValueError:
        raise _broadcast_error(first.shape[-1], second.shape[-1]) from None
    del shape
    if tag == "bool":
        return np.logical_or(first, second), tag
    with np.errstate(over="ignore", invalid="ignore"):
        total = cast(first, tag) + cast(second, tag)
    if tag in ("float16", "bfloat16"):
        total = cast(total, tag)
    return total, tag


# --------------------------------------------------------------------------- float32 sums

def _ceil_log2(n):
    return 1 if n <= 2 else int(n - 1).bit_length()


def _running_sum(rows):
    """Sum over axis 0 from 0, one row after the other, in float32 (``add.accumulate`` is
    sequential)."""
    if rows.shape[0] == 0:
        return np.zeros(rows.shape[1:], dtype=np.float32)
    return np.cumsum(rows, axis=0, dtype=np.float32)[-1]


def _multi_row_sum(rows):
    """Sum over axis 0 of `rows` (size, *lanes), lane by lane, in torch's cascade order:
    a running sum of every block of 16 (or more) rows, carried up through four levels."""
    size = rows.shape[0]
    level_power = max(4, _ceil_log2(size) // 4)
    step = 1 << level_power
    if size < step:  # no level is reached: one running sum (plus zeros)
        return _running_sum(rows)
    mask = step - 1
    zero = np.zeros(rows.shape[1:], dtype=np.float32)
    acc = [zero] * 4
    i = 0
    while i + step <= size:
        acc[0] = _running_sum(rows[i:i + step])
        i += step
        for level in range(1, 4):
            acc[level] = acc[level] + acc[level - 1]
            acc[level - 1] = zero
            if i & (mask << (level * level_power)):
                break
    acc[0] = _running_sum(rows[i:])  # acc[0] is 0 after every block
    return _running_sum(np.stack(acc))


def _row_sum(items):
    """torch's row_sum over axis 0 of `items` (size, *lanes): four interleaved partial sums,
    the leftover rows added to the first, then the four added in order."""
    size = items.shape[0]
    n_grouped = size // 4 * 4
    partial = _multi_row_sum(items[:n_grouped].reshape((n_grouped // 4, 4) + items.shape[1:]))
    return _running_sum(np.concatenate([partial[:1], items[n_grouped:], partial[1:]]))


def sum_last(values):
    """``Tensor.sum(dim=-1)`` of float32 values (..., K), one inner reduction per row."""
    values = np.asarray(values, dtype=np.float32)
    size = values.shape[-1]
    n_rows = int(np.prod(values.shape[:-1], dtype=np.int64))
    rows = values.reshape(n_rows, size)
    if size >= SUM_LANES:
        n_vectors = size // SUM_LANES
        vectors = rows[:, :n_vectors * SUM_LANES].reshape(n_rows, n_vectors, SUM_LANES)
        lanes = _row_sum(np.moveaxis(vectors, 1, 0))  # (n_rows, SUM_LANES)
        # from 0: the leftover elements, then the lanes, one after the other
        total = _running_sum(np.concatenate([rows[:, n_vectors * SUM_LANES:], lanes], axis=1).T)
    else:
        total = _row_sum(rows.T) if size else np.zeros(n_rows, dtype=np.float32)
    return total.reshape(values.shape[:-1])


def sum_first(values):
    """``Tensor.sum(dim=0)`` of a C-contiguous float32 matrix (R, K): an outer reduction.

    torch sums blocks of 32 columns (4 vectors of 8) with one running cascade per column and
    every other column with :func:`_row_sum`'s four interleaved partial sums (fewer than 8
    columns: blocks of 4 with a running cascade)."""
    values = np.asarray(values, dtype=np.float32)
    size = values.shape[1]
    if size == 1:
        return sum_last(values.T)
    block = 4 * SUM_LANES if size >= SUM_LANES else 4
    cascaded = size // block * block
    out = np.empty(size, dtype=np.float32)
    if cascaded:
        out[:cascaded] = _multi_row_sum(values[:, :cascaded])
    if cascaded < size:
        out[cascaded:] = _row_sum(values[:, cascaded:])
    return out


def _short_row_sum(items):
    """:func:`_row_sum` of fewer than 64 float32 scalars (no cascade level is reached)."""
    p0 = p1 = p2 = p3 = F32(0.0)
    n_grouped = len(items) // 4 * 4
    for g in range(0, n_grouped, 4):
        p0 = p0 + items[g]
        p1 = p1 + items[g + 1]
        p2 = p2 + items[g + 2]
        p3 = p3 + items[g + 3]
    for i in range(n_grouped, len(items)):
        p0 = p0 + items[i]
    return p0 + p1 + p2 + p3


def torch_threads():
    """torch's intra-op thread count: asked of torch when it is already imported, else
    ``OMP_NUM_THREADS``, else the CPU count (torch's own default)."""
    torch = sys.modules.get("torch")
    if torch is not None and hasattr(torch, "get_num_threads"):
        return max(1, int(torch.get_num_threads()))
    try:
        return max(1, int(os.environ.get("OMP_NUM_THREADS", "")))
    except ValueError:
        return os.cpu_count() or 1


def _serial_sum(flat):
    size = flat.size
    if size < SUM_LANES:  # torch's scalar path: four interleaved partial sums
        return _short_row_sum(list(flat))  # NumPy float32 scalars: float32 arithmetic
    if size < 4 * SUM_LANES:  # fewer than 4 vectors: each lane is a running sum
        n_vectors = size // SUM_LANES
        lanes = _running_sum(flat[:n_vectors * SUM_LANES].reshape(n_vectors, SUM_LANES))
        return F32(_running_sum(np.concatenate([flat[n_vectors * SUM_LANES:], lanes])))
    return F32(sum_last(flat))


def sum_all(values):
    """``Tensor.sum()`` of float32 values (flattened): one inner reduction, or, past
    torch's grain size with several threads, one per thread's contiguous share, then the
    sum of those partial sums (torch's two-pass reduction)."""
    flat = np.asarray(values, dtype=np.float32).reshape(-1)
    threads = torch_threads() if flat.size > TORCH_GRAIN_SIZE else 1
    if threads == 1:
        return _serial_sum(flat)
    shares = min(threads, -(-flat.size // TORCH_GRAIN_SIZE))
    step = -(-flat.size // shares)
    partial = [_serial_sum(flat[i * step:(i + 1) * step]) for i in range(shares)]
    return _serial_sum(np.array(partial, dtype=np.float32))


def count_magnitude(counts):
    """The sum of ``|counts|`` as an int for integer counts (None for float ones): below
    2**24, every float32 sum of them, partial sums included, is exact in any order."""
    counts = np.asarray(counts)
    if counts.dtype.kind not in "iub":
        return None
    return int(np.abs(counts).sum() if counts.dtype.kind == "i" else counts.sum())


_UNKNOWN = object()


def _exact(magnitude, factor=1):
    return magnitude is not None and factor * magnitude < F32_EXACT_INT


def sum_counts(values, magnitude, factor=1):
    """``Tensor.sum()`` of float32 values that are whole numbers summing to at most `factor`
    times `magnitude` (see :func:`count_magnitude`; 0/1 weights count as their number):
    exact in any order while that bound stays below 2**24, torch's order otherwise."""
    values = np.asarray(values, dtype=np.float32)
    if values.size <= 1 or (magnitude is not None and _exact(max(magnitude, values.size), factor)):
        return F32(values.sum(dtype=np.float64))
    return sum_all(values)


def count_sums(counts, axis, magnitude=_UNKNOWN):
    """float32 sums of an int64 count array as torch gives them after ``.float()``.

    Exact sums when every partial sum stays below 2**24 (a float32 then holds it exactly,
    in any order); the cascade otherwise. `magnitude` is :func:`count_magnitude` of
    `counts` when already known.
    """
    counts = np.asarray(counts)
    if magnitude is _UNKNOWN:
        magnitude = count_magnitude(counts)
    if counts.size == 0 or _exact(magnitude):
        if axis is None:
            return F32(counts.sum())
        return counts.sum(axis=axis).astype(np.float32)
    values = counts.astype(np.float32)
    if axis is None:
        return sum_all(values)
    if axis in (-1, values.ndim - 1):
        return sum_last(values)
    if values.ndim == 2 and axis in (0, -2):
        return sum_first(values)
    if axis == (-2, -1):
        if values.ndim == 2:  # one output: a full reduction (split over threads past the grain size)
            return sum_all(values)
        return sum_last(values.reshape(values.shape[:-2] + (-1,)))
    # the (L, 2, 2) multilabel matrices: two entries a + b, in either order the same
    return values.sum(axis=axis, dtype=np.float32)


# --------------------------------------------------------------------------- sigmoid thresholds

_SIGN_BITS = {"float16": 16, "bfloat16": 16, "float32": 32, "float64": 64}


def _exp(value):
    """exp of a Python float (libm's, as torch's scalar path uses), inf past the range."""
    try:
        return math.exp(value)
    except OverflowError:
        return math.inf


def _load_expf():
    """libm's single-precision ``expf``, which torch's scalar sigmoid of float32, float16
    and bfloat16 calls; None where ctypes cannot find it."""
    try:
        import ctypes
        import ctypes.util

        name = ctypes.util.find_library("m")
        if name is None:
            return None
        function = ctypes.CDLL(name).expf
    except (ImportError, OSError, AttributeError):
        return None
    function.restype = ctypes.c_float
    function.argtypes = [ctypes.c_float]
    return function


_EXPF = _load_expf()


def _exp_single(value):
    """float32 exp of a float32 value: libm's expf, else the float64 exp rounded."""
    if _EXPF is not None:
        return np.float32(_EXPF(value))
    with np.errstate(over="ignore"):
        return np.float32(_exp(value))


def _sigmoid(value, tag):
    """torch's CPU sigmoid of one value of dtype `tag`, ``1 / (1 + exp(-x))`` computed in
    float64, or in float32 (float16 and bfloat16 are computed in float32 and rounded back)."""
    if tag == "float64":
        return np.float64(1.0) / (np.float64(1.0) + np.float64(_exp(-float(value))))
    e = _exp_single(-float(np.float32(value)))
    result = np.float32(1.0) / (np.float32(1.0) + e)
    if tag == "float16":
        return np.float16(result)
    if tag == "bfloat16":
        return round_bfloat16(result)[()]
    return result


def _from_order(order, tag):
    """The float of dtype `tag` at position `order` of the ordered (sign-magnitude) values."""
    bits = _SIGN_BITS[tag]
    sign = 1 << (bits - 1)
    pattern = order if order >= 0 else (-order) | sign
    if tag == "float16":
        return np.array(pattern, dtype=np.uint16).view(np.float16)[()]
    if tag == "bfloat16":
        return np.array(pattern << 16, dtype=np.uint32).view(np.float32)[()]
    if tag == "float32":
        return np.array(pattern, dtype=np.uint32).view(np.float32)[()]
    return np.array(pattern, dtype=np.uint64).view(np.float64)[()]


def _infinity_order(tag):
    return {"float16": 0x7C00, "bfloat16": 0x7F80, "float32": 0x7F800000,
            "float64": 0x7FF0000000000000}[tag]


_CUTS = {}


def logit_cut(threshold, tag):
    """The value ``cut`` of dtype `tag` with ``sigmoid(x) > threshold  <=>  x > cut``.

    torch compares ``sigmoid(x) > threshold`` in the dtype of `x`; the sigmoid is monotone,
    so the positives are the values above one cut, found by bisection over the dtype's
    values. Returns ``-inf``-like None when every value but NaN is positive (a negative
    threshold), ``inf`` when none is.
    """
    key = (tag, float(threshold) if not isinstance(threshold, int) else threshold)
    if key in _CUTS:
        return _CUTS[key]
    limit = round_to(threshold, tag)
    if np.isnan(limit) or not _sigmoid(np.inf, tag) > limit:
        cut = np.inf
    elif _sigmoid(-np.inf, tag) > limit:
        cut = None
    else:
        low, high = -_infinity_order(tag), _infinity_order(tag)
        while high - low > 1:
            middle = (low + high) // 2
            if _sigmoid(_from_order(middle, tag), tag) > limit:
                high = middle
            else:
                low = middle
        cut = float(_from_order(low, tag))
    if len(_CUTS) > 4096:
        _CUTS.clear()
    _CUTS[key] = cut
    return cut


def positives(values, tag, threshold, logits):
    """``preds > threshold`` after torchmetrics' optional sigmoid, as a bool array."""
    values = np.asarray(values)
    if not logits:
        with np.errstate(invalid="ignore"):
            return values > round_to(threshold, tag)
    cut = logit_cut(threshold, tag)
    if cut is None:
        return ~np.isnan(values)
    with np.errstate(invalid="ignore"):
        return values > cut


# --------------------------------------------------------------------------- division

def safe_divide(numerator, denominator, zero_division):
    """torchmetrics' ``_safe_divide`` in float32: `zero_division` where the denominator is 0
    when it is a Python number (or ``"warn"``: 0 with a warning), a plain division (0/0 = NaN)
    for anything else (``"nan"``, None, a NumPy float32 ...)."""
    numerator = np.asarray(numerator, dtype=np.float32)
    denominator = np.asarray(denominator, dtype=np.float32)
    if isinstance(zero_division, (float, int)) or _is_warn(zero_division):
        if _is_warn(zero_division):
            if np.any(denominator == 0):
                import warnings

                warnings.warn("Detected zero division in _safe_divide. Setting 0/0 to 0.0", UserWarning,
                              stacklevel=4)
            zero_division = 0.0
        with np.errstate(over="ignore"):
            fill = np.float32(float(zero_division))
        quotient = np.full(np.broadcast_shapes(numerator.shape, denominator.shape), fill, dtype=np.float32)
        np.divide(numerator, denominator, out=quotient, where=denominator != 0)
    else:
        with np.errstate(divide="ignore", invalid="ignore"):
            quotient = numerator / denominator
    return quotient[()] if quotient.ndim == 0 else quotient


def _is_warn(value):
    return isinstance(value, str) and value == "warn"
