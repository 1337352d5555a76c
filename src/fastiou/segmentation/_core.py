"""Public confusion-matrix and IoU functions: validate, convert once, call the kernel."""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from typing import TYPE_CHECKING, Any, Literal, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from fastiou._shared._threads import resolve_n_threads, row_chunks, threads_for_size
from fastiou._shared._typing import (CountArray, FloatArray, IgnoreIndex, IntArray, Integer,
                                     OutOfRange)
from fastiou._shared._validation import (
    as_label_array,
    as_sample_weight,
    check_counts,
    check_matrix_fits,
    check_num_classes,
    check_per_image_fits,
    check_same_shape,
    common_label_dtype,
    flatten_together,
    ignore_values,
)
from fastiou.segmentation import _confusion, _scores, _weighted
from fastiou.segmentation._inputs import (
    KIND_ARGMAX,
    KIND_ONE_HOT,
    decode_for_weights,
    not_one_hot_error,
    plan_counting,
)
from fastiou.segmentation._inputs import CountingPlan

if TYPE_CHECKING:
    from typing_extensions import Unpack

    from fastiou._shared._typing import LabelOptions

OUT_OF_RANGE_POLICIES = ("raise", "ignore", "miss")

# Below this many label pairs per thread a call runs on fewer threads. On a quiet 2-core Xeon
# (medians of 300 calls, 19 classes, uint8) two threads break even at 2**14 pairs and save
# 3-9 us at 2**15-2**16; but when the other core is busy, waking the second thread can take a
# scheduler time slice (5-7 ms measured at 2**13-2**14 pairs). Up to 2**17 pairs the gain is
# too small for that risk.
MIN_PAIRS_PER_THREAD = 1 << 16

# Every thread but the first counts into a private (C, C) int64 table, zeroed before and
# added up after: about 2 ns per table entry against about 1 ns saved per pair it counts. So
# a thread needs this many pairs per entry of its table: 16x1024x1024 pairs run on 2 threads
# up to 1448 classes, on one from 3,688 classes (ADE20K-full: 13.6 M entries, 109 MB a table).
PAIRS_PER_TABLE_ENTRY = 4
# ... or, where the label kernel counts into uint16 tables (``_confusion.uses_narrow_tables``:
# every thread has one, a quarter of the bytes), this many: 16x1024x1024 int32 pairs with
# 10 % noise, 2 threads against 1, took 0.85-0.88 the time at 4 pairs an entry (2048
# classes), 0.97-0.98 at 2 (2896), 0.89-1.13 at 1.2 (3,688); up to 2364 classes run on 2.
PAIRS_PER_NARROW_ENTRY = 3


def pairs_per_thread(table_entries: int, narrow: bool = False) -> int:
    """The fewest pairs worth a thread that has its own table of `table_entries` counts
    (uint16 counts when `narrow`, else int64 or float64)."""
    per_entry = PAIRS_PER_NARROW_ENTRY if narrow else PAIRS_PER_TABLE_ENTRY
    return max(MIN_PAIRS_PER_THREAD, per_entry * table_entries)


class Counts(NamedTuple):
    """What one counting pass returns (see ``fastiou.segmentation._confusion``)."""

    matrix: CountArray
    miss: CountArray
    n_bad_true: int
    n_bad_pred: int


class PreparedPairs(NamedTuple):
    """Flat, contiguous, same-dtype arrays the kernels take as they are."""

    y_true: npt.NDArray[np.integer[Any]]
    y_pred: npt.NDArray[np.integer[Any]]
    ignore: npt.NDArray[np.integer[Any]]
    weights: FloatArray | None


def prepare_pairs(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, ignore_index: object = None,
                  sample_weight: npt.ArrayLike | None = None) -> PreparedPairs:
    """Validate and convert label pairs (and weights) once for the kernels."""
    truth = as_label_array(y_true, "y_true")
    pred = as_label_array(y_pred, "y_pred")
    check_same_shape(truth, pred)
    truth, pred = common_label_dtype(truth, pred)
    ignore = ignore_values(ignore_index, truth.dtype)
    arrays: list[npt.NDArray[Any]] = [truth, pred]
    if sample_weight is not None:
        arrays.append(as_sample_weight(sample_weight, truth.shape))
    flat = flatten_together(*arrays)
    return PreparedPairs(flat[0], flat[1], ignore, flat[2] if sample_weight is not None else None)


def _check_policy(out_of_range: object) -> None:
    if out_of_range not in OUT_OF_RANGE_POLICIES:
        raise ValueError(
            f"`out_of_range` must be one of {', '.join(map(repr, OUT_OF_RANGE_POLICIES))}, "
            f"got {out_of_range!r}"
        )


def _out_of_range_error(truth: npt.NDArray[Any] | None, pred: npt.NDArray[Any] | None,
                        ignore: npt.NDArray[Any], num_classes: int, counts: Counts) -> ValueError:
    """The ValueError for labels outside [0, num_classes), with a count and an example
    (`truth` / `pred` are None for inputs that are not label maps)."""
    parts = []
    if counts.n_bad_true:
        example = ""
        if truth is not None:
            kept = ~np.isin(truth, ignore)
            example = f" (e.g. {truth[kept & ((truth < 0) | (truth >= num_classes))][0]})"
        parts.append(
            f"`y_true` has {counts.n_bad_true} label(s) outside [0, {num_classes}) that are not "
            f"in `ignore_index`{example}"
        )
    if counts.n_bad_pred:
        example = ""
        if truth is not None and pred is not None:
            kept = ~np.isin(truth, ignore) & (truth >= 0) & (truth < num_classes)
            example = f" (e.g. {pred[kept & ((pred < 0) | (pred >= num_classes))][0]})"
        parts.append(
            f"`y_pred` has {counts.n_bad_pred} label(s) outside [0, {num_classes}) on pairs with a "
            f"valid `y_true`{example}"
        )
    return ValueError(
        "; ".join(parts)
        + ". Check `num_classes`, add the value to `ignore_index`, or choose "
        "out_of_range='ignore' (drop such pairs) or 'miss' (count a bad prediction as a miss)"
    )


def count_pairs(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: object, *,
                ignore_index: object = None, sample_weight: npt.ArrayLike | None = None,
                n_threads: object = None, out_of_range: object = "raise", axis: object = None,
                threshold: object = None, per_image: object = False, multilabel: object = False
                ) -> Counts:
    """Validate, convert once and count: the shared body of every public counting function.

    Returns a :class:`Counts`; raises for out-of-range labels when ``out_of_range="raise"``.
    Two integer label maps go to the label kernels of ``fastiou.segmentation._confusion``;
    scores, probabilities, one-hot truth, multilabel masks and per-image counting go to
    ``fastiou.segmentation._scores`` (see ``fastiou.segmentation._inputs`` for how the
    options are read).
    """
    _check_policy(out_of_range)
    threads = resolve_n_threads(n_threads)
    plan = plan_counting(y_true, y_pred, num_classes, ignore_index=ignore_index, axis=axis,
                         threshold=threshold, per_image=per_image, multilabel=multilabel,
                         weighted=sample_weight is not None)
    if plan is not None:
        if sample_weight is None:
            return _count_plan(plan, threads, out_of_range)
        num_classes = plan.num_classes
        y_true, y_pred = decode_for_weights(plan)
        sample_weight = as_sample_weight(sample_weight, plan.label_shape).reshape(-1)
    num_classes = check_num_classes(num_classes)
    pairs = prepare_pairs(y_true, y_pred, ignore_index, sample_weight)
    narrow = pairs.weights is None and _confusion.uses_narrow_tables(num_classes)
    threads = threads_for_size(threads, pairs.y_true.size,
                               pairs_per_thread(num_classes * num_classes, narrow))
    threads = check_matrix_fits(num_classes, threads, table_itemsize=2 if narrow else 8)
    counts = Counts(*_sum_chunks(_count_label_chunks(pairs, num_classes, threads)))
    if out_of_range == "raise" and (counts.n_bad_true or counts.n_bad_pred):
        raise _out_of_range_error(pairs.y_true, pairs.y_pred, pairs.ignore, num_classes, counts)
    return counts


def _sum_chunks(chunks: Iterable[tuple[Any, ...]], per_image: bool = False) -> tuple[Any, ...]:
    """Add up (or, per image, stack) the count tuples of consecutive chunks."""
    parts = list(chunks)
    if len(parts) == 1:
        return parts[0]
    if per_image:
        return tuple(np.concatenate(field) if isinstance(field[0], np.ndarray) else sum(field)
                     for field in zip(*parts))
    return tuple(sum(field[1:], start=field[0].copy()) if isinstance(field[0], np.ndarray)
                 else sum(field) for field in zip(*parts))


def _count_label_chunks(pairs: PreparedPairs, num_classes: int, threads: int) -> Iterator[Counts]:
    """Counts of the flat label pairs, one kernel call per chunk (see ``row_chunks``)."""
    for chunk in row_chunks(pairs.y_true.size, 1):
        if pairs.weights is None:
            yield Counts(*_confusion.confusion_counts(
                pairs.y_true[chunk], pairs.y_pred[chunk], num_classes, pairs.ignore, threads))
        else:
            yield Counts(*_weighted.weighted_confusion_counts(
                pairs.y_true[chunk], pairs.y_pred[chunk], pairs.weights[chunk], num_classes,
                pairs.ignore, threads))


def _count_plan_chunks(plan: CountingPlan, threads: int) -> Iterator[tuple[Any, ...]]:
    """``_scores.tile_counts`` over chunks of whole rows of the (outer, K, inner) geometry
    (whole images when counting per image)."""
    outer = plan.n_pixels // max(plan.inner, 1)
    truth_step = plan.inner * (plan.channels if plan.multilabel or plan.truth_kind == KIND_ONE_HOT else 1)
    pred_step = plan.inner * (plan.channels if plan.multilabel or plan.pred_kind == KIND_ARGMAX else 1)
    rows_per_image = max(outer // plan.n_images, 1) if plan.n_images else 1
    truth, pred = plan.truth.reshape(-1), plan.pred.reshape(-1)
    for rows in row_chunks(outer, plan.inner * plan.channels, rows_per_image):
        n_rows = rows.stop - rows.start
        yield _scores.tile_counts(
            truth[rows.start * truth_step:rows.stop * truth_step], plan.truth_kind,
            pred[rows.start * pred_step:rows.stop * pred_step], plan.pred_kind, plan.channels,
            plan.inner, n_rows * plan.inner, plan.num_classes, plan.groups, plan.multilabel,
            n_rows // rows_per_image if plan.n_images else 0, plan.ignore, plan.threshold, threads)


def _count_plan(plan: CountingPlan, threads: int, out_of_range: object) -> Counts:
    """Run ``_scores.tile_counts`` on a :class:`fastiou.segmentation._inputs.CountingPlan`."""
    table = 0 if plan.n_images else plan.groups * plan.num_classes * plan.num_classes
    threads = threads_for_size(threads, plan.n_pixels * plan.channels, pairs_per_thread(table))
    if plan.n_images:
        threads = min(threads, plan.n_images)
        check_per_image_fits(plan.n_images, plan.groups * (plan.num_classes + 1) * plan.num_classes)
    matrix, miss, n_bad_true, n_bad_pred, n_not_one_hot = _sum_chunks(
        _count_plan_chunks(plan, threads), per_image=bool(plan.n_images))
    if n_not_one_hot:
        raise not_one_hot_error(n_not_one_hot)
    if not plan.multilabel:  # drop the group axis of length 1
        matrix, miss = matrix[..., 0, :, :], miss[..., 0, :]
    counts = Counts(matrix, miss, n_bad_true, n_bad_pred)
    if out_of_range == "raise" and (n_bad_true or n_bad_pred):
        labels_only = plan.truth_kind == plan.pred_kind == 0
        raise _out_of_range_error(plan.truth.reshape(-1) if plan.truth_kind == 0 else None,
                                  plan.pred.reshape(-1) if labels_only else None,
                                  plan.ignore, plan.num_classes, counts)
    return counts


@overload
def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                     sample_weight: None = None, per_image: bool = False,
                     **options: Unpack[LabelOptions]) -> IntArray: ...
@overload
def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                     sample_weight: npt.ArrayLike, per_image: bool = False,
                     **options: Unpack[LabelOptions]) -> FloatArray: ...
@overload
def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                     sample_weight: npt.ArrayLike | None, per_image: bool = False,
                     **options: Unpack[LabelOptions]) -> CountArray: ...
def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                     ignore_index: IgnoreIndex = None, sample_weight: npt.ArrayLike | None = None,
                     n_threads: int | None = None, out_of_range: OutOfRange = "raise",
                     axis: int | None = None, threshold: float | None = None,
                     per_image: bool = False, multilabel: bool = False) -> CountArray:
    """Count label pairs into a confusion matrix in one multithreaded pass.

    Parameters
    ----------
    y_true : array_like of int or bool
        Ground-truth class labels (any number of dimensions, any memory layout; lists and
        CPU torch tensors work), or one-hot rows along `axis` (same shape as scores in
        `y_pred`; each row must hold exactly one 1 and zeros).
    y_pred : array_like
        Predicted labels of `y_true`'s shape; or float16/32/64 class scores, logits or
        probabilities with one more axis, the class `axis` (the argmax is taken inside the
        counting pass, ties go to the lowest class as in ``np.argmax``, NaN wins as in
        ``np.argmax``); or, with `threshold` and without `axis`, float binary probabilities
        of `y_true`'s shape, predicted positive where ``y_pred > threshold``.
    num_classes : int or None
        Number of classes ``C``; valid labels are ``0 .. C-1``. With a class `axis` it
        must equal the length of that axis, or be None to take it from there.
    ignore_index : int or sequence of int, optional
        Truth values whose pairs are dropped (their prediction is not looked at). Values
        may lie inside or outside ``[0, C)``.
    sample_weight : array_like of float, optional
        Non-negative finite weights of the label map's shape or broadcastable to it; the
        matrix is then float64 sums of weights. Not with `per_image` or `multilabel`.
    n_threads : int, optional
        ``None`` (default): the OpenMP default at call time (``OMP_NUM_THREADS``,
        threadpoolctl); ``-1``: all CPUs; ``-k``: all but ``k - 1``; ``0`` is an error.
        Results never depend on it.
    out_of_range : {"raise", "ignore", "miss"}
        What to do with a pair whose truth (not ignored) or prediction lies outside
        ``[0, C)``: raise a ``ValueError`` (default), or leave it out of the matrix (the
        metric functions count a bad prediction as a false negative under ``"miss"``).
    axis : int, optional
        The class axis of scores in `y_pred` or of a one-hot `y_true` (1 for the PyTorch
        ``(N, C, H, W)`` layout, -1 for channels-last); with `multilabel` the label axis
        (default 1).
    threshold : float, optional
        Read float `y_pred` of `y_true`'s shape as binary probabilities, positive where
        ``y_pred > threshold``; with `multilabel` it defaults to 0.5. An error with integer
        labels or class scores.
    per_image : bool
        Count each image (axis 0 is the batch) on its own: returns ``(B, C, C)`` from the
        same single pass.
    multilabel : bool
        `y_true` and `y_pred` are 0/1 masks (or probabilities in `y_pred`) of one shape
        with labels along `axis`; returns per-label 2x2 counts ``(L, 2, 2)``
        (``[[tn, fp], [fn, tp]]``), `num_classes` being the number of labels ``L``.

    Returns
    -------
    ndarray of shape (C, C), (B, C, C), (L, 2, 2) or (B, L, 2, 2)
        Rows are ground truth, columns prediction; int64 counts, or float64 with weights.

    Raises
    ------
    TypeError
        Labels that are not integers or bools, a non-integer `num_classes`, `n_threads` or
        `axis`.
    ValueError
        Shapes that differ, 0-d input, out-of-range labels (with ``"raise"``), bad weights,
        ``n_threads=0``, a `num_classes` whose matrix would not fit in memory, and options
        that do not fit the arrays: `threshold` with labels or class scores, `axis` out of
        range, float scores without `axis`, one-hot rows that are not one-hot, weights with
        `per_image`.

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> fastiou.confusion_matrix(np.array([0, 1, 1, 2]), np.array([0, 1, 2, 2]), 3)
    array([[1, 0, 0],
           [0, 1, 1],
           [0, 0, 1]])

    Class scores of shape ``(N, C, H, W)``: the argmax is fused into the count.

    >>> scores = np.array([[[[0.1, 0.7]], [[0.9, 0.2]]]])  # N=1, C=2, H=1, W=2
    >>> fastiou.confusion_matrix(np.array([[[1, 0]]]), scores, 2, axis=1)
    array([[1, 0],
           [0, 1]])
    """
    return count_pairs(y_true, y_pred, num_classes, ignore_index=ignore_index,
                       sample_weight=sample_weight, n_threads=n_threads,
                       out_of_range=out_of_range, axis=axis, threshold=threshold,
                       per_image=per_image, multilabel=multilabel).matrix


def as_confusion_matrix(cm: npt.ArrayLike, name: str = "cm") -> FloatArray:
    """Return `cm` as a float64 square matrix of finite, non-negative counts."""
    matrix = check_counts(cm, name)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"`{name}` must be a square 2-D matrix, got shape {matrix.shape}")
    return matrix.astype(np.float64)


def iou_from_confusion(cm: npt.ArrayLike) -> FloatArray:
    """Per-class IoU (Jaccard index) ``tp / (tp + fp + fn)`` from a confusion matrix.

    Parameters
    ----------
    cm : array_like of shape (C, C)
        Counts with rows = ground truth and columns = prediction, as returned by
        :func:`confusion_matrix`.

    Returns
    -------
    ndarray of shape (C,), float64
        NaN for a class with ``tp + fp + fn == 0`` (absent from both truth and prediction);
        no NumPy warning is emitted.

    Examples
    --------
    >>> import fastiou
    >>> fastiou.iou_from_confusion([[1, 0, 0], [0, 1, 1], [0, 0, 0]])
    array([1. , 0.5, 0. ])
    """
    matrix = as_confusion_matrix(cm)
    return _iou(matrix, np.zeros(matrix.shape[0]))


def class_counts(counts: FloatArray, miss: FloatArray, multilabel: bool
                 ) -> tuple[FloatArray, FloatArray, FloatArray]:
    """Per-class (tp, fp, fn) float64 arrays of shape (…, C) (for multilabel: per label)."""
    if multilabel:
        return counts[..., 1, 1], counts[..., 0, 1], counts[..., 1, 0] + miss[..., 1]
    tp = np.diagonal(counts, axis1=-2, axis2=-1)
    return tp, counts.sum(axis=-2) - tp, counts.sum(axis=-1) - tp + miss


def ratio(numerator: npt.ArrayLike, denominator: npt.ArrayLike, zero_division: float) -> FloatArray:
    """numerator / denominator, `zero_division` where the denominator is 0 (no warning)."""
    out = np.full(np.shape(numerator), zero_division, dtype=np.float64)
    np.divide(numerator, denominator, out=out, where=np.asarray(denominator) > 0)
    return out


def _iou(matrix: npt.NDArray[Any], miss: npt.NDArray[Any]) -> FloatArray:
    """Per-class IoU with `miss` (out-of-range predictions) added to the false negatives;
    any leading axes (images, labels) are kept."""
    tp, fp, fn = class_counts(matrix, miss, False)
    return ratio(tp, tp + fp + fn, np.nan)


def per_class_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
                  ignore_index: IgnoreIndex = None, sample_weight: npt.ArrayLike | None = None,
                  n_threads: int | None = None, out_of_range: OutOfRange = "raise",
                  axis: int | None = None, threshold: float | None = None,
                  per_image: bool = False, multilabel: bool = False) -> FloatArray:
    """Per-class IoU of two label arrays (one counting pass, then :func:`iou_from_confusion`).

    Parameters
    ----------
    y_true, y_pred, num_classes
        As in :func:`confusion_matrix`: label maps, or scores with `axis`, probabilities
        with `threshold`, one-hot truth, multilabel masks.
    ignore_index, sample_weight, n_threads, out_of_range, axis, threshold, per_image, multilabel
        As in :func:`confusion_matrix`. Under ``out_of_range="miss"`` a prediction outside
        ``[0, C)`` counts as a false negative of its true class.

    Returns
    -------
    ndarray of shape (C,), float64
        NaN for classes absent from both truth and prediction; ``(B, C)`` with
        `per_image`; with `multilabel` the IoU of the positive class of each label ``(L,)``.

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> fastiou.per_class_iou(np.array([0, 1, 1]), np.array([0, 1, 0]), 2)
    array([0.5, 0.5])
    """
    counts = count_pairs(y_true, y_pred, num_classes, ignore_index=ignore_index,
                         sample_weight=sample_weight, n_threads=n_threads,
                         out_of_range=out_of_range, axis=axis, threshold=threshold,
                         per_image=per_image, multilabel=multilabel)
    miss = counts.miss if out_of_range == "miss" else np.zeros(counts.miss.shape)
    iou = _iou(counts.matrix, miss)
    return iou[..., 1] if multilabel else iou


@overload
def mean_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
             sample_weight: npt.ArrayLike | None = None, per_image: Literal[False] = False,
             **options: Unpack[LabelOptions]) -> float: ...
@overload
def mean_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
             sample_weight: npt.ArrayLike | None = None, per_image: Literal[True],
             **options: Unpack[LabelOptions]) -> FloatArray: ...
@overload
def mean_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
             sample_weight: npt.ArrayLike | None = None, per_image: bool,
             **options: Unpack[LabelOptions]) -> float | FloatArray: ...
def mean_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer | None, *,
             ignore_index: IgnoreIndex = None, sample_weight: npt.ArrayLike | None = None,
             n_threads: int | None = None, out_of_range: OutOfRange = "raise",
             axis: int | None = None, threshold: float | None = None,
             per_image: bool = False, multilabel: bool = False) -> float | FloatArray:
    """Mean IoU: the mean of :func:`per_class_iou` over classes whose IoU is not NaN.

    A class absent from both truth and prediction (0 / 0) is left out of the mean, as in
    torchmetrics' macro average, Keras ``MeanIoU``, mmseg and cityscapesScripts. When no
    class is present at all the result is NaN.

    Parameters
    ----------
    y_true, y_pred, num_classes
        As in :func:`confusion_matrix`.
    ignore_index, sample_weight, n_threads, out_of_range, axis, threshold, per_image, multilabel
        As in :func:`confusion_matrix` (``out_of_range="miss"`` as in :func:`per_class_iou`).

    Returns
    -------
    float, or ndarray of shape (B,) with `per_image`
        A Python float; with `per_image` the mean of each image, float64.

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> fastiou.mean_iou(np.array([0, 1, 1]), np.array([0, 1, 0]), num_classes=2)
    0.5
    """
    iou = per_class_iou(y_true, y_pred, num_classes, ignore_index=ignore_index,
                        sample_weight=sample_weight, n_threads=n_threads,
                        out_of_range=out_of_range, axis=axis, threshold=threshold,
                        per_image=per_image, multilabel=multilabel)
    present = ~np.isnan(iou)
    n_present = present.sum(axis=-1)
    total = np.where(present, iou, 0.0).sum(axis=-1)
    means = np.full(n_present.shape, np.nan)
    np.divide(total, n_present, out=means, where=n_present > 0)
    return float(means) if means.ndim == 0 else means
