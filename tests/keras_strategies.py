"""Hypothesis strategies for the Keras differential tests: constructor arguments and calls
(``update_state`` / ``__call__`` / ``result`` / ``reset_state``) for each Keras IoU class.

Hypothesis draws the choices (sizes, containers, dtypes, arguments) and a seed; the values
themselves come from a NumPy generator seeded with it, which keeps an example cheap to draw
(the Keras side costs about a millisecond an example, and the slow tests run 10,000 a class).

Inputs cover what Keras accepts: NumPy arrays of every integer, bool and float dtype, Python
lists and scalars, CPU torch tensors; labels inside and outside the classes, values that wrap
around the metric's dtype or do not convert to it, fractional and non-finite floats; dense
scores with ties and NaN, one-hot and soft truth; weights of every kind (negative, fractional,
huge, broadcast, the wrong size); every state dtype; repeated and negative target ids.
"""

import numpy as np
from hypothesis import strategies as st

try:
    import torch
except ImportError:  # pragma: no cover - the Keras tests need torch anyway
    torch = None

INT_DTYPES = (np.uint8, np.int8, np.int16, np.uint16, np.int32, np.uint32, np.int64, np.uint64, np.bool_)
FLOAT_DTYPES = (np.float16, np.float32, np.float64)
STATE_DTYPES = (None, None, None, "int32", "int64", "int16", "uint8", "uint16", "uint32", "float16",
                "bfloat16", "float32", "float32", "float64", "mixed_float16", "mixed_bfloat16",
                "bool", "complex64")
FRACTIONS = np.array([0.0, 0.0, 0.5, -0.5, 0.999, -0.3, 0.25])
WEIGHT_VALUES = np.array([0, 1, 1, 2, 3, 7, -1, -3, 0.5, 1.25, 2.75, 0.1, 0.3, -0.7, 2 ** 11, 2 ** 20 + 1,
                          2 ** 30, 1e-10, 1e-3, 3e9, np.nan, np.inf])
SCORE_VALUES = np.array([0.0, 0.5, 1.0, 0.25, -1.0, 2.0, np.nan, np.inf, 0.1, 0.7])
PROBABILITIES = np.array([0.0, 0.3, 0.5, 1.0, 0.49999997, 0.50000006, 0.30000001, 0.2999999, 2.0, -1.0,
                          0.7, np.nan, np.inf, -np.inf, 1e-45, 0.1])
THRESHOLDS = (0.5, 0.5, 0.3, 0.0, 1, 0.30000001, 0.49999999999, float("inf"), -float("inf"),
              float("nan"), np.float64(0.7), np.float32(0.3), True, 1e-45, -0.0)
CONTAINERS = ("int", "int", "int", "float", "list", "float_list", "tensor", "scalar")


def _specials(num_classes):
    return np.array([-1, -2, num_classes, num_classes + 1, 255, 256, 257, 2049, 2 ** 16 + 1, 2 ** 31,
                     2 ** 32 + 1, -2 ** 31, 2 ** 32, 2 ** 31 - 1, 2 ** 24 + 1], dtype=np.int64)


def _shape(rng, n):
    """A shape holding `n` elements: (n,), (1, n), (a, n // a) or, for one element, ()."""
    if n == 0:
        return (0,)
    options = [(n,), (n,), (1, n)] + [(a, n // a) for a in range(2, n + 1) if n % a == 0][:2]
    if n == 1:
        options.append(())
    return options[rng.integers(len(options))]


def _labels(rng, num_classes, n, low=-1, rare=0.15):
    """`n` int64 labels, mostly in [low, num_classes], some special."""
    values = rng.integers(low, num_classes + 1, n)
    special = rng.random(n) < rare
    values[special] = rng.choice(_specials(num_classes), int(special.sum()))
    return values


def _container(rng, values, shape, kind):
    """int64 or float64 `values` as an array of some dtype, a list, a scalar or a tensor."""
    if kind == "scalar" and shape != ():
        kind = "int"
    if kind == "tensor" and torch is None:
        kind = "int"
    if kind in ("float", "float_list"):
        values = values.astype(np.float64) + rng.choice(FRACTIONS, values.size)
        if values.size and rng.random() < 0.2:
            values[rng.integers(values.size)] = rng.choice([np.nan, np.inf, -np.inf, 1e20, -1e20])
    if kind == "int":
        dtype = INT_DTYPES[rng.integers(len(INT_DTYPES))]
        with np.errstate(over="ignore"):
            array = (values != 0) if dtype is np.bool_ else values.astype(np.int64).astype(dtype)
        return array.reshape(shape)
    if kind == "float":
        with np.errstate(over="ignore"):
            return values.astype(FLOAT_DTYPES[rng.integers(3)]).reshape(shape)
    if kind == "tensor":
        dtype = (torch.int64, torch.int32, torch.uint8, torch.float32, torch.float64)[rng.integers(5)]
        array = values.astype(np.float64)
        if dtype == torch.uint8:
            array = np.mod(array, 256)
        elif dtype == torch.int32:
            array = np.clip(array, -2 ** 31, 2 ** 31 - 1)
        return torch.tensor(array.reshape(shape)).to(dtype)
    if kind == "scalar":
        return values.reshape(()).item()
    return values.reshape(shape).tolist()


def _weights(rng, kind, n, shape):
    """A `sample_weight` for `n` labels of `shape`."""
    if kind == "none":
        return None
    if kind == "scalar":
        value = rng.choice(WEIGHT_VALUES)
        whole = np.isfinite(value) and value == np.trunc(value) and abs(value) < 2 ** 40
        return int(value) if whole and rng.random() < 0.5 else float(value)
    count = {"one": 1, "wrong": n + 1}.get(kind, n)
    values = rng.choice(WEIGHT_VALUES, count)
    if kind == "list":
        return values.tolist()
    dtype = (np.int32, np.int64, np.float32, np.float64, np.float16, np.bool_)[rng.integers(6)]
    with np.errstate(invalid="ignore", over="ignore"):
        array = values.astype(dtype)
    if kind == "array" and rng.random() < 0.5 and int(np.prod(shape)) == n:
        array = array.reshape(shape)
    return array


WEIGHT_KINDS = ("none", "none", "none", "scalar", "array", "array", "list", "one", "wrong")


@st.composite
def sparse_batches(draw, num_classes, max_size=12, low=-1):
    """``(y_true, y_pred, sample_weight)`` of labels."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n = draw(st.integers(0, max_size))
    shape = _shape(rng, n)
    truth = _container(rng, _labels(rng, num_classes, n, low), shape, draw(st.sampled_from(CONTAINERS)))
    pairing = draw(st.sampled_from(["same"] * 8 + ["one", "other"]))
    m = {"same": n, "one": 1, "other": n + 1 if rng.random() < 0.5 else max(n - 1, 0)}[pairing]
    pred_shape = shape if m == n else _shape(rng, m)
    pred = _container(rng, _labels(rng, num_classes, m, low), pred_shape, draw(st.sampled_from(CONTAINERS)))
    return truth, pred, _weights(rng, draw(st.sampled_from(WEIGHT_KINDS)), n, shape)


def _class_shape(label_shape, channels, axis):
    if axis in (-1, None):
        return tuple(label_shape) + (channels,)
    if axis == 0:
        return (channels,) + tuple(label_shape)
    return tuple(label_shape[:1]) + (channels,) + tuple(label_shape[1:])


def _scores(rng, label_shape, channels, axis, kind):
    """Dense scores of `label_shape` with `channels` classes along `axis` (ties, NaN)."""
    n = int(np.prod(label_shape, dtype=np.int64))
    values = rng.choice(SCORE_VALUES, n * channels).reshape(_class_shape(label_shape, channels, axis))
    if kind == "list":
        return values.tolist()
    return values.astype(FLOAT_DTYPES[rng.integers(3)])


def _one_hot(rng, label_shape, channels, axis, kind):
    """Dense truth: exact one-hot rows (of some dtype) or soft scores."""
    if kind == "soft":
        return _scores(rng, label_shape, channels, axis, "array")
    rows = np.eye(channels)[rng.integers(0, channels, label_shape)]
    if axis == 0:
        rows = np.moveaxis(rows, -1, 0)
    elif axis not in (-1, None):
        rows = np.moveaxis(rows, -1, axis)
    dtype = (np.float32, np.float64, np.int64, np.uint8, np.bool_)[rng.integers(5)]
    return np.ascontiguousarray(rows.astype(dtype))


@st.composite
def dense_batches(draw, num_classes, sparse_y_true, sparse_y_pred, axis):
    """A batch for dense inputs (`axis` the class axis)."""
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n = draw(st.integers(1, 8))
    label_shape = [(n,), (1, n), (2, n // 2) if n % 2 == 0 else (n, 1)][rng.integers(3)]
    channels = draw(st.sampled_from([num_classes] * 4 + [max(num_classes - 1, 1), num_classes + 2]))
    if sparse_y_true:
        truth = _container(rng, _labels(rng, num_classes, n), label_shape, draw(st.sampled_from(CONTAINERS)))
    else:
        truth = _one_hot(rng, label_shape, channels, axis, draw(st.sampled_from(["hot", "hot", "hot", "soft"])))
    if sparse_y_pred:
        pred = _container(rng, _labels(rng, num_classes, n), label_shape, draw(st.sampled_from(CONTAINERS)))
    else:
        pred = _scores(rng, label_shape, channels, axis, draw(st.sampled_from(["array"] * 3 + ["list"])))
    return truth, pred, _weights(rng, draw(st.sampled_from(WEIGHT_KINDS)), n, label_shape)


def ignore_classes(num_classes):
    return st.sampled_from([None, None, None, 0, 1, num_classes - 1, num_classes, -1, 255, 1.5,
                            np.int64(1), 2 ** 40, -300, float("nan")])


def target_ids(num_classes):
    """Ids Keras reads inside the matrix: [-2C, C), repeats allowed."""
    return st.lists(st.integers(-2 * num_classes, num_classes - 1), min_size=1, max_size=num_classes + 3)


def num_classes_strategy(low=1):
    return st.one_of(st.integers(low, 6), st.integers(low, 6), st.integers(7, 40))


@st.composite
def calls_with(draw, batch_strategy):
    """A short sequence of calls: updates (some through ``__call__``), results, a reset."""
    calls = []
    for _ in range(draw(st.sampled_from([1, 1, 2, 3]))):
        batch = draw(batch_strategy)
        args = batch if batch[2] is not None else batch[:2]
        calls.append((draw(st.sampled_from(["update_state", "update_state", "__call__"])), args))
        if draw(st.integers(0, 7)) == 0:
            calls.append(("reset_state", ()))
    calls.append(("result", ()))
    return calls


@st.composite
def _label_or_dense_calls(draw, num_classes, kwargs):
    sparse_true = draw(st.sampled_from([True, True, True, False]))
    sparse_pred = draw(st.sampled_from([True, True, False]))
    if sparse_true and sparse_pred:
        kwargs["axis"] = draw(st.sampled_from([-1] * 8 + [0, 1, None]))
        return draw(calls_with(sparse_batches(num_classes)))
    axis = draw(st.sampled_from([-1] * 6 + [0, 1, None]))
    kwargs.update(sparse_y_true=sparse_true, sparse_y_pred=sparse_pred, axis=axis)
    return draw(calls_with(dense_batches(num_classes, sparse_true, sparse_pred, axis)))


@st.composite
def iou_cases(draw):
    num_classes = draw(num_classes_strategy())
    kwargs = {"num_classes": num_classes, "target_class_ids": draw(target_ids(num_classes)),
              "dtype": draw(st.sampled_from(STATE_DTYPES)), "ignore_class": draw(ignore_classes(num_classes))}
    return kwargs, draw(_label_or_dense_calls(num_classes, kwargs))


@st.composite
def mean_iou_cases(draw):
    num_classes = draw(num_classes_strategy())
    kwargs = {"num_classes": num_classes, "dtype": draw(st.sampled_from(STATE_DTYPES)),
              "ignore_class": draw(ignore_classes(num_classes))}
    return kwargs, draw(_label_or_dense_calls(num_classes, kwargs))


@st.composite
def one_hot_iou_cases(draw, mean=False):
    num_classes = draw(num_classes_strategy(low=2))
    kwargs = {"num_classes": num_classes, "dtype": draw(st.sampled_from(STATE_DTYPES)),
              "ignore_class": draw(ignore_classes(num_classes))}
    if not mean:
        kwargs["target_class_ids"] = draw(target_ids(num_classes))
    sparse_pred = draw(st.sampled_from([False, False, False, True]))
    axis = draw(st.sampled_from([-1] * 6 + [0, 1]))
    kwargs.update(sparse_y_pred=sparse_pred, axis=axis)
    return kwargs, draw(calls_with(dense_batches(num_classes, False, sparse_pred, axis)))


@st.composite
def binary_batches(draw):
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    n = draw(st.integers(0, 12))
    shape = _shape(rng, n)
    labels = np.where(rng.random(n) < 0.8, rng.integers(0, 2, n), rng.choice([-1, 2, 255, 2 ** 32 + 1, -2 ** 31], n))
    truth = _container(rng, labels, shape, draw(st.sampled_from(CONTAINERS)))
    m = n if draw(st.integers(0, 9)) else draw(st.sampled_from([1, n + 1]))
    pred_shape = shape if m == n else _shape(rng, m)
    probabilities = rng.choice(PROBABILITIES, m)
    kind = draw(st.sampled_from(["float", "float", "list", "int", "scalar"]))
    if kind == "float":
        pred = probabilities.astype(FLOAT_DTYPES[rng.integers(3)]).reshape(pred_shape)
    elif kind == "int":
        whole = np.clip(np.nan_to_num(probabilities), -5, 5).astype(np.int64)
        pred = whole.astype((np.int64, np.uint8, np.bool_)[rng.integers(3)]).reshape(pred_shape)
    elif kind == "scalar" and pred_shape == ():
        pred = float(probabilities[0])
    else:
        pred = probabilities.reshape(pred_shape).tolist()
    return truth, pred, _weights(rng, draw(st.sampled_from(WEIGHT_KINDS)), n, shape)


@st.composite
def binary_iou_cases(draw):
    kwargs = {"target_class_ids": draw(st.lists(st.integers(-4, 1), min_size=1, max_size=4)),
              "threshold": draw(st.sampled_from(THRESHOLDS)),
              "dtype": draw(st.sampled_from(STATE_DTYPES))}
    return kwargs, draw(calls_with(binary_batches()))


CASES = {"IoU": iou_cases(), "MeanIoU": mean_iou_cases(), "BinaryIoU": binary_iou_cases(),
         "OneHotIoU": one_hot_iou_cases(), "OneHotMeanIoU": one_hot_iou_cases(mean=True)}
