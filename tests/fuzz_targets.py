"""Differential fuzz targets: each turns a byte string into a call of a public fastiou function
and checks it against the NumPy reference, or checks that bad input raises a clear
TypeError/ValueError and nothing else. Used by tools/fuzz.py (atheris, long runs) and by
tests/test_fuzz.py (a short run of random byte strings inside the suite).
"""

import numpy as np

import fastiou
from fastiou import reference
from fastiou._core import count_pairs

LABEL_DTYPES = ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32", "uint64", "int64"]


class ByteReader:
    """Draws bounded values from a byte string; past its end it yields zeros."""

    def __init__(self, data):
        self.data = data
        self.pos = 0

    def byte(self):
        value = self.data[self.pos] if self.pos < len(self.data) else 0
        self.pos += 1
        return value

    def integer(self, low, high):
        """An int in [low, high] from up to four bytes."""
        span = high - low + 1
        value = 0
        for _ in range(4 if span > 256 else 1):
            value = value * 256 + self.byte()
        return low + value % span

    def choice(self, options):
        return options[self.integer(0, len(options) - 1)]

    def raw(self, count):
        chunk = self.data[self.pos:self.pos + count]
        self.pos += count
        return chunk.ljust(count, b"\0")


def _labels(reader, dtype, size, num_classes):
    """Labels mostly in range, with the bytes' own values (any bit pattern) mixed in."""
    dtype = np.dtype(dtype)
    raw = np.frombuffer(reader.raw(size * dtype.itemsize), dtype=dtype.newbyteorder("<")).astype(dtype)
    if dtype == np.bool_:
        return raw.view(np.uint8).astype(bool) if size else np.zeros(0, bool)
    in_range = (raw.astype(np.uint64) % np.uint64(num_classes)).astype(dtype)
    keep_raw = np.frombuffer(reader.raw(size), dtype=np.uint8) < 40
    return np.where(keep_raw, raw, in_range)


def _layout(reader, array, shape):
    array = array.reshape(shape)
    kind = reader.choice(["C", "F", "reversed", "strided"])
    if kind == "F":
        return np.asfortranarray(array)
    if kind == "reversed":
        return np.ascontiguousarray(array[::-1])[::-1]
    if kind == "strided":
        return np.repeat(array, 2, axis=-1)[..., ::2]
    return array


def confusion_target(data):
    """Fast kernel == NumPy reference on arbitrary labels, ignore sets, weights, threads."""
    reader = ByteReader(data)
    num_classes = reader.integer(1, 300)
    dims = reader.integer(1, 3)
    shape = tuple(reader.integer(0, 9 if dims > 1 else 700) for _ in range(dims))
    size = int(np.prod(shape))
    first_dtype = reader.choice(LABEL_DTYPES)
    second_dtype = first_dtype if reader.byte() < 160 else reader.choice(LABEL_DTYPES)
    truth = _layout(reader, _labels(reader, first_dtype, size, num_classes), shape)
    pred = _layout(reader, _labels(reader, second_dtype, size, num_classes), shape)
    ignore = [reader.integer(-2, 300) for _ in range(reader.integer(0, 3))]
    weights = None
    if reader.byte() < 64:
        weights = np.frombuffer(reader.raw(size), dtype=np.uint8).astype(np.float64) / 4
        weights = weights.reshape(shape)
    n_threads = reader.integer(1, 3)
    before = [truth.copy(), pred.copy()]

    counts = count_pairs(truth, pred, num_classes, ignore_index=ignore, sample_weight=weights,
                         n_threads=n_threads, out_of_range="miss")

    def to_int64(labels):   # uint64 values past int64 are out of range either way
        if labels.dtype == np.uint64:
            return np.minimum(labels, np.iinfo(np.int64).max).astype(np.int64)
        return labels.astype(np.int64)

    expected = reference.confusion_counts(to_int64(truth), to_int64(pred), num_classes, ignore, weights)
    for got, want in zip(counts, expected):
        assert np.array_equal(got, want), (got, want)
    assert np.array_equal(truth, before[0]) and np.array_equal(pred, before[1])
    if counts.n_bad_true or counts.n_bad_pred:
        try:
            fastiou.confusion_matrix(truth, pred, num_classes, ignore_index=ignore)
        except ValueError as error:
            assert "outside" in str(error)
        else:
            raise AssertionError("out-of-range labels did not raise")


def bad_input_target(data):
    """Arbitrary junk arguments give TypeError/ValueError (or a valid result), never a crash."""
    reader = ByteReader(data)
    junk = [None, 0, -1, 2.5, "x", [], [[0, 1], [2]], np.array(1), np.zeros((2, 2)),
            np.array([1j]), np.array([None]), np.arange(4), np.arange(4).reshape(2, 2),
            np.arange(6, dtype=np.uint8), True, 10 ** 30, -(10 ** 30), (1, 2), np.ones(4) * np.nan]
    args = [reader.choice(junk) for _ in range(3)]
    kwargs = {}
    for name in ("ignore_index", "sample_weight", "n_threads", "out_of_range"):
        if reader.byte() < 80:
            kwargs[name] = reader.choice(junk + ["raise", "miss", "ignore"])
    function = reader.choice([fastiou.confusion_matrix, fastiou.per_class_iou, fastiou.mean_iou])
    try:
        function(*args, **kwargs)
    except (TypeError, ValueError):
        pass


TARGETS = {"confusion": confusion_target, "bad_input": bad_input_target}
