"""torchmetrics' functional Jaccard index and multiclass confusion matrix, counted by fastiou.

Same signatures and the same numbers as ``torchmetrics.functional.classification``
(1.x). NumPy arrays or CPU torch tensors in, NumPy out.

Where it deliberately differs
-----------------------------
- Results are float64 NumPy values (torchmetrics computes in float32 tensors), so they
  agree to float32 precision, and are exact where torchmetrics rounds.
- A label outside ``[0, num_classes)`` (not `ignore_index`) always raises a ``ValueError``:
  torchmetrics raises too with ``validate_args=True``, but with ``validate_args=False`` it
  silently aliases it into another cell (``target * C + pred``). `validate_args` is
  accepted and has no effect.
- ``normalize`` in ``multiclass_confusion_matrix`` gives 0 for an empty row or column, as
  torchmetrics does, without its warning.
- Float class scores are argmaxed inside fastiou's counting pass; softmax is never needed
  since it does not change the argmax.
"""

from __future__ import annotations

from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import CountArray, FloatArray
from fastiou.compat import to_numpy
from fastiou.segmentation import metrics
from fastiou.segmentation._core import count_pairs

_Average = Literal["micro", "macro", "weighted", "none"] | None

__all__ = ["binary_jaccard_index", "multiclass_confusion_matrix", "multiclass_jaccard_index",
           "multilabel_jaccard_index"]

AVERAGES = ("micro", "macro", "weighted", "none", None)


def _check_average(average: object) -> None:
    if average not in AVERAGES:
        raise ValueError(f"`average` must be one of 'micro', 'macro', 'weighted', 'none' or None, got {average!r}")


def _probabilities(preds: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """torchmetrics' rule: float predictions outside [0, 1] are logits and go through a sigmoid."""
    if preds.dtype.kind == "f" and preds.size and (preds.min() < 0 or preds.max() > 1):
        with np.errstate(over="ignore"):
            return (1 / (1 + np.exp(-preds))).astype(preds.dtype)
    return preds


def _multiclass_counts(preds: npt.ArrayLike, target: npt.ArrayLike, num_classes: int,
                       ignore_index: int | None) -> CountArray:
    preds = to_numpy(preds, "preds")
    target = to_numpy(target, "target")
    axis = 1 if preds.dtype.kind == "f" and preds.ndim == target.ndim + 1 else None
    counts = count_pairs(target, preds, num_classes, ignore_index=ignore_index, axis=axis)
    return counts.matrix


def _reduce_multiclass(matrix: CountArray, average: _Average, ignore_index: int | None,
                       zero_division: float) -> float | FloatArray:
    """torchmetrics' multiclass reduction: macro leaves out classes absent from truth and
    prediction and an `ignore_index` inside the class range; micro leaves that class out."""
    num_classes = matrix.shape[0]
    kept = [c for c in range(num_classes) if c != ignore_index]
    if average in ("none", None):
        return metrics.iou(matrix, average="none", zero_division=zero_division)
    if average == "macro":
        return metrics.iou(matrix, labels=kept, zero_division=np.nan)
    if average == "weighted":
        return metrics.iou(matrix, average="weighted", zero_division=np.nan)
    return metrics.iou(matrix, average="micro", labels=kept, zero_division=zero_division)


def multiclass_jaccard_index(preds: npt.ArrayLike, target: npt.ArrayLike, num_classes: int,
                             average: _Average = "macro", ignore_index: int | None = None,
                             validate_args: bool = True, zero_division: float = 0.0) -> float | FloatArray:
    """``torchmetrics.functional.classification.multiclass_jaccard_index``.

    Parameters
    ----------
    preds : array_like or torch.Tensor
        Integer labels of `target`'s shape, or float scores ``(N, C, ...)`` (argmax over
        dim 1).
    target : array_like or torch.Tensor
        Integer labels.
    num_classes : int
    average : {"micro", "macro", "weighted", "none"} or None
    ignore_index : int, optional
        Target value whose pixels are dropped; inside ``[0, C)`` that class also leaves the
        macro and micro averages.
    validate_args : bool
        Accepted for compatibility; input is always validated.
    zero_division : float
        Per-class value of 0 / 0 (``average="none"``) and of an empty micro average.

    Returns
    -------
    float, or ndarray of shape (C,) for ``"none"``

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import multiclass_jaccard_index
    >>> target = np.array([2, 1, 0, 0])
    >>> preds = np.array([2, 1, 0, 1])
    >>> round(multiclass_jaccard_index(preds, target, num_classes=3), 4)
    0.6667
    """
    _check_average(average)
    matrix = _multiclass_counts(preds, target, num_classes, ignore_index)
    return _reduce_multiclass(matrix, average, ignore_index, metrics.check_zero_division(zero_division))


def multiclass_confusion_matrix(preds: npt.ArrayLike, target: npt.ArrayLike, num_classes: int,
                                normalize: Literal["true", "pred", "all", "none"] | None = None,
                                ignore_index: int | None = None, validate_args: bool = True) -> CountArray:
    """``torchmetrics.functional.classification.multiclass_confusion_matrix``.

    Parameters
    ----------
    preds, target, num_classes, ignore_index, validate_args
        As in :func:`multiclass_jaccard_index`.
    normalize : {"true", "pred", "all", "none"} or None
        Divide by row sums (truth), column sums (prediction) or the total; 0 where a sum is 0.

    Returns
    -------
    ndarray of shape (C, C)
        int64 counts (rows target), float64 when normalised.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import multiclass_confusion_matrix
    >>> multiclass_confusion_matrix(np.array([2, 1, 0, 1]), np.array([2, 1, 0, 0]), num_classes=3)
    array([[1, 1, 0],
           [0, 1, 0],
           [0, 0, 1]])
    """
    if normalize not in ("true", "pred", "all", "none", None):
        raise ValueError(f"`normalize` must be one of 'true', 'pred', 'all', 'none' or None, got {normalize!r}")
    matrix = _multiclass_counts(preds, target, num_classes, ignore_index)
    if normalize in ("none", None):
        return matrix
    total = {"true": matrix.sum(axis=1, keepdims=True), "pred": matrix.sum(axis=0, keepdims=True),
             "all": matrix.sum()}[normalize]
    return metrics.ratio(matrix, np.broadcast_to(total, matrix.shape), 0.0)


def binary_jaccard_index(preds: npt.ArrayLike, target: npt.ArrayLike, threshold: float = 0.5,
                         ignore_index: int | None = None, validate_args: bool = True,
                         zero_division: float = 0.0) -> float:
    """``torchmetrics.functional.classification.binary_jaccard_index``.

    Parameters
    ----------
    preds : array_like or torch.Tensor
        0/1 labels, or float probabilities (logits outside [0, 1] go through a sigmoid)
        predicted positive where ``> threshold``.
    target : array_like or torch.Tensor
        0/1 labels of the same shape.
    threshold : float
    ignore_index : int, optional
        Target value whose pixels are dropped.
    validate_args : bool
        Accepted for compatibility.
    zero_division : float
        The value when neither target nor prediction has a positive.

    Returns
    -------
    float

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import binary_jaccard_index
    >>> binary_jaccard_index(np.array([0.1, 0.8, 0.6, 0.3]), np.array([0, 1, 0, 1]))
    0.3333333333333333
    """
    preds = _probabilities(to_numpy(preds, "preds"))
    target = to_numpy(target, "target")
    options = dict(threshold=threshold) if preds.dtype.kind == "f" else {}
    counts = count_pairs(target, preds, 2, ignore_index=ignore_index, **options)
    return metrics.iou(counts.matrix, average="binary", zero_division=metrics.check_zero_division(zero_division))


def multilabel_jaccard_index(preds: npt.ArrayLike, target: npt.ArrayLike, num_labels: int,
                             threshold: float = 0.5, average: _Average = "macro",
                             ignore_index: int | None = None, validate_args: bool = True,
                             zero_division: float = 0.0) -> float | FloatArray:
    """``torchmetrics.functional.classification.multilabel_jaccard_index``.

    Parameters
    ----------
    preds : array_like or torch.Tensor
        ``(N, L, ...)`` 0/1 labels or float probabilities (logits outside [0, 1] go
        through a sigmoid), positive where ``> threshold``.
    target : array_like or torch.Tensor
        ``(N, L, ...)`` 0/1 labels.
    num_labels : int
    threshold : float
    average : {"micro", "macro", "weighted", "none"} or None
        ``"macro"`` averages every label, a label with 0 / 0 counting as `zero_division`.
    ignore_index : int, optional
        Target value whose entries are dropped.
    validate_args : bool
        Accepted for compatibility.
    zero_division : float

    Returns
    -------
    float, or ndarray of shape (L,) for ``"none"``

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.torchmetrics import multilabel_jaccard_index
    >>> target = np.array([[0, 1, 0], [1, 0, 1]])
    >>> preds = np.array([[0, 0, 1], [1, 0, 1]])
    >>> round(multilabel_jaccard_index(preds, target, num_labels=3), 4)
    0.5
    """
    _check_average(average)
    zero_division = metrics.check_zero_division(zero_division)
    preds = _probabilities(to_numpy(preds, "preds"))
    target = to_numpy(target, "target")
    options = dict(threshold=threshold) if preds.dtype.kind == "f" else {}
    counts = count_pairs(target, preds, num_labels, ignore_index=ignore_index, multilabel=True,
                         axis=1, **options).matrix
    if average == "weighted":
        values = metrics.iou(counts, average="none", multilabel=True, zero_division=zero_division)
        support = counts[:, 1, :].sum(axis=1)
        return float(metrics.ratio((values * support).sum(), support.sum(), np.nan))
    return metrics.iou(counts, average="none" if average is None else average, multilabel=True,
                       zero_division=zero_division)
