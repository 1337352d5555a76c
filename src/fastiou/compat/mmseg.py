"""mmsegmentation's evaluation functions (``mmseg.core.evaluation``, 0.x API), counted by fastiou.

Same signatures and the same numbers as mmseg: pixels whose label equals `ignore_index`
are dropped, a prediction outside ``[0, num_classes)`` is not counted as a prediction and
so is a false negative of its true class (fastiou's ``out_of_range="miss"``), per-class
values are NaN where mmseg divides 0 by 0, and `nan_to_num` is applied to every result.

Where it deliberately differs
-----------------------------
- Areas are exact int64 counts: mmseg sums float32 ``torch.histc`` histograms, which stop
  counting exactly above 2**24 pixels per class. Metrics are float64 (mmseg: float32).
- A ground-truth label outside ``[0, num_classes)`` that is not `ignore_index` is dropped
  with its pixel. mmseg drops it from the label histogram only, so the prediction on that
  pixel still counts as a false positive of the predicted class.
- Maps are arrays (or CPU tensors); file names are not loaded.
"""

from __future__ import annotations

import numbers
from collections import OrderedDict
from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import CountArray, FloatArray
from fastiou.compat import to_numpy
from fastiou.segmentation import metrics
from fastiou.segmentation._accumulator import ConfusionMatrix

_Metric = Literal["mIoU", "mDice", "mFscore"]
# aAcc (a float) and per-class float64 arrays
_Results = OrderedDict[str, "float | FloatArray"]

__all__ = ["eval_metrics", "intersect_and_union", "mean_iou"]

ALLOWED_METRICS = ("mIoU", "mDice", "mFscore")


def _prepare_label(label: npt.ArrayLike, label_map: Mapping[int, int],
                   reduce_zero_label: bool) -> npt.NDArray[Any]:
    label = to_numpy(label, "label")
    if label.dtype.kind not in "biu":
        raise TypeError(f"`label` must hold integer labels, got dtype {label.dtype}")
    if label_map:
        original = label
        label = label.copy()
        for old_id, new_id in label_map.items():
            label[original == old_id] = new_id
    if reduce_zero_label:
        label = label.astype(np.int64)
        label[label == 0] = 255
        label = label - 1
        label[label == 254] = 255
    return label


def _accumulate(pairs: Iterable[tuple[npt.ArrayLike, npt.ArrayLike]], num_classes: int, ignore_index: int,
                label_map: Mapping[int, int], reduce_zero_label: bool
                ) -> tuple[CountArray, CountArray, CountArray, CountArray]:
    if isinstance(ignore_index, bool) or not isinstance(ignore_index, numbers.Integral):
        raise TypeError(f"`ignore_index` must be an int, got {type(ignore_index).__name__} {ignore_index!r}")
    accumulator = ConfusionMatrix(num_classes, ignore_index=ignore_index, out_of_range="miss")
    for pred_label, label in pairs:
        accumulator.update(_prepare_label(label, label_map, reduce_zero_label), to_numpy(pred_label, "pred_label"))
    return _areas(accumulator.matrix, accumulator.miss)


def _areas(matrix: CountArray, miss: CountArray
           ) -> tuple[npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any], npt.NDArray[Any]]:
    intersect = np.diagonal(matrix).copy()
    pred_area = matrix.sum(axis=0)
    label_area = matrix.sum(axis=1) + miss
    return intersect, pred_area + label_area - intersect, pred_area, label_area


def intersect_and_union(pred_label: npt.ArrayLike, label: npt.ArrayLike, num_classes: int, ignore_index: int,
                        label_map: Mapping[int, int] = dict(), reduce_zero_label: bool = False
                        ) -> tuple[CountArray, CountArray, CountArray, CountArray]:
    """Per-class pixel areas of one prediction and its ground truth (mmseg).

    Parameters
    ----------
    pred_label : array_like of int
        Predicted segmentation map.
    label : array_like of int
        Ground-truth map of the same shape.
    num_classes : int
    ignore_index : int
        Label value whose pixels are dropped.
    label_map : dict, optional
        ``{old_label: new_label}`` applied to `label` first (all from the original values).
    reduce_zero_label : bool
        Label 0 becomes `ignore`-255 and every other label moves down by one.

    Returns
    -------
    area_intersect, area_union, area_pred_label, area_label : ndarray of shape (C,), int64

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmseg import intersect_and_union
    >>> inter, union, pred, label = intersect_and_union(
    ...     np.array([0, 1, 1, 5]), np.array([0, 1, 0, 1]), num_classes=2, ignore_index=255)
    >>> inter, union
    (array([1, 1]), array([2, 3]))
    """
    return _accumulate([(pred_label, label)], num_classes, ignore_index, label_map, reduce_zero_label)


def _per_class(intersect: CountArray, union: CountArray, pred_area: CountArray, label_area: CountArray,
               names: Sequence[str], beta: float) -> _Results:
    inter = intersect.astype(np.float64)
    values = OrderedDict(aAcc=metrics.ratio(inter.sum(), label_area.sum(), np.nan)[()])
    for name in names:
        if name == "mIoU":
            values["IoU"] = metrics.ratio(inter, union, np.nan)
            values["Acc"] = metrics.ratio(inter, label_area, np.nan)
        elif name == "mDice":
            values["Dice"] = metrics.ratio(2 * inter, pred_area + label_area, np.nan)
            values["Acc"] = metrics.ratio(inter, label_area, np.nan)
        else:
            precision = metrics.ratio(inter, pred_area, np.nan)
            recall = metrics.ratio(inter, label_area, np.nan)
            b2 = beta ** 2
            values["Fscore"] = metrics.ratio((1 + b2) * np.nan_to_num(precision * recall),
                                             np.where(np.isnan(precision * recall), 0.0, b2 * precision + recall),
                                             np.nan)
            values["Precision"] = precision
            values["Recall"] = recall
    return values


def eval_metrics(results: Iterable[npt.ArrayLike], gt_seg_maps: Iterable[npt.ArrayLike], num_classes: int,
                 ignore_index: int, metrics: _Metric | Sequence[_Metric] = ["mIoU"],
                 nan_to_num: float | None = None, label_map: Mapping[int, int] = dict(),
                 reduce_zero_label: bool = False, beta: float = 1) -> _Results:
    """Dataset metrics over pairs of maps, as ``mmseg.core.evaluation.eval_metrics``.

    Parameters
    ----------
    results : iterable of array_like
        Predicted maps.
    gt_seg_maps : iterable of array_like
        Ground-truth maps, paired with `results`.
    num_classes, ignore_index, label_map, reduce_zero_label
        As in :func:`intersect_and_union`.
    metrics : str or list of str
        Any of "mIoU" (IoU, Acc), "mDice" (Dice, Acc), "mFscore" (Fscore, Precision, Recall).
    nan_to_num : float, optional
        Replace NaN in every result by this number.
    beta : float
        The F-score's recall weight.

    Returns
    -------
    OrderedDict
        ``aAcc`` (overall pixel accuracy) and per-class float64 arrays.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmseg import eval_metrics
    >>> result = eval_metrics([np.array([0, 1, 1])], [np.array([0, 1, 0])], 3, 255)
    >>> result["IoU"]
    array([0.5, 0.5, nan])
    """
    names = [metrics] if isinstance(metrics, str) else list(metrics)
    unknown = [name for name in names if name not in ALLOWED_METRICS]
    if unknown:
        raise KeyError(f"metrics {unknown} are not supported; choose from {list(ALLOWED_METRICS)}")
    areas = _accumulate(zip(results, gt_seg_maps), num_classes, ignore_index, label_map, reduce_zero_label)
    values = _per_class(*areas, names, beta)
    if nan_to_num is not None:
        values = OrderedDict((key, np.nan_to_num(value, nan=nan_to_num)) for key, value in values.items())
    return values


def mean_iou(results: Iterable[npt.ArrayLike], gt_seg_maps: Iterable[npt.ArrayLike], num_classes: int,
             ignore_index: int, nan_to_num: float | None = None, label_map: Mapping[int, int] = dict(),
             reduce_zero_label: bool = False) -> _Results:
    """``eval_metrics(..., metrics=["mIoU"])``: aAcc, per-class IoU and Acc (mmseg).

    Parameters
    ----------
    results, gt_seg_maps, num_classes, ignore_index, nan_to_num, label_map, reduce_zero_label
        As in :func:`eval_metrics`.

    Returns
    -------
    OrderedDict
        ``aAcc`` (overall pixel accuracy), ``IoU`` and ``Acc`` (per-class float64 arrays).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmseg import mean_iou
    >>> mean_iou([np.array([0, 1, 1])], [np.array([0, 1, 0])], 3, 255, nan_to_num=0)["IoU"]
    array([0.5, 0.5, 0. ])
    """
    return eval_metrics(results, gt_seg_maps, num_classes, ignore_index, ["mIoU"], nan_to_num,
                        label_map, reduce_zero_label)
