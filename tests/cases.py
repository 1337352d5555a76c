"""The one case generator feeding every confusion-matrix equivalence test.

A case is a pair of label arrays as a user would pass them (any dtype, shape, layout,
lists), plus `num_classes`, `ignore_index` and optional weights. `reference_counts`
computes what every fastiou kernel must return for it, with plain NumPy.
"""

from dataclasses import dataclass, field
from typing import Any

import numpy as np

from fastiou import reference

LABEL_DTYPES = ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"]
MIXED_DTYPES = [("uint8", "int64"), ("uint64", "int8"), ("bool", "int32"), ("int16", "uint16"),
                ("uint64", "int64"), ("uint32", "uint8")]
# around the unroll width (4), the byte-table copies (2), and the per-thread split
SMALL_SIZES = [0, 1, 2, 3, 4, 5, 7, 8, 9, 15, 16, 17, 31, 33, 1023]
# around the serial threshold (2**16 pairs a thread) and the byte-table threshold (2**19)
LARGE_SIZES = [2 ** 15 + 1, 2 ** 17 - 1, 2 ** 17 + 1, 2 ** 19 - 1, 2 ** 19, 2 ** 19 + 3]
LAYOUTS = ["C", "F", "strided", "transposed", "readonly", "byteswapped", "list", "reversed"]
IGNORES = [None, 255, 1, [1, 255, -1]]
NUM_CLASSES = 5


@dataclass
class Case:
    id: str
    y_true: Any
    y_pred: Any
    num_classes: int
    ignore_index: Any = None
    sample_weight: Any = None
    snapshot: list = field(default_factory=list, repr=False)

    def __post_init__(self):
        self.snapshot = [np.array(x, copy=True) for x in (self.y_true, self.y_pred, self.sample_weight)
                         if x is not None]

    def inputs_unchanged(self):
        current = [np.asarray(x) for x in (self.y_true, self.y_pred, self.sample_weight) if x is not None]
        return all(a.dtype == b.dtype and np.array_equal(a, b) for a, b in zip(current, self.snapshot))


def reference_counts(case):
    """(matrix, miss, n_bad_true, n_bad_pred) for `case`, from the NumPy reference."""
    ignore = [] if case.ignore_index is None else np.atleast_1d(case.ignore_index).tolist()
    truth = np.asarray(case.y_true)
    pred = np.asarray(case.y_pred)
    if truth.dtype == np.uint64 or pred.dtype == np.uint64:
        # values above the int64 range are out of range either way; keep them positive
        truth = np.minimum(truth.astype(np.uint64), np.iinfo(np.int64).max).astype(np.int64) \
            if truth.dtype.kind == "u" else truth
        pred = np.minimum(pred.astype(np.uint64), np.iinfo(np.int64).max).astype(np.int64) \
            if pred.dtype.kind == "u" else pred
    return reference.confusion_counts(truth, pred, case.num_classes, ignore, case.sample_weight)


def _labels(rng, dtype, shape, num_classes, out_of_range):
    """Labels in [0, num_classes), with (optionally) some out-of-range and ignore values."""
    dtype = np.dtype(dtype)
    high = 2 if dtype == np.bool_ else num_classes
    values = rng.integers(0, high, size=shape).astype(dtype)
    if out_of_range and dtype != np.bool_ and values.size:
        info = np.iinfo(dtype)
        specials = [num_classes, info.max, min(255, info.max), 1]
        if info.min < 0:
            specials += [-1, info.min]
        specials = np.array(specials, dtype=dtype)
        spots = rng.random(shape) < 0.2
        values = np.where(spots, specials[rng.integers(0, len(specials), size=shape)], values)
    return values


def _layout(array, layout):
    """Return `array`'s values in the given memory layout (same logical values)."""
    if layout == "C":
        return np.ascontiguousarray(array)
    if layout == "F":
        return np.asfortranarray(array)
    if layout == "strided":
        big = np.repeat(array, 2, axis=-1)
        return big[..., ::2]
    if layout == "transposed":
        return np.ascontiguousarray(array.T).T
    if layout == "readonly":
        copy = array.copy()
        copy.setflags(write=False)
        return copy
    if layout == "byteswapped":
        swapped = array.astype(array.dtype.newbyteorder(">" if array.dtype.byteorder != ">" else "<"))
        return swapped
    if layout == "list":
        return array.tolist()
    if layout == "reversed":
        return np.ascontiguousarray(array[::-1])[::-1]
    raise AssertionError(layout)


def iter_cases(seed=0):
    """Every equivalence case: dtypes x sizes, dtypes x layouts x ignores, mixed dtypes,
    out-of-range labels, weights."""
    rng = np.random.default_rng(seed)
    for dtype in LABEL_DTYPES:
        for size in SMALL_SIZES + LARGE_SIZES:
            for ignore in (None, 1):
                t = _labels(rng, dtype, (size,), NUM_CLASSES, False)
                p = _labels(rng, dtype, (size,), NUM_CLASSES, False)
                yield Case(f"{dtype}-n{size}-ignore{ignore}", t, p, NUM_CLASSES, ignore)
        for layout in LAYOUTS:
            for ignore in IGNORES:
                t = _labels(rng, dtype, (3, 5, 7), NUM_CLASSES, False)
                p = _labels(rng, dtype, (3, 5, 7), NUM_CLASSES, False)
                yield Case(f"{dtype}-{layout}-ignore{ignore}", _layout(t, layout), _layout(p, layout),
                           NUM_CLASSES, ignore)
        # labels equal to num_classes, to the ignore value, negative, the dtype's extremes
        for size in (17, 2 ** 19 + 1):
            for ignore in IGNORES:
                t = _labels(rng, dtype, (size,), NUM_CLASSES, True)
                p = _labels(rng, dtype, (size,), NUM_CLASSES, True)
                yield Case(f"{dtype}-outofrange-n{size}-ignore{ignore}", t, p, NUM_CLASSES, ignore)
    # one-byte labels with many classes: every byte value is a label (signed bytes decode)
    for dtype in ("uint8", "int8"):
        for size in (1000, 2 ** 19 + 5):
            t = rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max + 1, size=size).astype(dtype)
            p = rng.integers(np.iinfo(dtype).min, np.iinfo(dtype).max + 1, size=size).astype(dtype)
            yield Case(f"{dtype}-allbytes-n{size}", t, p, 200, [255, -128, 7])
    for first, second in MIXED_DTYPES:
        for size in (13, 2 ** 17 + 1):
            t = _labels(rng, first, (size,), NUM_CLASSES, first != "bool")
            p = _labels(rng, second, (size,), NUM_CLASSES, second != "bool")
            yield Case(f"mixed-{first}-{second}-n{size}", t, p, NUM_CLASSES, 255)
    # weights: multiples of 1/4 up to 64 sum exactly in float64 in any order
    for dtype in ("uint8", "int32", "int64"):
        for size in (0, 7, 2 ** 17 + 3):
            shape = (size, 2)
            t = _labels(rng, dtype, shape, NUM_CLASSES, True)
            p = _labels(rng, dtype, shape, NUM_CLASSES, True)
            full = rng.integers(0, 256, size=shape) / 4
            yield Case(f"{dtype}-weights-full-n{size}", t, p, NUM_CLASSES, 255, full)
            yield Case(f"{dtype}-weights-column-n{size}", t, p, NUM_CLASSES, [1, 255],
                       np.array([0.25, 3.0]))
            yield Case(f"{dtype}-weights-fortran-n{size}", np.asfortranarray(t), p, NUM_CLASSES,
                       None, np.asfortranarray(full))


CASES = list(iter_cases())
