"""The BF score (boundary F1) of label maps: contour precision and recall within a tolerance.

Definition followed: Csurka, Larlus and Perronnin, "What is a good evaluation measure for
semantic segmentation?", BMVC 2013 (section 4, the BF measure), which MATLAB's ``bfscore``
and ``evaluateSemanticSegmentation`` implement (their source is not public: equality with
MATLAB is not tested; the tests compare with a per-class SciPy oracle of this definition).

- The contour of class c in a label map is the set of pixels labelled c that have a
  4-neighbour of another label: the perimeter of the mask ``map == c`` with 4-connectivity
  (the default connectivity of MATLAB's ``bwperim``). With ``image_border=True`` (the
  default) the image is taken as surrounded by background, so a pixel of c on the image's
  edge is on c's contour too, and every class present in a map has a contour there; with
  ``image_border=False`` the frame is no boundary (the view of Berkeley's ``seg2bmap``,
  which the DAVIS F measure uses).
- The tolerance theta is ``tolerance`` pixels, or ``tolerance_ratio`` (0.75 %, Csurka's
  and MATLAB's default) of the image diagonal. A contour pixel of c in one map is matched
  when the other map has a contour pixel of c at Euclidean distance ``d < theta`` (strict,
  Csurka's ``[[d(z, B) < theta]]``).
- Precision of c = matched predicted contour pixels / predicted contour pixels; recall =
  matched true contour pixels / true contour pixels; F = 2PR / (P + R).
- Empty contours: when neither map has a contour pixel of c, P, R and F are NaN (the class
  is absent and left out of the means: Csurka averages over the classes present); when
  only one has, the missing side's ratio is NaN and F is 0 (a class predicted but not
  true, or true but missed, scores 0). P + R = 0 gives F = 0.
- Combining images: Csurka computes the BF per image and averages over the images, since
  the tolerance follows each image's size: ``average="image"`` gives, per class, the mean
  of the per-image scores where they are not NaN; ``average="dataset"`` sums the four
  counts over the images first. :class:`BFScoreTotals` keeps both, and Csurka's scalar
  (per image the mean over its classes, then the mean over the images).
- ``ignore_index``: a contour pixel (of either map) whose truth is an ignore value counts
  in neither direction; the contours are found on the maps as they are.

The kernel (``_bfscore.pyx``) lists every class's contour in one pass and matches each
contour pixel by a search of the other map's contour within the tolerance disc, so the cost
follows the pixels and the tolerance, not the number of classes.
"""

from __future__ import annotations

import math
import numbers
from typing import Any, Literal, NamedTuple, overload

import numpy as np
import numpy.typing as npt

from fastiou._shared._band_depth import check_distance, check_image_size
from fastiou._shared._threads import resolve_n_threads, row_chunks
from fastiou._shared._typing import FloatArray, IgnoreIndex, IntArray, Integer, OutOfRange
from fastiou._shared._validation import (
    as_label_array,
    check_num_classes,
    check_same_shape,
    common_label_dtype,
    ignore_values,
)
from fastiou.segmentation import _bfscore
from fastiou.segmentation._core import Counts, _check_policy, _out_of_range_error, ratio
from fastiou.segmentation.metrics import nan_mean

__all__ = ["BFScoreTotals", "boundary_fscore", "bf_tolerance", "contour_counts", "fscore_parts"]

DEFAULT_TOLERANCE_RATIO = 0.0075
AVERAGES = ("image", "dataset")
# the rows of the (4, C) counts: true contour, true matched, predicted contour, matched
TRUE_CONTOUR, TRUE_MATCHED, PRED_CONTOUR, PRED_MATCHED = range(4)
# per-image scores are summed as exact integer multiples of 1 / FIXED_ONE
FIXED_ONE = 1 << 52


class ContourCounts(NamedTuple):
    """Per-image, per-class contour counts (int64, shape (N, 4, C): true contour pixels,
    those matched, predicted contour pixels, those matched) and the pixels with a bad label."""

    per_image: IntArray
    n_bad_true: int
    n_bad_pred: int


def label_map_batch(y_true: npt.ArrayLike, y_pred: npt.ArrayLike
                    ) -> tuple[npt.NDArray[Any], npt.NDArray[Any]]:
    """Two label maps as C-contiguous (N, H, W) arrays of one integer dtype."""
    truth = as_label_array(y_true, "y_true")
    pred = as_label_array(y_pred, "y_pred")
    check_same_shape(truth, pred)
    if truth.ndim not in (2, 3):
        raise ValueError("label maps must have shape (H, W) or (N, H, W), got "
                         f"{truth.ndim}-d shape {truth.shape}")
    truth, pred = common_label_dtype(truth, pred)
    if truth.ndim == 2:
        truth, pred = truth[np.newaxis], pred[np.newaxis]
    return np.ascontiguousarray(truth), np.ascontiguousarray(pred)


def check_tolerance(tolerance: object, tolerance_ratio: object) -> tuple[float | None, float]:
    """`tolerance` (pixels, or None) and `tolerance_ratio` checked as finite numbers >= 0."""
    ratio_value = check_distance(tolerance_ratio, "tolerance_ratio")
    return (None if tolerance is None else check_distance(tolerance, "tolerance")), ratio_value


def bf_tolerance(height: int, width: int, tolerance: float | None = None,
                 tolerance_ratio: float = DEFAULT_TOLERANCE_RATIO) -> float:
    """The BF score's distance tolerance theta, in pixels, for an image of this size.

    Parameters
    ----------
    height, width : int
        The image size.
    tolerance : float, optional
        theta in pixels; when given, `tolerance_ratio` is not used.
    tolerance_ratio : float
        theta as a fraction of the image diagonal (0.0075, Csurka et al. and MATLAB).

    Returns
    -------
    float
        ``tolerance``, or ``tolerance_ratio * sqrt(height**2 + width**2)``. A contour pixel
        is matched by one of the other map at a distance ``d < theta``.

    Examples
    --------
    >>> import fastiou
    >>> round(fastiou.bf_tolerance(1024, 2048), 3)
    17.173
    >>> fastiou.bf_tolerance(1024, 2048, tolerance=2)
    2.0
    """
    tolerance, ratio_value = check_tolerance(tolerance, tolerance_ratio)
    check_image_size(height, width)
    if tolerance is not None:
        return tolerance
    return ratio_value * math.sqrt(float(height) ** 2 + float(width) ** 2)


def disc_half_widths(theta: float) -> npt.NDArray[np.int32]:
    """``half[d]``: the largest |dx| with ``dx**2 + d**2 < theta**2``, for every row offset d
    that has one (empty when theta is 0: nothing matches)."""
    limit = math.ceil(theta * theta) - 1  # the largest integer squared distance below theta**2
    if limit < 0:
        return np.zeros(0, dtype=np.int32)
    reach = math.isqrt(limit)
    return np.array([math.isqrt(limit - d * d) for d in range(reach + 1)], dtype=np.int32)


def contour_counts(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: object, *,
                   tolerance: object = None, tolerance_ratio: object = DEFAULT_TOLERANCE_RATIO,
                   image_border: bool = True, ignore_index: object = None,
                   n_threads: object = None, out_of_range: object = "raise") -> ContourCounts:
    """Validate, convert once and count the contours (the body of every public BF score
    function); raises for out-of-range labels under ``out_of_range="raise"``."""
    _check_policy(out_of_range)
    num_classes = check_num_classes(num_classes)
    tolerance, ratio_value = check_tolerance(tolerance, tolerance_ratio)
    if not isinstance(image_border, (bool, np.bool_)):
        raise TypeError(f"`image_border` must be a bool, got {type(image_border).__name__} "
                        f"{image_border!r}")
    threads = resolve_n_threads(n_threads)
    truth, pred = label_map_batch(y_true, y_pred)
    ignore = ignore_values(ignore_index, truth.dtype)
    n_images, height, width = truth.shape
    half = disc_half_widths(bf_tolerance(height, width, tolerance, ratio_value))
    parts, n_bad_true, n_bad_pred = [], 0, 0
    for chunk in row_chunks(n_images, max(height * width, 1)):  # Ctrl-C between chunks
        counts, bad_true, bad_pred = _bfscore.contour_counts(
            truth[chunk], pred[chunk], num_classes, ignore, half, bool(image_border),
            out_of_range == "miss", threads)
        parts.append(counts)
        n_bad_true += bad_true
        n_bad_pred += bad_pred
    per_image = np.concatenate(parts) if parts else np.zeros((0, 4, num_classes), np.int64)
    if out_of_range == "raise" and (n_bad_true or n_bad_pred):
        zero = np.zeros(num_classes, dtype=np.int64)
        raise _out_of_range_error(truth.reshape(-1), pred.reshape(-1), ignore, num_classes,
                                  Counts(zero, zero, n_bad_true, n_bad_pred))
    return ContourCounts(per_image[:n_images], n_bad_true, n_bad_pred)


def fscore_parts(counts: npt.ArrayLike) -> tuple[FloatArray, FloatArray, FloatArray]:
    """``(F, precision, recall)`` from counts of shape (..., 4, C), with the module's NaN
    rules: P (R) is NaN without a predicted (true) contour pixel; F is NaN when both are,
    0 when one is or when P + R = 0, else 2PR / (P + R)."""
    counts = np.asarray(counts, dtype=np.int64)
    true_contour, true_matched = counts[..., TRUE_CONTOUR, :], counts[..., TRUE_MATCHED, :]
    pred_contour, pred_matched = counts[..., PRED_CONTOUR, :], counts[..., PRED_MATCHED, :]
    precision = ratio(pred_matched, pred_contour, np.nan)
    recall = ratio(true_matched, true_contour, np.nan)
    both = (true_contour > 0) & (pred_contour > 0)
    fscore = np.where((true_contour > 0) | (pred_contour > 0), 0.0, np.nan)
    total = np.where(both, precision + recall, 0.0)
    np.divide(2 * precision * recall, total, out=fscore, where=both & (total > 0))
    return fscore, precision, recall


def _fixed(values: npt.NDArray[np.float64]) -> npt.NDArray[Any]:
    """Scores in [0, 1] as exact integer multiples of 2**-52 summed over axis 0 (Python
    ints, so that sums of any number of images never overflow and never depend on order)."""
    total = np.zeros(values.shape[1:], dtype=object)
    for start in range(0, values.shape[0], 1024):  # 1024 * 2**52 fits in int64
        block = np.rint(values[start:start + 1024] * FIXED_ONE).astype(np.int64).sum(axis=0)
        total = total + block.astype(object)
    return total


class BFScoreTotals:
    """What the BF score needs of many images, mergeable and exact: the (4, C) contour
    counts summed; per class the sums of the per-image F, P and R where they are defined
    (as integer multiples of 2**-52, so that the sums do not depend on the order or the
    grouping of the images) and how many images those are; and the sum and count of
    Csurka's per-image means over the classes."""

    def __init__(self, num_classes: int) -> None:
        self.counts = np.zeros((4, num_classes), dtype=np.int64)
        self.image_sums = np.zeros((3, num_classes), dtype=object)
        self.image_sums[...] = 0
        self.image_n = np.zeros((3, num_classes), dtype=np.int64)
        self.image_mean_sum = 0
        self.image_mean_n = 0

    def __copy__(self) -> BFScoreTotals:
        clone = BFScoreTotals(self.counts.shape[1])
        clone.add(self)
        return clone

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BFScoreTotals):
            return NotImplemented
        return self.to_dict() == other.to_dict()

    __hash__ = None  # type: ignore[assignment]  # mutable

    def add_images(self, per_image: npt.ArrayLike) -> None:
        """Add the (N, 4, C) counts of N images."""
        per_image = np.asarray(per_image, dtype=np.int64)
        if per_image.shape[0] == 0:
            return
        self.counts += per_image.sum(axis=0)
        scores = np.stack(fscore_parts(per_image), axis=1)  # (N, 3, C)
        defined = ~np.isnan(scores)
        self.image_sums = self.image_sums + _fixed(np.where(defined, scores, 0.0))
        self.image_n += defined.sum(axis=0)
        means = nan_mean(scores[:, 0, :], axis=-1)
        self.image_mean_sum += int(_fixed(np.nan_to_num(means, nan=0.0)))
        self.image_mean_n += int(np.count_nonzero(~np.isnan(means)))

    def add(self, other: BFScoreTotals) -> None:
        """Add the totals of another collection of images."""
        self.counts += other.counts
        self.image_sums = self.image_sums + other.image_sums
        self.image_n += other.image_n
        self.image_mean_sum += other.image_mean_sum
        self.image_mean_n += other.image_mean_n

    def to_dict(self) -> dict[str, Any]:
        """Plain Python ints (JSON-safe, exact): what :meth:`from_dict` reads back."""
        return {"counts": self.counts.tolist(), "image_sums": self.image_sums.tolist(),
                "image_n": self.image_n.tolist(), "image_mean_sum": self.image_mean_sum,
                "image_mean_n": self.image_mean_n}

    @classmethod
    def from_dict(cls, state: object, num_classes: int, name: str) -> BFScoreTotals:
        """Rebuild from :meth:`to_dict` output, checked (`name`: the key, for messages)."""
        keys = {"counts", "image_sums", "image_n", "image_mean_sum", "image_mean_n"}
        if not isinstance(state, dict) or set(state) != keys:
            raise ValueError(f"`{name}` must be a dict with the keys {sorted(keys)}")
        totals = cls(num_classes)
        for key, rows in (("counts", 4), ("image_sums", 3), ("image_n", 3)):
            value = state[key]
            flat = [v for row in value for v in row] if isinstance(value, list) and all(
                isinstance(row, list) and len(row) == num_classes for row in value) else None
            if (flat is None or len(value) != rows or not all(
                    isinstance(v, numbers.Integral) and not isinstance(v, bool) and int(v) >= 0
                    for v in flat)):
                raise ValueError(f"`{name}['{key}']` must be {rows} lists of {num_classes} "
                                 f"non-negative ints, got {value!r}")
            target = getattr(totals, key)
            for index, v in enumerate(flat):
                target[divmod(index, num_classes)] = int(v)
        for key in ("image_mean_sum", "image_mean_n"):
            value = state[key]
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"`{name}['{key}']` must be a non-negative int, got {value!r}")
            setattr(totals, key, int(value))
        return totals

    def image_average(self) -> tuple[FloatArray, FloatArray, FloatArray]:
        """Per class: the mean over the images of F, P and R where each is defined."""
        means = np.full(self.image_n.shape, np.nan)
        for index in zip(*np.nonzero(self.image_n)):
            means[index] = int(self.image_sums[index]) / (int(self.image_n[index]) * FIXED_ONE)
        return means[0], means[1], means[2]

    def image_mean_fscore(self) -> float:
        """Csurka's mean BF: per image the mean F over its classes with a contour, then the
        mean over those images (NaN when there is none)."""
        if not self.image_mean_n:
            return math.nan
        return self.image_mean_sum / (self.image_mean_n * FIXED_ONE)


def _check_average(average: object) -> str:
    if not isinstance(average, str) or average not in AVERAGES:
        raise ValueError(f"`average` must be one of {', '.join(map(repr, AVERAGES))}, got "
                         f"{average!r}")
    return average


@overload
def boundary_fscore(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer, *,
                    tolerance: float | None = ..., tolerance_ratio: float = ...,
                    image_border: bool = ..., average: Literal["image", "dataset"] = ...,
                    return_precision_recall: Literal[False] = ..., ignore_index: IgnoreIndex = ...,
                    n_threads: int | None = ..., out_of_range: OutOfRange = ...) -> FloatArray: ...


@overload
def boundary_fscore(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer, *,
                    tolerance: float | None = ..., tolerance_ratio: float = ...,
                    image_border: bool = ..., average: Literal["image", "dataset"] = ...,
                    return_precision_recall: Literal[True], ignore_index: IgnoreIndex = ...,
                    n_threads: int | None = ..., out_of_range: OutOfRange = ...
                    ) -> tuple[FloatArray, FloatArray, FloatArray]: ...


def boundary_fscore(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer, *,
                    tolerance: float | None = None,
                    tolerance_ratio: float = DEFAULT_TOLERANCE_RATIO, image_border: bool = True,
                    average: Literal["image", "dataset"] = "image",
                    return_precision_recall: bool = False, ignore_index: IgnoreIndex = None,
                    n_threads: int | None = None, out_of_range: OutOfRange = "raise"
                    ) -> FloatArray | tuple[FloatArray, FloatArray, FloatArray]:
    """Per-class BF score (boundary F1) of label maps, as Csurka et al. (BMVC 2013) and
    MATLAB's ``bfscore``.

    For each image and class c, the contours are the pixels of c with a 4-neighbour of
    another label (and, with `image_border`, the pixels of c on the image's edge). A
    predicted contour pixel of c is matched when the truth has a contour pixel of c at a
    Euclidean distance ``d < theta``, and a true one when the prediction has; precision =
    matched / predicted contour pixels, recall = matched / true contour pixels, F = 2PR /
    (P + R). The module docstring of ``fastiou.segmentation.bfscore`` gives the sources.
    All classes are found in one pass, whatever their number.

    Parameters
    ----------
    y_true, y_pred, num_classes
        As in :func:`fastiou.boundary_iou`: (H, W) or (N, H, W) label maps of one shape
        (lists, any layout, CPU torch tensors) and the number of classes ``C``.
    tolerance : float, optional
        theta in pixels. By default ``tolerance_ratio`` of the image diagonal.
    tolerance_ratio : float
        theta as a fraction of the image diagonal, when `tolerance` is None (0.0075, as
        Csurka et al. and MATLAB).
    image_border : bool
        Whether a pixel on the image's edge is on its class's contour (True, as MATLAB's
        ``bwperim``; False: the frame is no boundary, as Berkeley's ``seg2bmap``).
    average : {"image", "dataset"}
        ``"image"`` (Csurka's): the score of every image, then per class the mean over the
        images where it is not NaN. ``"dataset"``: the counts summed over the images first.
    return_precision_recall : bool
        Also return the precision and recall, averaged the same way.
    ignore_index : int or sequence of int, optional
        Truth values: a contour pixel (of either map) whose truth is one counts in neither
        direction. The contours are found on the maps as they are.
    n_threads : int, optional
        As in :func:`fastiou.confusion_matrix`; results never depend on it.
    out_of_range : {"raise", "ignore", "miss"}
        A pixel whose truth (not ignored) or prediction lies outside ``[0, C)``: raise a
        ``ValueError`` (default), or leave its contour pixels out (``"ignore"``); with
        ``"miss"`` a true contour pixel under a bad prediction still counts (in recall).

    Returns
    -------
    ndarray of shape (C,), float64, or a tuple (fscore, precision, recall) of them
        F is NaN for a class with no contour pixel in either map (in every image, for
        ``"image"``), 0 where only one map has some. Precision (recall) is NaN without a
        predicted (true) contour pixel.

    Raises
    ------
    TypeError
        Labels that are not integers or bools, a non-integer `num_classes`, a tolerance
        that is not a number, an `image_border` that is not a bool.
    ValueError
        Shapes that differ or are not (H, W) / (N, H, W), out-of-range labels (with
        ``"raise"``), a negative or non-finite tolerance, an unknown `average`,
        ``n_threads=0``.

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> truth = np.zeros((6, 6), np.uint8); truth[:, 3:] = 1
    >>> pred = np.zeros((6, 6), np.uint8); pred[:, 4:] = 1
    >>> fastiou.boundary_fscore(truth, pred, 2, tolerance=1)  # d < 1: the same pixel only
    array([0.66666667, 0.61538462])
    >>> f, p, r = fastiou.boundary_fscore(truth, pred, 2, tolerance=1.5,
    ...                                   return_precision_recall=True)
    >>> f, p, r  # one column off is within 1.5 pixels
    (array([1., 1.]), array([1., 1.]), array([1., 1.]))
    """
    mode = _check_average(average)
    counts = contour_counts(y_true, y_pred, num_classes, tolerance=tolerance,
                            tolerance_ratio=tolerance_ratio, image_border=image_border,
                            ignore_index=ignore_index, n_threads=n_threads,
                            out_of_range=out_of_range)
    if mode == "dataset":
        fscore, precision, recall = fscore_parts(counts.per_image.sum(axis=0))
    else:
        totals = BFScoreTotals(counts.per_image.shape[2])
        totals.add_images(counts.per_image)
        fscore, precision, recall = totals.image_average()
    return (fscore, precision, recall) if return_precision_recall else fscore
