"""``sklearn.metrics.confusion_matrix`` and ``jaccard_score``, counted by fastiou.

Same signatures and the same numbers as scikit-learn for integer class labels.

Where it deliberately differs
-----------------------------
- Labels must be integers or bools (scikit-learn also takes strings); they may be any
  integers, negative or large, and arrays of any shape (flattened together; scikit-learn
  wants 1-D).
- ``zero_division="warn"`` gives 0 as scikit-learn does, without the warning.
- ``average="samples"`` (multilabel indicator input) is not supported.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import CountArray, FloatArray
from fastiou.compat import to_numpy
from fastiou.segmentation import metrics
from fastiou.segmentation._core import confusion_matrix as _count

__all__ = ["confusion_matrix", "jaccard_score"]

# direct indexing (no np.unique) when every label lies in [0, DIRECT_LIMIT)
DIRECT_LIMIT = 1 << 16


def _integer_labels(values: object, name: str) -> npt.NDArray[Any]:
    array = to_numpy(values, name)
    if array.dtype.kind == "b" or array.size == 0:
        return array.astype(np.uint8)
    if array.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must hold integer labels for fastiou.compat.sklearn, got dtype {array.dtype}")
    return array


def _value_space(y_true: npt.NDArray[Any], y_pred: npt.NDArray[Any], labels: npt.NDArray[np.int64] | None
                 ) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    """Sorted candidate values and the two arrays as indices into them.

    Non-negative labels below DIRECT_LIMIT index directly (values = 0..max); others go
    through np.unique and a search.
    """
    extra = np.zeros(0, np.int64) if labels is None else np.asarray(labels)
    pieces = [a for a in (y_true, y_pred, extra) if a.size]
    low = min(int(a.min()) for a in pieces)
    high = max(int(a.max()) for a in pieces)
    if low >= 0 and high < DIRECT_LIMIT:
        return np.arange(high + 1), y_true, y_pred
    values = np.unique(np.concatenate([np.unique(a.astype(np.int64, copy=False)) for a in pieces]))
    return values, np.searchsorted(values, y_true), np.searchsorted(values, y_pred)


def _check_labels(labels: npt.ArrayLike | None) -> npt.NDArray[np.int64] | None:
    if labels is None:
        return None
    selected = np.asarray(labels)
    if selected.ndim != 1 or selected.dtype.kind not in "iub" or selected.size == 0:
        raise ValueError(f"`labels` must be a non-empty 1-D sequence of integer labels, got {labels!r}")
    if np.unique(selected).size != selected.size:
        raise ValueError(f"`labels` must not repeat a label, got {labels!r}")
    return selected.astype(np.int64)


def _full_counts(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, labels: npt.NDArray[np.int64] | None,
                 sample_weight: npt.ArrayLike | None) -> tuple[npt.NDArray[Any], CountArray]:
    """(values, matrix over every value) with rows truth."""
    truth = _integer_labels(y_true, "y_true")
    pred = _integer_labels(y_pred, "y_pred")
    if truth.size != pred.size:
        raise ValueError(f"`y_true` has {truth.size} labels but `y_pred` has {pred.size}")
    truth, pred = truth.reshape(-1), pred.reshape(-1)
    if truth.size == 0:
        raise ValueError("`y_true` and `y_pred` are empty: at least one sample is required")
    values, truth_index, pred_index = _value_space(truth, pred, labels)
    weights = None
    if sample_weight is not None:
        weights = to_numpy(sample_weight, "sample_weight")
        if weights.shape != truth.shape:
            raise ValueError(f"`sample_weight` has shape {weights.shape}; it must have one weight per label "
                             f"{truth.shape}")
    matrix = _count(truth_index, pred_index, values.size, sample_weight=weights)
    if weights is not None and weights.dtype.kind in "biu":
        matrix = matrix.astype(np.int64)
    return values, matrix


def _positions(values: npt.NDArray[Any], labels: npt.NDArray[Any]) -> npt.NDArray[np.intp]:
    return np.searchsorted(values, labels)


def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, labels: npt.ArrayLike | None = None,
                     sample_weight: npt.ArrayLike | None = None,
                     normalize: Literal["true", "pred", "all"] | None = None) -> CountArray:
    """``sklearn.metrics.confusion_matrix``: rows truth, columns prediction, over `labels`.

    Parameters
    ----------
    y_true, y_pred : array_like of int
    labels : sequence of int, optional
        Rows and columns in this order; pairs whose truth or prediction is not listed are
        dropped. Default: every value present, sorted.
    sample_weight : array_like of float, optional
    normalize : {"true", "pred", "all"}, optional
        Divide by row sums, column sums or the total (0 where the sum is 0).

    Returns
    -------
    ndarray of shape (n_labels, n_labels)
        int64 counts (float64 with float weights or `normalize`).

    Examples
    --------
    >>> from fastiou.compat.sklearn import confusion_matrix
    >>> confusion_matrix([2, 0, 2, 2, 0, 1], [0, 0, 2, 2, 0, 2])
    array([[2, 0, 0],
           [0, 0, 1],
           [1, 0, 2]])
    """
    if normalize not in (None, "true", "pred", "all"):
        raise ValueError(f"`normalize` must be one of 'true', 'pred', 'all' or None, got {normalize!r}")
    labels = _check_labels(labels)
    values, matrix = _full_counts(y_true, y_pred, labels, sample_weight)
    if labels is None:
        present = (matrix.sum(axis=0) + matrix.sum(axis=1)) > 0
        if sample_weight is not None:  # a label with only zero-weight samples is still present
            present = _present_values(y_true, y_pred, values)
        matrix = matrix[np.ix_(present, present)]
    else:  # every label is among `values` (_value_space includes them)
        truth_values = _integer_labels(y_true, "y_true").reshape(-1)
        if not np.isin(labels, truth_values).any():
            raise ValueError("At least one label specified must be in y_true")
        index = _positions(values, labels)
        matrix = matrix[np.ix_(index, index)]
    if normalize is None:
        return matrix
    total = {"true": matrix.sum(axis=1, keepdims=True), "pred": matrix.sum(axis=0, keepdims=True),
             "all": matrix.sum()}[normalize]
    return metrics.ratio(matrix, np.broadcast_to(total, matrix.shape), 0.0)


def _present_values(y_true: npt.ArrayLike, y_pred: npt.ArrayLike,
                    values: npt.NDArray[Any]) -> npt.NDArray[np.bool_]:
    truth = _integer_labels(y_true, "y_true").reshape(-1)
    pred = _integer_labels(y_pred, "y_pred").reshape(-1)
    return np.isin(values, truth) | np.isin(values, pred)


def _zero_division_value(zero_division: object) -> float:
    if isinstance(zero_division, str):
        if zero_division != "warn":
            raise ValueError(f"`zero_division` must be 'warn', 0.0, 1.0 or np.nan, got {zero_division!r}")
        return 0.0
    value = metrics.check_zero_division(zero_division)
    if not (np.isnan(value) or value in (0.0, 1.0)):
        raise ValueError(f"`zero_division` must be 'warn', 0.0, 1.0 or np.nan, got {zero_division!r}")
    return value


def jaccard_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, labels: npt.ArrayLike | None = None,
                  pos_label: int = 1,
                  average: Literal["binary", "micro", "macro", "weighted"] | None = "binary",
                  sample_weight: npt.ArrayLike | None = None,
                  zero_division: Literal["warn"] | float = "warn") -> float | FloatArray:
    """``sklearn.metrics.jaccard_score`` for integer class labels.

    Parameters
    ----------
    y_true, y_pred : array_like of int
    labels : sequence of int, optional
        Labels to score and average over; pairs with other labels still count as errors.
        Default: every value present, sorted.
    pos_label : int
        The scored label with ``average="binary"``.
    average : {"binary", "micro", "macro", "weighted"} or None
        None returns the per-label scores.
    sample_weight : array_like of float, optional
    zero_division : "warn", 0.0, 1.0 or np.nan
        Score of a label absent from truth and prediction ("warn" = 0, silently). NaN
        scores are left out of the macro and weighted means.

    Returns
    -------
    float, or ndarray of float64 with ``average=None``

    Examples
    --------
    >>> from fastiou.compat.sklearn import jaccard_score
    >>> jaccard_score([0, 1, 2, 1], [0, 2, 2, 1], average=None)
    array([1. , 0.5, 0.5])
    >>> jaccard_score([0, 1, 1, 0], [0, 1, 0, 0])
    0.5
    """
    if average not in (None, "binary", "micro", "macro", "weighted"):
        if average == "samples":  # type: ignore[comparison-overlap]  # outside the Literal, checked
            raise ValueError("`average`='samples' applies to multilabel indicator input, which "
                             "fastiou.compat.sklearn does not take")
        raise ValueError(f"`average` must be one of None, 'binary', 'micro', 'macro', 'weighted', got {average!r}")
    zero_division = _zero_division_value(zero_division)
    labels = _check_labels(labels)
    values, matrix = _full_counts(y_true, y_pred, labels, sample_weight)
    present = _present_values(y_true, y_pred, values)
    if average == "binary":
        if present.sum() > 2:
            raise ValueError("Target is multiclass but `average`='binary'; choose another `average`")
        if present.any() and pos_label not in values[present] and present.sum() == 2:
            raise ValueError(f"`pos_label`={pos_label} is not a valid label: it must be one of "
                             f"{values[present].tolist()}")
        labels = np.array([pos_label], np.int64)
    elif labels is None:
        labels = values[present]
    known = np.isin(labels, values)
    tp = np.zeros(labels.size)
    fp = np.zeros(labels.size)
    fn = np.zeros(labels.size)
    index = _positions(values, labels[known])
    diagonal = np.diagonal(matrix).astype(np.float64)
    tp[known] = diagonal[index]
    fp[known] = matrix.sum(axis=0)[index] - diagonal[index]
    fn[known] = matrix.sum(axis=1)[index] - diagonal[index]
    if average is None:
        return metrics.ratio(tp, tp + fp + fn, zero_division)
    if average == "weighted" and not (tp + fn).any():
        average = "macro"  # scikit-learn drops all-zero weights and takes the plain mean
    cm_options = dict(zero_division=zero_division, average="macro" if average == "binary" else average)
    return metrics.reduce_ratio(tp, tp + fp + fn, tp + fn, labels=None, classes_in_truth_only=False,
                                per_image=False, multilabel=False, **cm_options)
