"""Read what kind of input ``y_true`` / ``y_pred`` are and lay them out for ``_scores``.

``confusion_matrix`` and every function built on it accept, besides two integer label
maps, class scores with a class axis (``axis=``), binary or multilabel probabilities
(``threshold=``), one-hot truth (``axis=``), multilabel masks (``multilabel=True``) and
per-image counting (``per_image=True``). :func:`plan_counting` checks that the options fit
the arrays, raising a ``TypeError``/``ValueError`` that names the arguments otherwise, and
returns a :class:`CountingPlan` the kernel takes as it is.
"""

from __future__ import annotations

import numbers
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from fastiou._shared._validation import (
    as_array,
    as_label_array,
    bool_as_uint8,
    check_num_classes,
    ignore_values,
    native_order,
)

# the argument values of _scores.tile_counts
KIND_LABELS, KIND_ARGMAX, KIND_THRESHOLD, KIND_ONE_HOT = 0, 1, 2, 3
SCORE_DTYPES = (np.dtype(np.float16), np.dtype(np.float32), np.dtype(np.float64))
ONE_HOT_DTYPES = (np.dtype(np.uint8), np.dtype(np.int32), np.dtype(np.int64),
                  np.dtype(np.float32), np.dtype(np.float64))
DEFAULT_THRESHOLD = 0.5


class CountingPlan(NamedTuple):
    """Contiguous arrays and the geometry ``(outer, channels, inner)`` for the kernel."""

    truth: np.ndarray
    truth_kind: int
    pred: np.ndarray
    pred_kind: int
    channels: int
    inner: int
    n_pixels: int
    num_classes: int
    groups: int
    multilabel: bool
    n_images: int
    ignore: np.ndarray
    threshold: float
    label_shape: tuple[int, ...]


def as_score_array(values: npt.NDArray[Any], name: str = "y_pred", *,
                   half: bool = True) -> npt.NDArray[np.floating[Any]]:
    """Return float scores as a C-contiguous native float16/32/64 array."""
    array = native_order(values)
    if array.dtype not in SCORE_DTYPES:
        array = array.astype(np.float64)
    if array.dtype == np.float16 and not half:
        array = array.astype(np.float32)
    return np.ascontiguousarray(array)


def normalize_axis(axis: object, ndim: int, name: str = "axis", array_name: str = "y_pred") -> int:
    """Return `axis` as a non-negative int below `ndim`."""
    if isinstance(axis, (bool, np.bool_)) or not isinstance(axis, numbers.Integral):
        raise TypeError(f"`{name}` must be an int, got {type(axis).__name__} {axis!r}")
    if not -ndim <= axis < ndim:
        raise ValueError(
            f"`{name}`={axis} is out of range for `{array_name}` with {ndim} dimension(s); "
            f"it must lie in [{-ndim}, {ndim})"
        )
    return int(axis) % ndim


def check_threshold(threshold: object) -> float:
    """Return `threshold` as a finite float (None -> the 0.5 default)."""
    if threshold is None:
        return DEFAULT_THRESHOLD
    if isinstance(threshold, (bool, np.bool_)) or not isinstance(threshold, numbers.Real):
        raise TypeError(f"`threshold` must be a real number, got {type(threshold).__name__} {threshold!r}")
    if not np.isfinite(threshold):
        raise ValueError(f"`threshold` must be finite, got {threshold}")
    return float(threshold)


def _is_float(array):
    return array.dtype.kind == "f"


def _check_num_classes_matches(num_classes, channels, axis, what):
    if num_classes is None:
        return channels
    num_classes = check_num_classes(num_classes)
    if num_classes != channels:
        raise ValueError(
            f"`num_classes`={num_classes} but {what} has {channels} entries along `axis`={axis}; "
            "they must be equal (or pass num_classes=None)"
        )
    return num_classes


def _label_map(values, name, shape):
    """Integer labels of `shape`, C-contiguous (bool viewed as uint8)."""
    labels = as_label_array(values, name)
    if labels.shape != shape:
        raise ValueError(f"`{name}` has shape {labels.shape} but {shape} was expected")
    return np.ascontiguousarray(labels)


def _one_hot_map(values):
    array = native_order(values)
    if array.dtype.kind == "b":
        array = bool_as_uint8(array)
    elif array.dtype.kind not in "iuf":
        raise TypeError(f"one-hot `y_true` must hold numbers or bools, got dtype {array.dtype}")
    if array.dtype not in ONE_HOT_DTYPES:
        array = array.astype(np.float64 if array.dtype.kind == "f" else np.int64)
    return np.ascontiguousarray(array)


def _geometry(shape, axis):
    outer = int(np.prod(shape[:axis], dtype=np.int64))
    inner = int(np.prod(shape[axis + 1:], dtype=np.int64))
    return outer, shape[axis], inner


def _images(per_image, shape, axis):
    """Number of images (0 when not per image); the batch is axis 0."""
    if not per_image:
        return 0
    if len(shape) < 2:
        raise ValueError("`per_image=True` needs a batch axis 0 and at least one more axis; "
                         f"the labels have shape {shape}")
    if axis == 0:
        raise ValueError("`per_image=True` reads axis 0 as the batch, so the class `axis` cannot be 0")
    return shape[0]


def plan_counting(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: object, *,
                  ignore_index: object = None, axis: object = None, threshold: object = None,
                  per_image: object = False, multilabel: object = False, weighted: bool = False
                  ) -> CountingPlan | None:
    """Check the options against the arrays and lay them out for ``_scores.tile_counts``.

    Returns None for two integer label maps counted as a whole (the fast label kernels of
    ``fastiou.segmentation._confusion`` do that), else a :class:`CountingPlan`.
    """
    truth = as_array(y_true, "y_true", "array-like")
    pred = as_array(y_pred, "y_pred", "array-like")
    if not isinstance(per_image, (bool, np.bool_)):
        raise TypeError(f"`per_image` must be a bool, got {type(per_image).__name__}")
    if not isinstance(multilabel, (bool, np.bool_)):
        raise TypeError(f"`multilabel` must be a bool, got {type(multilabel).__name__}")
    if weighted and (per_image or multilabel):
        option = "per_image=True" if per_image else "multilabel=True"
        raise ValueError(f"`sample_weight` is not supported with `{option}`; "
                         "count without weights or weight whole images yourself")
    for name, array in (("y_true", truth), ("y_pred", pred)):
        if array.ndim == 0:
            raise ValueError(f"`{name}` must be an array with at least one dimension, got a 0-d array")
    if multilabel:
        return _plan_multilabel(truth, pred, num_classes, ignore_index, axis, threshold, per_image)
    if _is_float(pred) and axis is None and pred.ndim == truth.ndim + 1:
        raise ValueError(
            f"`y_pred` is float with shape {pred.shape}, one axis more than `y_true` {truth.shape}: "
            "it looks like class scores, so pass the class `axis` (1 for (N, C, H, W), -1 for "
            "channels-last)"
        )
    if _is_float(pred) and axis is None:
        if threshold is None:
            raise TypeError(
                f"`y_pred` holds {pred.dtype} values, not integer labels: pass `threshold=` to read "
                "them as binary probabilities, `axis=` for class scores, or cast your labels"
            )
        return _plan_binary(truth, pred, num_classes, ignore_index, threshold, per_image)
    if threshold is not None:
        if _is_float(pred):
            raise ValueError("`threshold` applies to binary or multilabel probabilities; with class "
                             "scores and `axis` the largest score decides. Drop `threshold`")
        raise ValueError(f"`threshold` was given but `y_pred` holds labels of dtype {pred.dtype}, "
                         "not probabilities; drop `threshold`")
    if axis is None:
        if num_classes is None:
            raise TypeError("`num_classes` is required for label inputs (it may be None only "
                            "with a class `axis`)")
        if not per_image:
            return None
        return _plan_labels_per_image(truth, pred, num_classes, ignore_index)
    return _plan_class_axis(truth, pred, num_classes, ignore_index, axis, per_image)


def _plan_labels_per_image(truth, pred, num_classes, ignore_index):
    num_classes = check_num_classes(num_classes)
    truth_labels = _label_map(truth, "y_true", truth.shape)
    pred_labels = _label_map(pred, "y_pred", truth.shape)
    n_images = _images(True, truth.shape, None)
    return CountingPlan(truth_labels, KIND_LABELS, pred_labels, KIND_LABELS, 1, 1,
                        truth.size, num_classes, 1, False, n_images,
                        _ignore(ignore_index, truth_labels), 0.0, truth.shape)


def _ignore(ignore_index, truth_labels):
    return ignore_values(ignore_index, truth_labels.dtype).astype(np.int64)


def _plan_binary(truth, pred, num_classes, ignore_index, threshold, per_image):
    if pred.shape != truth.shape:
        raise ValueError(
            f"`y_pred` is float with shape {pred.shape} and `y_true` has shape {truth.shape}: "
            "binary probabilities need the labels' shape; class scores need one more axis and `axis`"
        )
    if num_classes is not None and check_num_classes(num_classes) != 2:
        raise ValueError(
            f"float `y_pred` without `axis` is read as binary probabilities (2 classes), but "
            f"`num_classes`={num_classes}; pass class scores with `axis`, or num_classes=2"
        )
    threshold = check_threshold(threshold)
    truth_labels = _label_map(truth, "y_true", truth.shape)
    probabilities = as_score_array(pred, half=False)
    return CountingPlan(truth_labels, KIND_LABELS, probabilities, KIND_THRESHOLD, 1, 1,
                        truth.size, 2, 1, False, _images(per_image, truth.shape, None),
                        _ignore(ignore_index, truth_labels), threshold, truth.shape)


def _plan_class_axis(truth, pred, num_classes, ignore_index, axis, per_image):
    if _is_float(pred):
        scores = pred
        axis = normalize_axis(axis, scores.ndim)
        one_hot_truth = truth.shape == scores.shape
        label_shape = scores.shape[:axis] + scores.shape[axis + 1:]
        if not one_hot_truth and truth.shape != label_shape:
            raise ValueError(
                f"`y_true` has shape {truth.shape}; with class scores `y_pred` of shape {scores.shape} "
                f"and `axis`={axis} it must be {label_shape} (labels) or {scores.shape} (one-hot)"
            )
        if scores.shape[axis] < 2:
            raise ValueError(
                f"`y_pred` has {scores.shape[axis]} entry along `axis`={axis}: class scores need at "
                "least 2 classes; pass binary probabilities without `axis` (with `threshold=`)"
            )
        num_classes = _check_num_classes_matches(num_classes, scores.shape[axis], axis, "`y_pred`")
        pred_array, pred_kind = as_score_array(scores), KIND_ARGMAX
    else:
        if truth.ndim != pred.ndim + 1:
            raise ValueError(
                f"`axis` was given but `y_pred` holds labels (dtype {pred.dtype}) and `y_true` has "
                f"shape {truth.shape}: `axis` names the class axis of float scores in `y_pred` or "
                "of a one-hot `y_true`"
            )
        axis = normalize_axis(axis, truth.ndim, array_name="y_true")
        label_shape = truth.shape[:axis] + truth.shape[axis + 1:]
        num_classes = _check_num_classes_matches(num_classes, truth.shape[axis], axis, "one-hot `y_true`")
        pred_array, pred_kind = _label_map(pred, "y_pred", label_shape), KIND_LABELS
        one_hot_truth = True
    full_shape = label_shape[:axis] + (num_classes,) + label_shape[axis:]
    _, channels, inner = _geometry(full_shape, axis)
    if one_hot_truth:
        if ignore_index is not None:
            raise ValueError("`ignore_index` needs integer labels in `y_true`, but `y_true` is one-hot "
                             "along `axis`; drop the ignored pixels or pass labels")
        truth_array, truth_kind = _one_hot_map(truth), KIND_ONE_HOT
        ignore = np.zeros(0, dtype=np.int64)
    else:
        truth_array, truth_kind = _label_map(truth, "y_true", label_shape), KIND_LABELS
        ignore = _ignore(ignore_index, truth_array)
    n_images = _images(per_image, full_shape, axis)
    n_pixels = int(np.prod(label_shape, dtype=np.int64))
    return CountingPlan(truth_array, truth_kind, pred_array, pred_kind, channels, inner, n_pixels,
                        num_classes, 1, False, n_images, ignore, 0.0, label_shape)


def _plan_multilabel(truth, pred, num_classes, ignore_index, axis, threshold, per_image):
    if truth.shape != pred.shape:
        raise ValueError(f"with `multilabel=True`, `y_pred` has shape {pred.shape} but `y_true` has "
                         f"shape {truth.shape}; they must be equal")
    if truth.ndim < 2:
        raise ValueError(f"`multilabel=True` needs a label axis; the arrays have shape {truth.shape}")
    axis = normalize_axis(1 if axis is None else axis, truth.ndim)
    labels = _check_num_classes_matches(num_classes, truth.shape[axis], axis, "`y_true`")
    truth_array = _label_map(truth, "y_true", truth.shape)
    if _is_float(pred):
        pred_array, pred_kind = as_score_array(pred, half=False), KIND_THRESHOLD
        threshold = check_threshold(threshold)
    else:
        if threshold is not None:
            raise ValueError(f"`threshold` was given but `y_pred` holds labels of dtype {pred.dtype}, "
                             "not probabilities; drop `threshold`")
        pred_array, pred_kind, threshold = _label_map(pred, "y_pred", truth.shape), KIND_LABELS, 0.0
    _, channels, inner = _geometry(truth.shape, axis)
    n_images = _images(per_image, truth.shape, axis)
    return CountingPlan(truth_array, KIND_LABELS, pred_array, pred_kind, channels, inner,
                        truth.size // channels, 2, labels, True, n_images,
                        _ignore(ignore_index, truth_array), threshold, truth.shape)


def decode_for_weights(plan: CountingPlan) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Integer truth and prediction label maps of a plan, for the weighted label kernel.

    Weighted counting of scores, probabilities or one-hot truth takes this extra NumPy pass
    (an argmax / threshold array is materialised); unweighted counting never does.
    """
    def labels_of(array, kind):
        if kind == KIND_LABELS:
            return array
        # an explicit outer size: reshape cannot infer -1 when another axis is 0
        shaped = array.reshape(plan.n_pixels // max(plan.inner, 1), plan.channels, plan.inner)
        if kind == KIND_ARGMAX:
            return np.argmax(shaped, axis=1)
        if kind == KIND_THRESHOLD:
            return (array > plan.threshold).astype(np.uint8)
        rows_ok = ((shaped == 0) | (shaped == 1)).all(axis=1) & ((shaped == 1).sum(axis=1) == 1)
        if not rows_ok.all():
            raise not_one_hot_error(int((~rows_ok).sum()))
        return np.argmax(shaped, axis=1)

    truth = labels_of(plan.truth, plan.truth_kind).reshape(-1)
    pred = labels_of(plan.pred, plan.pred_kind).reshape(-1)
    return truth, pred


def not_one_hot_error(count: int) -> ValueError:
    return ValueError(
        f"`y_true` is read as one-hot along `axis`, but {count} row(s) are not one-hot "
        "(exactly one 1, every other value 0)"
    )
