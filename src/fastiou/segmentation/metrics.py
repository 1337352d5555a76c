"""Metrics derived from a confusion matrix, and the same metrics in one shot from arrays.

Every per-class metric here is a ratio ``numerator / denominator`` of sums of true
positives (tp), false positives (fp) and false negatives (fn) of one class:

==========  ==========================  =====================================
metric      numerator                   denominator
==========  ==========================  =====================================
IoU         tp                          tp + fp + fn
Dice / F1   2 tp                        2 tp + fp + fn
F-beta      (1 + b²) tp                 (1 + b²) tp + b² fn + fp
precision   tp                          tp + fp
recall      tp                          tp + fn  (the class accuracy)
==========  ==========================  =====================================

so ``average="micro"`` is the ratio of the sums over the selected classes, ``"macro"`` the
mean of the per-class ratios, ``"weighted"`` their mean weighted by support (tp + fn).

Counts come as a confusion matrix ``(C, C)`` (rows truth, columns prediction), a stack of
per-image matrices ``(B, C, C)`` (from ``per_image=True``), or, with ``multilabel=True``,
per-label 2x2 counts ``(L, 2, 2)`` / ``(B, L, 2, 2)`` whose positive class is scored.
``miss`` (``(C,)``, as counted under ``out_of_range="miss"``) adds pairs whose prediction was
out of range to the false negatives of their true class.

A ratio with a zero denominator (a class absent from truth and prediction) takes
`zero_division`: NaN by default, and NaN values are left out of every mean.
"""

from __future__ import annotations

import numbers
from collections.abc import Callable
from typing import TYPE_CHECKING, Any, Literal, Protocol, TypedDict, cast, overload

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import Average, Classes, CountArray, CountOptions, FloatArray, Integer
from fastiou._shared._validation import check_counts
from fastiou.segmentation._core import class_counts, count_pairs
# re-exported: the compat layers use metrics.ratio
from fastiou.segmentation._core import ratio as ratio

if TYPE_CHECKING:
    from typing_extensions import Unpack

AVERAGES = ("macro", "micro", "weighted", "none", "binary", "micro-imagewise", "macro-imagewise")
IMAGEWISE = ("micro-imagewise", "macro-imagewise")

__all__ = [
    "accuracy_score", "cohen_kappa", "cohen_kappa_score", "dice", "dice_score", "fbeta",
    "fbeta_score", "frequency_weighted_iou", "iou", "jaccard_score", "mean_class_accuracy",
    "pixel_accuracy", "precision", "precision_score", "recall", "recall_score", "support",
]


# --------------------------------------------------------------------------- signatures

# (tp, fp, fn) -> (numerator, denominator) of a per-class ratio
_Parts = Callable[[FloatArray, FloatArray, FloatArray], tuple[FloatArray, FloatArray]]
# the averages that reduce the per-class values to one number per matrix
_Reduced = Literal["macro", "micro", "weighted", "binary", "micro-imagewise", "macro-imagewise"]


class _RatioOptions(TypedDict, total=False):
    """Keywords of the from-counts ratio metrics besides `average`."""

    zero_division: float
    labels: Classes | None
    classes_in_truth_only: bool
    miss: npt.ArrayLike | None
    multilabel: bool


class _ScoreOptions(CountOptions, total=False):
    """Keywords of the one-shot ``*_score`` functions besides `average` and `per_image`."""

    zero_division: float
    labels: Classes | None
    classes_in_truth_only: bool


class _RatioMetric(Protocol):
    """The signature of :func:`iou`, :func:`dice`, :func:`precision` and :func:`recall`:
    per-class values for ``average="none"``, else one value per matrix."""

    __name__: str

    @overload
    def __call__(self, cm: npt.ArrayLike, *, average: Literal["none"],
                 **options: Unpack[_RatioOptions]) -> FloatArray: ...
    @overload
    def __call__(self, cm: npt.ArrayLike, *, average: Average = "macro",
                 **options: Unpack[_RatioOptions]) -> float | FloatArray: ...


class _OneShotScore(Protocol):
    """The signature of :func:`jaccard_score`, :func:`dice_score`, :func:`precision_score` and
    :func:`recall_score`: a float unless ``average="none"`` or ``per_image=True``."""

    @overload
    def __call__(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                 average: Literal["none"], per_image: bool = False,
                 **options: Unpack[_ScoreOptions]) -> FloatArray: ...
    @overload
    def __call__(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                 average: _Reduced = "macro", per_image: Literal[False] = False,
                 **options: Unpack[_ScoreOptions]) -> float: ...
    @overload
    def __call__(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                 average: Average = "macro", per_image: bool = False,
                 **options: Unpack[_ScoreOptions]) -> float | FloatArray: ...


class _WholeMatrixScore(Protocol):
    """The signature of :func:`accuracy_score` and :func:`cohen_kappa_score`: a float, or one
    value per image with ``per_image=True``."""

    @overload
    def __call__(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                 zero_division: float = np.nan, per_image: Literal[False] = False,
                 **options: Unpack[CountOptions]) -> float: ...
    @overload
    def __call__(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                 zero_division: float = np.nan, per_image: Literal[True],
                 **options: Unpack[CountOptions]) -> FloatArray: ...
    @overload
    def __call__(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                 zero_division: float = np.nan, per_image: bool,
                 **options: Unpack[CountOptions]) -> float | FloatArray: ...


# --------------------------------------------------------------------------- inputs

def as_counts(cm: npt.ArrayLike, miss: npt.ArrayLike | None = None, *, multilabel: bool = False,
              name: str = "cm") -> tuple[FloatArray, FloatArray]:
    """Return float64 counts and miss, checked: (…, C, C) and (…, C)."""
    counts = check_counts(cm, name)
    if multilabel:
        if counts.ndim not in (3, 4) or counts.shape[-2:] != (2, 2):
            raise ValueError(f"with `multilabel=True`, `{name}` must have shape (L, 2, 2) or "
                             f"(B, L, 2, 2), got {counts.shape}")
    elif counts.ndim not in (2, 3) or counts.shape[-1] != counts.shape[-2]:
        raise ValueError(f"`{name}` must have shape (C, C) or (B, C, C) (per image), got {counts.shape}")
    counts = counts.astype(np.float64)
    if miss is None:
        miss = np.zeros(counts.shape[:-1])
    else:
        miss = check_counts(miss, "miss")
        if miss.shape != counts.shape[:-1]:
            raise ValueError(f"`miss` has shape {miss.shape} but `{name}` of shape {counts.shape} "
                             f"needs {counts.shape[:-1]}")
        miss = miss.astype(np.float64)
    return counts, miss


def check_zero_division(zero_division: object) -> float:
    if isinstance(zero_division, (bool, np.bool_)) or not isinstance(zero_division, numbers.Real):
        raise TypeError("`zero_division` must be a number or NaN, got "
                        f"{type(zero_division).__name__} {zero_division!r}")
    return float(zero_division)


def check_average(average: object, per_image: bool) -> None:
    if average not in AVERAGES:
        raise ValueError(f"`average` must be one of {', '.join(map(repr, AVERAGES))}, got {average!r}")
    if average in IMAGEWISE and not per_image:
        raise ValueError(f"`average`={average!r} needs per-image counts: a (B, C, C) matrix from "
                         "per_image=True")


def select_classes(labels: Classes | None, n_classes: int, name: str = "labels") -> npt.NDArray[np.intp]:
    """Return the class indices to keep (all when `labels` is None), checked in range."""
    if labels is None:
        return np.arange(n_classes)
    try:
        selected = np.asarray(labels)
    except (TypeError, ValueError) as exc:
        raise TypeError(f"`{name}` must be a sequence of class indices: {exc}") from exc
    if selected.ndim == 0:
        selected = selected.reshape(1)
    if selected.size == 0:
        raise ValueError(f"`{name}` must name at least one class")
    if selected.ndim != 1 or selected.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must be a 1-D sequence of int class indices, got {labels!r}")
    if selected.min() < 0 or selected.max() >= n_classes:
        raise ValueError(f"`{name}` must lie in [0, {n_classes}), got {labels!r}")
    if np.unique(selected).size != selected.size:
        raise ValueError(f"`{name}` must not repeat a class, got {labels!r}")
    return selected.astype(np.intp)


# --------------------------------------------------------------------------- reductions

def nan_mean(values: FloatArray, axis: int = -1, weights: FloatArray | None = None) -> FloatArray:
    """Mean over `axis` leaving NaN out (NaN when nothing is left), without warnings."""
    keep = ~np.isnan(values)
    w = keep.astype(np.float64) if weights is None else np.where(keep, weights, 0.0)
    total = np.where(keep, values, 0.0) * w
    return ratio(total.sum(axis=axis), w.sum(axis=axis), np.nan)


def scalar(value: npt.ArrayLike) -> float | FloatArray:
    value = np.asarray(value, dtype=np.float64)
    return float(value) if value.ndim == 0 else value


def reduce_ratio(numerator: FloatArray, denominator: FloatArray, support: FloatArray, *,
                 average: object, zero_division: object, labels: Classes | None,
                 classes_in_truth_only: bool, per_image: bool, multilabel: bool) -> float | FloatArray:
    """Per-class values of ``numerator / denominator`` reduced as `average` says."""
    zero_division = check_zero_division(zero_division)
    check_average(average, per_image)
    if average == "binary":
        if multilabel or numerator.shape[-1] != 2 or labels is not None:
            raise ValueError("`average`='binary' scores class 1 of a two-class matrix (without "
                             f"`labels`); got {numerator.shape[-1]} classes"
                             + (" (multilabel)" if multilabel else ""))
        values = ratio(numerator[..., 1], denominator[..., 1], zero_division)
        if classes_in_truth_only:
            values = np.where(support[..., 1] > 0, values, np.nan)
        return scalar(values)
    keep = select_classes(labels, numerator.shape[-1])
    numerator, denominator, support = numerator[..., keep], denominator[..., keep], support[..., keep]
    values = ratio(numerator, denominator, zero_division)
    if classes_in_truth_only:
        values = np.where(support > 0, values, np.nan)
    if average == "none":
        return values
    if average in ("micro", "micro-imagewise"):
        included = support > 0 if classes_in_truth_only else np.ones(values.shape, bool)
        result = ratio(np.where(included, numerator, 0).sum(axis=-1),
                       np.where(included, denominator, 0).sum(axis=-1), zero_division)
    elif average == "weighted":
        weights = np.where(np.isnan(values), 0.0, support)
        result = ratio((np.where(np.isnan(values), 0.0, values) * weights).sum(axis=-1),
                       weights.sum(axis=-1), zero_division)
    elif average == "macro-imagewise":
        return scalar(nan_mean(nan_mean(values, axis=0)))
    else:
        result = nan_mean(values)
    if average == "micro-imagewise":
        return scalar(nan_mean(result, axis=0))
    return scalar(result)


def _ratio_metric(cm: npt.ArrayLike, parts: _Parts, *, average: object, zero_division: object,
                  labels: Classes | None, classes_in_truth_only: bool, miss: npt.ArrayLike | None,
                  multilabel: bool) -> float | FloatArray:
    """Reduce the per-class ratio ``parts(tp, fp, fn) = (numerator, denominator)`` of counts."""
    counts, miss = as_counts(cm, miss, multilabel=multilabel)
    tp, fp, fn = class_counts(counts, miss, multilabel)
    numerator, denominator = parts(tp, fp, fn)
    per_image = counts.ndim == (4 if multilabel else 3)
    return reduce_ratio(numerator, denominator, tp + fn, average=average, zero_division=zero_division,
                        labels=labels, classes_in_truth_only=classes_in_truth_only,
                        per_image=per_image, multilabel=multilabel)


# --------------------------------------------------------------------------- from counts

_SHARED_DOC = """
    Parameters
    ----------
    cm : array_like
        ``(C, C)`` confusion matrix (rows truth), ``(B, C, C)`` per-image matrices, or with
        `multilabel` per-label 2x2 counts ``(L, 2, 2)`` / ``(B, L, 2, 2)``.
    average : {"macro", "micro", "weighted", "none", "binary", "micro-imagewise", \
"macro-imagewise"}
        ``"macro"`` (default): mean of the per-class values (NaN left out); ``"micro"``:
        ratio of the summed numerators and denominators; ``"weighted"``: mean weighted by
        support; ``"none"``: the per-class values; ``"binary"``: class 1 of a two-class
        matrix; the imagewise modes need per-image counts: ``"micro-imagewise"`` takes the
        micro value of each image then the mean over images, ``"macro-imagewise"`` the mean
        over images of each class, then over classes (segmentation_models_pytorch).
        Per-image counts with the other modes give one value per image.
    zero_division : float
        Value of a ratio whose denominator is 0; NaN (default) is left out of every mean.
    labels : sequence of int, optional
        Classes to report and average over (sklearn ``labels``, Keras ``target_class_ids``).
    classes_in_truth_only : bool
        Average only over classes with ground-truth pixels (support > 0), as detectron2.
    miss : array_like, optional
        Out-of-range predictions per true class (``out_of_range="miss"``): false negatives.
    multilabel : bool
        `cm` holds per-label 2x2 counts; the positive class of each label is scored.

    Returns
    -------
    float or ndarray of float64
        A float for a single average; ``(C,)`` for ``"none"``; a leading image axis with
        per-image counts (except the imagewise modes).

    Examples
    --------
    >>> from fastiou import metrics
"""


def _ratio_function(name: str, parts: _Parts, summary: str, examples: str) -> _RatioMetric:
    """A public from-counts metric for one ``(numerator, denominator)`` formula."""
    def metric(cm: npt.ArrayLike, *, average: Average = "macro", zero_division: float = np.nan,
               labels: Classes | None = None, classes_in_truth_only: bool = False,
               miss: npt.ArrayLike | None = None, multilabel: bool = False) -> float | FloatArray:
        return _ratio_metric(cm, parts, average=average, zero_division=zero_division, labels=labels,
                             classes_in_truth_only=classes_in_truth_only, miss=miss, multilabel=multilabel)

    metric.__name__ = metric.__qualname__ = name
    metric.__doc__ = summary + "\n" + _SHARED_DOC + examples
    return cast(_RatioMetric, metric)


iou = _ratio_function(
    "iou", lambda tp, fp, fn: (tp, tp + fp + fn),
    "Intersection over union (Jaccard index) ``tp / (tp + fp + fn)`` from counts.", """\
    >>> cm = [[2, 1, 0], [0, 3, 0], [0, 0, 0]]
    >>> metrics.iou(cm, average="none")
    array([0.66666667, 0.75      ,        nan])
    >>> metrics.iou(cm)  # class 2 (0 / 0) is left out of the mean
    0.7083333333333333
    """)
dice = _ratio_function(
    "dice", lambda tp, fp, fn: (2 * tp, 2 * tp + fp + fn),
    "Dice coefficient / F1 score ``2 tp / (2 tp + fp + fn)`` from counts.", """\
    >>> metrics.dice([[2, 1], [0, 3]], average="none")
    array([0.8       , 0.85714286])
    """)
precision = _ratio_function(
    "precision", lambda tp, fp, fn: (tp, tp + fp),
    "Precision ``tp / (tp + fp)`` from counts.", """\
    >>> metrics.precision([[2, 1], [0, 3]], average="none")
    array([1.  , 0.75])
    """)
recall = _ratio_function(
    "recall", lambda tp, fp, fn: (tp, tp + fn),
    "Recall (per-class accuracy, sensitivity) ``tp / (tp + fn)`` from counts.", """\
    >>> metrics.recall([[2, 1], [0, 3]], average="none")
    array([0.66666667, 1.        ])
    """)


@overload
def fbeta(cm: npt.ArrayLike, beta: float, *, average: Literal["none"],
          **options: Unpack[_RatioOptions]) -> FloatArray: ...
@overload
def fbeta(cm: npt.ArrayLike, beta: float, *, average: Average = "macro",
          **options: Unpack[_RatioOptions]) -> float | FloatArray: ...
def fbeta(cm: npt.ArrayLike, beta: float, *, average: Average = "macro", zero_division: float = np.nan,
          labels: Classes | None = None, classes_in_truth_only: bool = False,
          miss: npt.ArrayLike | None = None, multilabel: bool = False) -> float | FloatArray:
    if isinstance(beta, (bool, np.bool_)) or not isinstance(beta, numbers.Real):
        raise TypeError(f"`beta` must be a positive number, got {type(beta).__name__} {beta!r}")
    if not (np.isfinite(beta) and beta > 0):
        raise ValueError(f"`beta` must be a positive finite number, got {beta}")
    b2 = float(beta) ** 2
    return _ratio_metric(cm, lambda tp, fp, fn: ((1 + b2) * tp, (1 + b2) * tp + b2 * fn + fp),
                         average=average, zero_division=zero_division, labels=labels,
                         classes_in_truth_only=classes_in_truth_only, miss=miss, multilabel=multilabel)


fbeta.__doc__ = """F-beta score ``(1 + b²) tp / ((1 + b²) tp + b² fn + fp)`` from counts.

    `beta` (> 0) weighs recall `beta` times as much as precision; ``beta=1`` is Dice / F1.
""" + _SHARED_DOC + """\
    >>> metrics.fbeta([[2, 1], [0, 3]], beta=2.0, average="none")
    array([0.71428571, 0.9375    ])
    """


def mean_class_accuracy(cm: npt.ArrayLike, *, zero_division: float = np.nan, labels: Classes | None = None,
                        miss: npt.ArrayLike | None = None) -> float | FloatArray:
    """Mean class accuracy (mmseg ``mAcc``): the macro mean of the per-class recall.

    Parameters
    ----------
    cm : array_like of shape (C, C) or (B, C, C)
    zero_division, labels, miss
        As in :func:`recall`.

    Returns
    -------
    float, or ndarray of shape (B,) for per-image counts

    Examples
    --------
    >>> from fastiou import metrics
    >>> metrics.mean_class_accuracy([[2, 1], [0, 3]])
    0.8333333333333333
    """
    return recall(cm, average="macro", zero_division=zero_division, labels=labels, miss=miss)


def support(cm: npt.ArrayLike, *, miss: npt.ArrayLike | None = None, multilabel: bool = False) -> CountArray:
    """Number of ground-truth pixels of each class (row sums, plus `miss`).

    Parameters
    ----------
    cm, miss, multilabel
        As in :func:`iou`.

    Returns
    -------
    ndarray of shape (C,) (or with a leading image axis), int64 for integer counts

    Examples
    --------
    >>> from fastiou import metrics
    >>> metrics.support([[2, 1], [0, 3]])
    array([3, 3])
    """
    counts, extra = as_counts(cm, miss, multilabel=multilabel)
    tp, _, fn = class_counts(counts, extra, multilabel)
    total = tp + fn
    integral = np.asarray(cm).dtype.kind in "biu" and (miss is None or np.asarray(miss).dtype.kind in "biu")
    return total.astype(np.int64) if integral else total


def pixel_accuracy(cm: npt.ArrayLike, *, miss: npt.ArrayLike | None = None, multilabel: bool = False,
                   zero_division: float = np.nan) -> float | FloatArray:
    """Overall pixel accuracy (mmseg ``aAcc``): correct pixels over all counted pixels.

    Under ``out_of_range="miss"`` the out-of-range predictions count as wrong pixels. With
    `multilabel`, correct label decisions (tp + tn) over all label decisions.

    Parameters
    ----------
    cm, miss, multilabel
        As in :func:`iou`.
    zero_division : float
        The value when nothing was counted (NaN by default).

    Returns
    -------
    float, or ndarray of shape (B,) for per-image counts

    Examples
    --------
    >>> from fastiou import metrics
    >>> metrics.pixel_accuracy([[2, 1], [0, 3]])
    0.8333333333333334
    """
    counts, miss = as_counts(cm, miss, multilabel=multilabel)
    zero_division = check_zero_division(zero_division)
    if multilabel:
        correct = (counts[..., 0, 0] + counts[..., 1, 1]).sum(axis=-1)
        total = counts.sum(axis=(-3, -2, -1)) + miss.sum(axis=(-2, -1))
    else:
        correct = np.trace(counts, axis1=-2, axis2=-1)
        total = counts.sum(axis=(-2, -1)) + miss.sum(axis=-1)
    return scalar(ratio(correct, total, zero_division))


def frequency_weighted_iou(cm: npt.ArrayLike, *, miss: npt.ArrayLike | None = None,
                           zero_division: float = np.nan) -> float | FloatArray:
    """Frequency-weighted IoU: per-class IoU weighted by the class's share of truth pixels.

    Parameters
    ----------
    cm, miss
        As in :func:`iou` (not multilabel).
    zero_division : float
        The value when no ground-truth pixel was counted (NaN by default).

    Returns
    -------
    float, or ndarray of shape (B,) for per-image counts

    Examples
    --------
    >>> from fastiou import metrics
    >>> round(metrics.frequency_weighted_iou([[2, 1], [0, 3]]), 6)
    0.708333
    """
    counts, miss = as_counts(cm, miss)
    zero_division = check_zero_division(zero_division)
    tp, fp, fn = class_counts(counts, miss, False)
    per_class = ratio(tp, tp + fp + fn, 0.0)
    truth = tp + fn
    return scalar(ratio((per_class * truth).sum(axis=-1), truth.sum(axis=-1), zero_division))


def cohen_kappa(cm: npt.ArrayLike, *, miss: npt.ArrayLike | None = None,
                zero_division: float = np.nan) -> float | FloatArray:
    """Cohen's kappa ``(p_o - p_e) / (1 - p_e)`` of the agreement between truth and prediction.

    Out-of-range predictions (`miss`) count as one more predicted category that no truth
    matches. Equals ``sklearn.metrics.cohen_kappa_score`` (unweighted).

    Parameters
    ----------
    cm, miss
        As in :func:`iou` (not multilabel).
    zero_division : float
        The value when ``p_e == 1`` (one category everywhere) or nothing was counted.

    Returns
    -------
    float, or ndarray of shape (B,) for per-image counts

    Examples
    --------
    >>> from fastiou import metrics
    >>> round(metrics.cohen_kappa([[2, 1], [0, 3]]), 6)
    0.666667
    """
    counts, miss = as_counts(cm, miss)
    zero_division = check_zero_division(zero_division)
    rows = counts.sum(axis=-1) + miss
    columns = counts.sum(axis=-2)
    total = rows.sum(axis=-1)
    observed = np.trace(counts, axis1=-2, axis2=-1)
    expected = (rows * columns).sum(axis=-1)
    # kappa = (total * observed - expected) / (total**2 - expected), exact in counts
    return scalar(ratio(total * observed - expected, total * total - expected, zero_division))


# --------------------------------------------------------------------------- one shot

def _one_shot(metric: Callable[..., float | FloatArray], y_true: npt.ArrayLike, y_pred: npt.ArrayLike,
              num_classes: Integer | None, count_options: dict[str, Any], metric_options: dict[str, Any]
              ) -> float | FloatArray:
    """Count once (per image for imagewise averages) and apply a from-counts `metric`."""
    if metric_options.get("average") in IMAGEWISE and not count_options.get("per_image", False):
        count_options = dict(count_options, per_image=True)
    counts = count_pairs(y_true, y_pred, num_classes, **count_options)
    miss = counts.miss if count_options.get("out_of_range", "raise") == "miss" else None
    if count_options.get("multilabel", False):
        metric_options = dict(metric_options, multilabel=True)
    return metric(counts.matrix, miss=miss, **metric_options)


_ONE_SHOT_DOC = """
    Counts with :func:`fastiou.confusion_matrix` (one pass; per image for the imagewise
    averages) and reduces as :func:`fastiou.metrics.{name}` does.

    Parameters
    ----------
    y_true, y_pred, num_classes
        As in :func:`fastiou.confusion_matrix` (labels, scores with `axis`, probabilities
        with `threshold`, one-hot truth, multilabel).
    {extra}average, zero_division, labels, classes_in_truth_only
        As in :func:`fastiou.metrics.{name}`.
    **count_options
        The keywords of :func:`fastiou.confusion_matrix`: `ignore_index`, `sample_weight`,
        `n_threads`, `out_of_range` (under ``"miss"`` bad predictions are false negatives),
        `axis`, `threshold`, `per_image`, `multilabel`.

    Returns
    -------
    float or ndarray of float64
        A float; the ``(C,)`` per-class values for ``average="none"``; one value per image
        with ``per_image=True`` (except the imagewise averages, which give one float).

    Examples
    --------
    >>> import numpy as np, fastiou
"""


def _one_shot_function(name: str, metric: _RatioMetric, summary: str, examples: str) -> _OneShotScore:
    """A public one-shot ``*_score`` function for a from-counts `metric`."""
    def score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
              average: Average = "macro", zero_division: float = np.nan, labels: Classes | None = None,
              classes_in_truth_only: bool = False, **count_options: Any) -> float | FloatArray:
        return _one_shot(metric, y_true, y_pred, num_classes, count_options, dict(
            average=average, zero_division=zero_division, labels=labels,
            classes_in_truth_only=classes_in_truth_only))

    score.__name__ = score.__qualname__ = name
    score.__doc__ = summary + "\n" + _ONE_SHOT_DOC.format(name=metric.__name__, extra="") + examples
    return cast(_OneShotScore, score)


jaccard_score = _one_shot_function(
    "jaccard_score", iou, "IoU / Jaccard index from label arrays, scores or probabilities.", """\
    >>> fastiou.jaccard_score(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3, average="none")
    array([1. , 0.5, 0.5])
    """)
dice_score = _one_shot_function(
    "dice_score", dice, "Dice coefficient / F1 score from label arrays, scores or probabilities.", """\
    >>> fastiou.dice_score(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    0.7777777777777777
    """)
precision_score = _one_shot_function(
    "precision_score", precision, "Precision from label arrays, scores or probabilities.", """\
    >>> fastiou.precision_score(np.array([0, 1, 1]), np.array([0, 1, 0]), 2, average="none")
    array([0.5, 1. ])
    """)
recall_score = _one_shot_function(
    "recall_score", recall, "Recall (class accuracy) from label arrays, scores or probabilities.", """\
    >>> fastiou.recall_score(np.array([0, 1, 1]), np.array([0, 1, 0]), 2, average="none")
    array([1. , 0.5])
    """)


@overload
def fbeta_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *, beta: float,
                average: Literal["none"], per_image: bool = False,
                **options: Unpack[_ScoreOptions]) -> FloatArray: ...
@overload
def fbeta_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *, beta: float,
                average: _Reduced = "macro", per_image: Literal[False] = False,
                **options: Unpack[_ScoreOptions]) -> float: ...
@overload
def fbeta_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *, beta: float,
                average: Average = "macro", per_image: bool = False,
                **options: Unpack[_ScoreOptions]) -> float | FloatArray: ...
def fbeta_score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *, beta: float,
                average: Average = "macro", zero_division: float = np.nan, labels: Classes | None = None,
                classes_in_truth_only: bool = False, **count_options: Any) -> float | FloatArray:
    return _one_shot(lambda cm, **kw: fbeta(cm, beta, **kw), y_true, y_pred, num_classes,
                     count_options, dict(average=average, zero_division=zero_division,
                                         labels=labels, classes_in_truth_only=classes_in_truth_only))


fbeta_score.__doc__ = "F-beta score from label arrays, scores or probabilities.\n" + _ONE_SHOT_DOC.format(
    name="fbeta", extra="beta : float\n        Recall weight (> 0).\n    ") + """\
    >>> fastiou.fbeta_score(np.array([0, 1, 1]), np.array([0, 1, 0]), 2, beta=1.0, average="micro")
    0.6666666666666666
    """


def _whole_matrix_function(name: str, metric: Callable[..., float | FloatArray], summary: str,
                           examples: str) -> _WholeMatrixScore:
    """A public one-shot function for a from-counts `metric` with one value per matrix."""
    def score(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
              zero_division: float = np.nan, **count_options: Any) -> float | FloatArray:
        return _one_shot(metric, y_true, y_pred, num_classes, count_options, dict(zero_division=zero_division))

    score.__name__ = score.__qualname__ = name
    score.__doc__ = f"""{summary}

    Counts with :func:`fastiou.confusion_matrix` and applies
    :func:`fastiou.metrics.{metric.__name__}`.

    Parameters
    ----------
    y_true, y_pred, num_classes
        As in :func:`fastiou.confusion_matrix` (labels, scores with `axis`, probabilities
        with `threshold`, one-hot truth, multilabel).
    zero_division : float
        As in :func:`fastiou.metrics.{metric.__name__}`.
    **count_options
        The keywords of :func:`fastiou.confusion_matrix`: `ignore_index`, `sample_weight`,
        `n_threads`, `out_of_range`, `axis`, `threshold`, `per_image`, `multilabel`.

    Returns
    -------
    float, or ndarray of shape (B,) with ``per_image=True``

    Examples
    --------
    >>> import numpy as np, fastiou
""" + examples
    return cast(_WholeMatrixScore, score)


accuracy_score = _whole_matrix_function(
    "accuracy_score", pixel_accuracy, "Overall pixel accuracy from label arrays, scores or probabilities.", """\
    >>> fastiou.accuracy_score(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    0.75
    """)
cohen_kappa_score = _whole_matrix_function(
    "cohen_kappa_score", cohen_kappa, "Cohen's kappa from label arrays, scores or probabilities.", """\
    >>> round(fastiou.cohen_kappa_score(np.array([0, 1, 1, 0]), np.array([0, 1, 0, 0]), 2), 4)
    0.5
    """)
