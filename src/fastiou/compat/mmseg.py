"""mmsegmentation's evaluation functions (``mmseg.core.evaluation.metrics``, 0.x API), counted
by fastiou.

Same signatures, same numbers and same dtypes as mmseg 0.30 (checked against its own
``metrics.py`` by randomized differential tests), NumPy arrays out where mmseg returns
torch tensors:

- :func:`intersect_and_union` returns four float32 arrays (mmseg's ``torch.histc``
  histograms), :func:`total_intersect_and_union` four float64 arrays (mmseg adds the
  per-image float32 histograms into float64 totals), and the metric functions mmseg's
  ``dict`` (``OrderedDict`` once `nan_to_num` is given) of arrays: float64 from
  :func:`eval_metrics`, and from :func:`total_area_to_metrics` / :func:`pre_eval_to_metrics`
  the dtype torch would compute in (float32 for the float32 per-image areas
  :func:`intersect_and_union` returns, float64 for float64 areas, float32 for integers).
- mmseg's counting rules, quirks included: `label_map` entries are applied one after
  another, each to the pixels whose *original* value is its key; `reduce_zero_label` turns
  0 into 255 and moves every other label down by one, in the label's own dtype; only
  pixels whose label equals `ignore_index` are dropped (compared as torch does: an int is
  wrapped to the label's dtype, so -1 matches 255 in uint8 labels); a value outside
  ``[0, num_classes)`` is simply not counted in its own histogram, so an out-of-range
  prediction is a false negative of the true class and an out-of-range label still counts
  its prediction as a false positive; ``num_classes=1`` counts every non-ignored pixel
  (``torch.histc`` with ``min == max == 0`` bins the data's own range); above about 4096
  classes ``torch.histc``'s float32 binning puts some labels one bin up, and so does this
  module; float label maps are binned as ``torch.histc`` bins them.
- Errors where mmseg's torch raises: a `label_map` value or ``reduce_zero_label``'s 255 that
  does not fit the label dtype (:class:`LabelOverflowError`, a ``RuntimeError``), a
  `label_map` or ``reduce_zero_label`` on uint16/uint32/uint64 labels
  (:class:`UnsupportedLabelDtypeError`, a ``NotImplementedError``), maps of different
  shapes (:class:`ShapeMismatchError`, an ``IndexError``), ``num_classes < 1``
  (:class:`NumClassesError`, a ``RuntimeError``), pre-eval results that are not 4-tuples
  (:class:`PreEvalFormatError`, an ``AssertionError``), unknown metric names (``KeyError``).
  Each of these is also a ``ValueError``.

Where it deliberately differs
-----------------------------
- The caller's label arrays are never modified (mmseg applies `label_map` and
  ``reduce_zero_label`` in place to the array it was given, so a map passed twice, or
  reused by the caller, is mapped again).
- Counting is exact: per image and class, a count above 2**24 is the exact count rounded to
  float32; ``torch.histc`` accumulates float32 per thread, so mmseg's own figure there
  depends on its thread count.
- Maps of different shapes raise (mmseg's boolean-mask indexing sometimes broadcasts them).
- Lists and CPU torch tensors are accepted where mmseg wants ndarrays, and NumPy areas
  where mmseg's ``total_area_to_metrics`` wants tensors.
"""

import numbers
from collections import OrderedDict

from collections.abc import Mapping, Sequence
from typing import Any, Optional, Union, cast, overload

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import ArrayLike, FloatArray
from fastiou.compat import to_numpy
from fastiou.segmentation import _value_maps
from fastiou.segmentation._core import count_pairs

# the four per-class areas of one image (float32, as torch.histc gives them)
Areas = tuple[npt.NDArray[np.float32], npt.NDArray[np.float32], npt.NDArray[np.float32],
              npt.NDArray[np.float32]]
# eval_metrics and the mean_* functions: float64 arrays (aAcc a float64 scalar with `nan_to_num`)
Metrics = dict[str, Union[FloatArray, np.float64]]
# metrics from given areas: arrays in the dtype torch would compute in (float16/32/64)
AreaMetrics = dict[str, Union[npt.NDArray[np.floating[Any]], np.floating[Any]]]

__all__ = ["LabelOverflowError", "NumClassesError", "PreEvalFormatError", "ShapeMismatchError",
           "UnsupportedLabelDtypeError", "eval_metrics", "f_score", "intersect_and_union", "mean_dice",
           "mean_fscore", "mean_iou", "pre_eval_to_metrics", "total_area_to_metrics",
           "total_intersect_and_union"]

ALLOWED_METRICS = ["mIoU", "mDice", "mFscore"]
# up to this many classes one counting pass (a C x C matrix) gives the histograms; above it
# (and for float maps) mmseg's histograms are computed as it computes them, in NumPy
COUNTED_CLASSES = 1024


class LabelOverflowError(ValueError, RuntimeError):
    """A value written into the label map does not fit its dtype (torch's RuntimeError)."""


class UnsupportedLabelDtypeError(ValueError, NotImplementedError):
    """torch cannot write into uint16/uint32/uint64 label maps, nor compare them with
    another integer dtype (its NotImplementedError / RuntimeError)."""


class ShapeMismatchError(ValueError, IndexError):
    """`pred_label` and `label` differ in shape (mmseg's mask indexing raises IndexError)."""


class NumClassesError(ValueError, RuntimeError):
    """``num_classes`` below 1 (``torch.histc`` raises RuntimeError)."""


class PreEvalFormatError(ValueError, AssertionError):
    """Pre-eval results that are not 4-tuples (mmseg asserts)."""


# --------------------------------------------------------------------------- label maps

def _load_prediction(pred_label: Any) -> npt.NDArray[Any]:
    if isinstance(pred_label, str):
        return cast("npt.NDArray[Any]", np.load(pred_label))
    return to_numpy(pred_label, "pred_label")


def _load_label(label: Any) -> npt.NDArray[Any]:
    """A label map, or the image file mmseg reads with ``mmcv.imread(flag="unchanged",
    backend="pillow")`` (channels beyond two in BGR order)."""
    if not isinstance(label, str):
        return to_numpy(label, "label")
    try:
        from PIL import Image
    except ImportError as exc:  # pragma: no cover - Pillow is a test dependency
        raise ImportError("reading `label` from a file name needs Pillow (pip install pillow)") from exc
    with Image.open(label) as image:
        array = np.array(image)
    if array.ndim >= 3 and array.shape[2] >= 3:
        array[:, :, :3] = array[:, :, (2, 1, 0)]
    return array


def _wrapped(value: Union[int, numbers.Integral, np.integer[Any]], dtype: np.dtype[Any]) -> int:
    """A Python int compared with an integer tensor: torch wraps it to the dtype's width."""
    bits = dtype.itemsize * 8
    value = int(value) % (1 << bits)
    if dtype.kind == "i" and value >= 1 << (bits - 1):
        value -= 1 << bits
    return value


def _written(value: Any, dtype: np.dtype[Any]) -> Any:
    """The value torch writes for the Python scalar `value` into a label map of `dtype`
    (``label[mask] = value``), after the checks torch makes."""
    if dtype.kind == "u" and dtype.itemsize > 1:
        raise UnsupportedLabelDtypeError(f"cannot write label values into a {dtype} label map (torch "
                                         f"implements no masked_fill for it); use uint8 or a signed dtype")
    if dtype.kind in "iu":
        number = int(value)
        info = np.iinfo(dtype)
        low = -int(info.max) if dtype.kind == "u" else int(info.min)
        if not low <= number <= int(info.max):
            raise LabelOverflowError(f"value cannot be converted to type {dtype} without overflow: {value!r} "
                                     f"(`label_map` value or reduce_zero_label's 255)")
        return _wrapped(number, dtype)
    return dtype.type(value)


def _prepare_label(label: npt.NDArray[Any], label_map: Mapping[Any, Any], reduce_zero_label: bool) -> npt.NDArray[Any]:
    """`label` after mmseg's `label_map` and `reduce_zero_label` (a copy when changed).

    mmseg writes each `label_map` entry, in order, into the pixels whose original value
    equals its key: the value a key equals (:func:`_equal_value`) gets the entry's value, a
    later entry for the same value winning. That mapping is applied by
    :func:`fastiou.segmentation._value_maps.map_values`, and ``reduce_zero_label`` by
    :func:`fastiou.segmentation._value_maps.reduce_zero_label`, both in the label's dtype.
    """
    if label_map:
        mapped = {}
        for old_id, new_id in label_map.items():
            if not isinstance(old_id, (bool, np.bool_, numbers.Real)):
                raise TypeError(f"`label_map` keys must be numbers, got {type(old_id).__name__} {old_id!r}")
            key = _equal_value(old_id, label.dtype, "label_map")
            value = _written(new_id, label.dtype)
            if key is not None:
                mapped[key] = value
        source = np.array(list(mapped), dtype=label.dtype)
        target = np.array(list(mapped.values()), dtype=label.dtype)
        order = np.argsort(source, kind="stable")
        label = _value_maps.map_values(label, source[order], target[order], dtype=label.dtype)
    if reduce_zero_label:
        if label.dtype.kind == "b":
            raise LabelOverflowError("Subtraction, the `-` operator, with a bool label map is not supported "
                                     "(reduce_zero_label)")
        _written(255, label.dtype)  # 0 becomes 255: torch's checks of that write
        label = _value_maps.reduce_zero_label(label)
    return label


def _equal_value(value: Any, dtype: np.dtype[Any], name: str) -> Union[int, float, None]:
    """The one value of a label map of `dtype` that equals the scalar `value` as torch compares
    them (an int wraps to an integer dtype's width: -1 equals 255 in uint8), or None when none
    does or `value` is None (mmseg's ``label != ignore_index``, ``label == key``)."""
    if value is None:
        return None
    if isinstance(value, (bool, np.bool_)):
        value = int(value)
    if dtype.kind == "b":
        return int(value) if value in (0, 1) else None
    if isinstance(value, numbers.Integral):
        return _wrapped(value, dtype) if dtype.kind in "iu" else int(value)
    if isinstance(value, numbers.Real):
        if dtype.kind in "iu":
            info = np.iinfo(dtype)
            integral = float(value).is_integer() and info.min <= value <= info.max  # type: ignore[operator]
            return int(value) if integral else None  # type: ignore[call-overload]
        return float(value)
    raise TypeError(f"`{name}` must be a number or None, got {type(value).__name__} {value!r}")


def _check_num_classes(num_classes: Any) -> int:
    if isinstance(num_classes, (bool, np.bool_)) or not isinstance(num_classes, numbers.Integral):
        raise TypeError(f"`num_classes` must be an int, got {type(num_classes).__name__} {num_classes!r}")
    if num_classes < 1:
        raise NumClassesError(f"`num_classes` must be at least 1, got {num_classes}")
    return int(num_classes)


# --------------------------------------------------------------------------- counting

def _histc(values: Any, num_classes: int) -> npt.NDArray[np.float32]:
    """``torch.histc(values.float(), bins=C, min=0, max=C-1)`` as float32 counts."""
    x = np.asarray(values).astype(np.float32)
    if num_classes == 1:  # min == max == 0: the data's own range, every value counted
        return np.array([x.size], np.float32)
    inside = x[(x >= 0) & (x <= np.float32(num_classes - 1))]
    position = (inside * np.float32(num_classes) / np.float32(num_classes - 1)).astype(np.int64)
    position[position >= num_classes] = num_classes - 1
    return np.bincount(position, minlength=num_classes).astype(np.float32)


def _areas_emulated(pred: npt.NDArray[Any], label: npt.NDArray[Any], num_classes: int, ignore: Any) -> Any:
    """mmseg's algorithm step by step in NumPy: float label maps and huge class counts."""
    kept = np.ones(label.shape, bool) if ignore is None else label != ignore
    pred, label = pred[kept], label[kept]
    common = np.result_type(pred.dtype, label.dtype)
    if common.kind == "f" and pred.dtype.kind != label.dtype.kind:  # torch: int with float -> that float
        common = pred.dtype if pred.dtype.kind == "f" else label.dtype
    intersect = pred[pred.astype(common) == label.astype(common)]
    return _histc(intersect, num_classes), _histc(pred, num_classes), _histc(label, num_classes)


def _areas_counted(pred: npt.NDArray[Any], label: npt.NDArray[Any], num_classes: int, ignore: Any) -> Any:
    """The same histograms from one fastiou counting pass (integer maps, few classes: histc
    bins each integer label 0..C-1 into its own bin up to about 4096 classes)."""
    if num_classes == 1:
        kept = np.ones(label.shape, bool) if ignore is None else label != ignore
        n = np.count_nonzero(kept)
        same = np.count_nonzero(pred[kept] == label[kept])
        return np.array([same], np.float32), np.array([n], np.float32), np.array([n], np.float32)
    counts = count_pairs(label, pred, num_classes, ignore_index=ignore, out_of_range="miss")
    matrix = counts.matrix
    intersect = np.diagonal(matrix).copy()
    area_pred = matrix.sum(axis=0)
    area_label = matrix.sum(axis=1) + counts.miss
    if counts.n_bad_true:  # an out-of-range label: its prediction still counts
        flat_label, flat_pred = label.reshape(-1), pred.reshape(-1)
        bad = (flat_label < 0) | (flat_label >= num_classes)
        if ignore is not None:
            bad &= flat_label != ignore
        guess = flat_pred[bad]
        guess = guess[(guess >= 0) & (guess < num_classes)]
        area_pred = area_pred + np.bincount(guess.astype(np.int64), minlength=num_classes)
    return tuple(np.asarray(a).astype(np.float32) for a in (intersect, area_pred, area_label))


def intersect_and_union(pred_label: Union[ArrayLike, str], label: Union[ArrayLike, str], num_classes: int,
                        ignore_index: int, label_map: Mapping[int, int] = dict(),
                        reduce_zero_label: bool = False) -> Areas:
    """Per-class pixel areas of one prediction and its ground truth (mmseg).

    Parameters
    ----------
    pred_label : array_like or str
        Predicted segmentation map (or a ``.npy`` file name, read with ``np.load``).
    label : array_like or str
        Ground-truth map of the same shape (or an image file name, read as mmseg reads it).
    num_classes : int
        Number of classes ``C`` (at least 1).
    ignore_index : int or None
        Label value whose pixels are dropped (None drops nothing).
    label_map : dict, optional
        ``{old_label: new_label}`` applied to `label` first, entry after entry, each to the
        pixels whose original value is the key. The caller's array is not modified.
    reduce_zero_label : bool
        Label 0 becomes 255 and every other label moves down by one (in the label dtype).

    Returns
    -------
    area_intersect, area_union, area_pred_label, area_label : ndarray of shape (C,), float32

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmseg import intersect_and_union
    >>> inter, union, pred, label = intersect_and_union(
    ...     np.array([0, 1, 1, 5]), np.array([0, 1, 0, 1]), num_classes=2, ignore_index=255)
    >>> inter, union
    (array([1., 1.], dtype=float32), array([2., 3.], dtype=float32))
    """
    num_classes = _check_num_classes(num_classes)
    pred = _load_prediction(pred_label)
    truth = _prepare_label(_load_label(label), label_map, reduce_zero_label)
    if pred.shape != truth.shape:
        raise ShapeMismatchError(f"`pred_label` has shape {pred.shape} but `label` has shape {truth.shape}; "
                                 "they must be equal")
    ignore = _equal_value(ignore_index, truth.dtype, "ignore_index")
    wide = [d for d in (pred.dtype, truth.dtype) if d.kind == "u" and d.itemsize > 1]
    if wide and pred.dtype != truth.dtype and "f" not in (pred.dtype.kind, truth.dtype.kind):
        raise UnsupportedLabelDtypeError(f"`pred_label` ({pred.dtype}) and `label` ({truth.dtype}) cannot be "
                                         "compared: torch does not promote uint16/uint32/uint64 with another "
                                         "integer dtype; give both maps one dtype")
    integer = pred.dtype.kind in "biu" and truth.dtype.kind in "biu"
    if integer and num_classes <= COUNTED_CLASSES:
        if truth.dtype.kind == "b":
            truth = truth.view(np.uint8)
        intersect, area_pred, area_label = _areas_counted(pred, truth, num_classes, ignore)
    else:
        intersect, area_pred, area_label = _areas_emulated(pred, truth, num_classes, ignore)
    return intersect, area_pred + area_label - intersect, area_pred, area_label


def total_intersect_and_union(results: Sequence[Union[ArrayLike, str]], gt_seg_maps: Sequence[Union[ArrayLike, str]],
                              num_classes: int, ignore_index: int, label_map: Mapping[int, int] = dict(),
                              reduce_zero_label: bool = False) -> tuple[FloatArray, FloatArray, FloatArray, FloatArray]:
    """Per-class areas summed over pairs of maps (mmseg): float64 totals of the per-image
    float32 areas of :func:`intersect_and_union`.

    Parameters
    ----------
    results : iterable of array_like or str
        Predicted maps (or ``.npy`` file names).
    gt_seg_maps : iterable of array_like or str
        Ground-truth maps (or image file names), paired with `results` (``zip``: the
        shorter iterable ends the pairs).
    num_classes, ignore_index, label_map, reduce_zero_label
        As in :func:`intersect_and_union`.

    Returns
    -------
    total_area_intersect, total_area_union, total_area_pred_label, total_area_label : ndarray of shape (C,), float64

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmseg import total_intersect_and_union
    >>> total_intersect_and_union([np.array([0, 1]), np.array([1, 1])],
    ...                           [np.array([0, 1]), np.array([0, 1])], 2, 255)[0]
    array([1., 2.])
    """
    totals = [np.zeros(num_classes, np.float64) for _ in range(4)]
    for result, gt_seg_map in zip(results, gt_seg_maps):
        for total, area in zip(totals, intersect_and_union(result, gt_seg_map, num_classes, ignore_index,
                                                           label_map, reduce_zero_label)):
            total += area
    return totals[0], totals[1], totals[2], totals[3]


# --------------------------------------------------------------------------- metrics

@overload
def f_score(precision: float, recall: float, beta: float = 1) -> float: ...
@overload
def f_score(precision: ArrayLike, recall: ArrayLike,
            beta: float = 1) -> Union[np.floating[Any], npt.NDArray[np.floating[Any]]]: ...
def f_score(precision: Any, recall: Any, beta: float = 1) -> Any:
    """mmseg's F-score ``(1 + beta**2) * (precision * recall) / (beta**2 * precision + recall)``.

    Parameters
    ----------
    precision, recall : float or array_like
        Python numbers are computed in Python (0 / 0 raises ``ZeroDivisionError``, as in
        mmseg); arrays and tensors elementwise in their dtype (0 / 0 is NaN).
    beta : float
        The weight of recall.

    Returns
    -------
    float or ndarray

    Examples
    --------
    >>> from fastiou.compat.mmseg import f_score
    >>> round(f_score(0.5, 1.0), 6), round(f_score(0.5, 1.0, beta=2), 6)
    (0.666667, 0.833333)
    """
    if not (isinstance(precision, numbers.Number) and isinstance(recall, numbers.Number)):
        precision = to_numpy(precision, "precision")
        recall = to_numpy(recall, "recall")
    with np.errstate(divide="ignore", invalid="ignore"):
        return (1 + beta ** 2) * (precision * recall) / ((beta ** 2 * precision) + recall)


def _promoted(first: npt.NDArray[Any], second: npt.NDArray[Any]) -> np.dtype[Any]:
    """torch's result dtype of two tensors: a float wins over any integer (numpy would widen
    int64 with float32 to float64)."""
    floats = [a.dtype for a in (first, second) if a.dtype.kind == "f"]
    return np.result_type(*floats) if floats else np.result_type(first.dtype, second.dtype)


def _add(first: npt.NDArray[Any], second: npt.NDArray[Any]) -> npt.NDArray[Any]:
    dtype = _promoted(first, second)
    return np.asarray(first.astype(dtype) + second.astype(dtype))


def _divide(numerator: npt.NDArray[Any], denominator: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """True division in torch's dtype: float32 (the default dtype) for integers."""
    dtype = _promoted(numerator, denominator)
    if dtype.kind != "f":
        dtype = np.dtype(np.float32)
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.asarray(numerator.astype(dtype) / denominator.astype(dtype))


def _as_area(values: Any, name: str) -> npt.NDArray[Any]:
    area = to_numpy(values, name)
    if area.dtype.kind not in "biuf":
        raise TypeError(f"`{name}` must hold numbers, got dtype {area.dtype}")
    return area


def _torch_sum(area: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``tensor.sum()``: integers and bools sum to int64, floats in their dtype."""
    return np.asarray(area.sum(dtype=np.int64 if area.dtype.kind in "biu" else area.dtype))


def total_area_to_metrics(total_area_intersect: ArrayLike, total_area_union: ArrayLike,
                          total_area_pred_label: ArrayLike, total_area_label: ArrayLike,
                          metrics: Union[str, Sequence[str]] = ["mIoU"], nan_to_num: Optional[float] = None,
                          beta: float = 1) -> AreaMetrics:
    """mmseg's metrics from per-class areas: aAcc, then IoU and Acc, Dice and Acc, or Fscore,
    Precision and Recall per class.

    Parameters
    ----------
    total_area_intersect, total_area_union, total_area_pred_label, total_area_label : array_like
        Per-class areas (arrays or tensors); results are computed in the dtype torch would
        use: the widest float among them, float32 for integers.
    metrics : str or list of str
        Any of "mIoU", "mDice", "mFscore" (others raise ``KeyError``).
    nan_to_num : float, optional
        Replace NaN (and, as ``np.nan_to_num`` does, infinities) in every result.
    beta : float
        The F-score's recall weight.

    Returns
    -------
    dict
        ``{"aAcc": 0-d array, name: (C,) array, ...}`` (mmseg's key order); an
        ``OrderedDict`` whose aAcc is a NumPy scalar when `nan_to_num` is given.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmseg import total_area_to_metrics
    >>> total_area_to_metrics(np.array([1., 0.]), np.array([2., 0.]), np.array([1., 0.]),
    ...                       np.array([2., 0.]))["IoU"]
    array([0.5, nan])
    """
    if isinstance(metrics, str):
        metrics = [metrics]
    if not set(metrics).issubset(set(ALLOWED_METRICS)):
        raise KeyError("metrics {} is not supported".format(metrics))
    intersect = _as_area(total_area_intersect, "total_area_intersect")
    union = _as_area(total_area_union, "total_area_union")
    area_pred = _as_area(total_area_pred_label, "total_area_pred_label")
    area_label = _as_area(total_area_label, "total_area_label")
    ret_metrics: "dict[str, Any]" = OrderedDict({"aAcc": _divide(_torch_sum(intersect), _torch_sum(area_label))})
    for metric in metrics:
        if metric == "mIoU":
            ret_metrics["IoU"] = _divide(intersect, union)
            ret_metrics["Acc"] = _divide(intersect, area_label)
        elif metric == "mDice":
            ret_metrics["Dice"] = _divide(np.asarray(2 * intersect), _add(area_pred, area_label))
            ret_metrics["Acc"] = _divide(intersect, area_label)
        elif metric == "mFscore":
            precision = _divide(intersect, area_pred)
            recall = _divide(intersect, area_label)
            ret_metrics["Fscore"] = np.asarray(f_score(precision, recall, beta), dtype=precision.dtype)
            ret_metrics["Precision"] = precision
            ret_metrics["Recall"] = recall
    ret_metrics = dict(ret_metrics)
    if nan_to_num is not None:
        ret_metrics = OrderedDict({metric: np.nan_to_num(value, nan=nan_to_num)
                                   for metric, value in ret_metrics.items()})
    return ret_metrics


def pre_eval_to_metrics(pre_eval_results: Sequence[Sequence[ArrayLike]], metrics: Union[str, Sequence[str]] = ["mIoU"],
                        nan_to_num: Optional[float] = None, beta: float = 1) -> AreaMetrics:
    """Metrics from per-image pre-eval results (mmseg): the four areas of each image, as
    :func:`intersect_and_union` returns them, summed with Python's ``sum`` (so float32
    per-image areas give float32 totals and metrics, as in mmseg).

    Parameters
    ----------
    pre_eval_results : iterable of 4-tuples
        ``(area_intersect, area_union, area_pred_label, area_label)`` per image (arrays or
        tensors).
    metrics, nan_to_num, beta
        As in :func:`total_area_to_metrics`.

    Returns
    -------
    dict
        As :func:`total_area_to_metrics`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmseg import intersect_and_union, pre_eval_to_metrics
    >>> per_image = [intersect_and_union(np.array([0, 1]), np.array([0, 1]), 2, 255)] * 2
    >>> pre_eval_to_metrics(per_image, "mIoU")["IoU"]
    array([1., 1.], dtype=float32)
    """
    columns = tuple(zip(*pre_eval_results))
    if len(columns) != 4:
        raise PreEvalFormatError(f"`pre_eval_results` must hold 4-tuples (area_intersect, area_union, "
                                 f"area_pred_label, area_label) of at least one image, got {len(columns)} "
                                 "columns")
    totals: list[Any] = [sum(to_numpy(area, "pre_eval_results") for area in column) for column in columns]
    return total_area_to_metrics(totals[0], totals[1], totals[2], totals[3], metrics, nan_to_num, beta)


def eval_metrics(results: Sequence[Union[ArrayLike, str]], gt_seg_maps: Sequence[Union[ArrayLike, str]],
                 num_classes: int, ignore_index: int, metrics: Union[str, Sequence[str]] = ["mIoU"],
                 nan_to_num: Optional[float] = None, label_map: Mapping[int, int] = dict(), reduce_zero_label: bool = False,
                 beta: float = 1) -> Metrics:
    """Dataset metrics over pairs of maps, as ``mmseg.core.evaluation.eval_metrics``.

    Parameters
    ----------
    results : iterable of array_like or str
        Predicted maps.
    gt_seg_maps : iterable of array_like or str
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
    dict
        ``aAcc`` (overall pixel accuracy, 0-d) and per-class float64 arrays; an
        ``OrderedDict`` when `nan_to_num` is given.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmseg import eval_metrics
    >>> result = eval_metrics([np.array([0, 1, 1])], [np.array([0, 1, 0])], 3, 255)
    >>> result["IoU"]
    array([0.5, 0.5, nan])
    """
    totals = total_intersect_and_union(results, gt_seg_maps, num_classes, ignore_index, label_map,
                                       reduce_zero_label)
    return cast(Metrics, total_area_to_metrics(*totals, metrics, nan_to_num, beta))


_MEAN_DOC = """``eval_metrics(..., metrics=["{metric}"]{extra})``: aAcc, per-class {keys} (mmseg).

    Parameters
    ----------
    results, gt_seg_maps, num_classes, ignore_index, nan_to_num, label_map, reduce_zero_label{beta}
        As in :func:`eval_metrics`.

    Returns
    -------
    dict

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.mmseg import {name}
    >>> {name}([np.array([0, 1, 1])], [np.array([0, 1, 0])], 3, 255, nan_to_num=0)["{first}"]
    {result}
    """


def mean_iou(results: Sequence[Union[ArrayLike, str]], gt_seg_maps: Sequence[Union[ArrayLike, str]],
             num_classes: int, ignore_index: int, nan_to_num: Optional[float] = None,
             label_map: Mapping[int, int] = dict(), reduce_zero_label: bool = False) -> Metrics:
    return eval_metrics(results, gt_seg_maps, num_classes, ignore_index, ["mIoU"], nan_to_num, label_map,
                        reduce_zero_label)


def mean_dice(results: Sequence[Union[ArrayLike, str]], gt_seg_maps: Sequence[Union[ArrayLike, str]],
              num_classes: int, ignore_index: int, nan_to_num: Optional[float] = None,
              label_map: Mapping[int, int] = dict(), reduce_zero_label: bool = False) -> Metrics:
    return eval_metrics(results, gt_seg_maps, num_classes, ignore_index, ["mDice"], nan_to_num, label_map,
                        reduce_zero_label)


def mean_fscore(results: Sequence[Union[ArrayLike, str]], gt_seg_maps: Sequence[Union[ArrayLike, str]],
                num_classes: int, ignore_index: int, nan_to_num: Optional[float] = None,
                label_map: Mapping[int, int] = dict(), reduce_zero_label: bool = False, beta: float = 1) -> Metrics:
    return eval_metrics(results, gt_seg_maps, num_classes, ignore_index, ["mFscore"], nan_to_num, label_map,
                        reduce_zero_label, beta)


mean_iou.__doc__ = _MEAN_DOC.format(metric="mIoU", extra="", keys="IoU and Acc", beta="", name="mean_iou",
                                    first="IoU", result="array([0.5, 0.5, 0. ])")
mean_dice.__doc__ = _MEAN_DOC.format(metric="mDice", extra="", keys="Dice and Acc", beta="", name="mean_dice",
                                     first="Dice", result="array([0.66666667, 0.66666667, 0.        ])")
mean_fscore.__doc__ = _MEAN_DOC.format(metric="mFscore", extra=", beta=beta", keys="Fscore, Precision and Recall",
                                       beta=", beta", name="mean_fscore", first="Fscore",
                                       result="array([0.66666667, 0.66666667, 0.        ])")
