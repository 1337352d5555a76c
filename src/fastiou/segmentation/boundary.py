"""Boundary IoU of label maps: every class's boundary band in one pass.

The inner boundary band of a mask M at depth d is M minus its erosion by a 3x3 square
repeated d times with a zero border (boundary-iou-api's ``mask_to_boundary``, Cheng et al.,
"Boundary IoU: Improving Object-Centric Image Segmentation Evaluation", CVPR 2021), with
``d = max(1, round(dilation_ratio * sqrt(H**2 + W**2)))`` (Python's ``round``, as there). A
pixel of label c is in c's band unless its (2d+1)-square window lies inside the image and
holds only c, so the kernel (``_boundary.pyx``) finds the bands of all classes at once in
O(pixels) and counts |Gb ∩ Pb|, |Gb| and |Pb| per class. This module validates and converts
the maps, resolves the threads, and turns the counts into metrics; :class:`BoundaryIoU`
accumulates them, and the BF score's contour counts (:mod:`fastiou.segmentation.bfscore`),
over batches.
"""

from __future__ import annotations

import numbers
import threading
from dataclasses import dataclass
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from fastiou._shared._band_depth import (DEFAULT_DILATION_RATIO, boundary_depth,
                                         check_dilation_ratio)
from fastiou._shared._threads import resolve_n_threads, row_chunks
from fastiou._shared._typing import FloatArray, IgnoreIndex, IntArray, Integer, OutOfRange
from fastiou._shared._validation import (
    as_label_array,
    available_memory_bytes,
    check_counts,
    check_num_classes,
    check_same_shape,
    common_label_dtype,
    ignore_values,
)
from fastiou.segmentation import _boundary
from fastiou.segmentation._accumulator import MergeableState
from fastiou.segmentation._core import Counts, _check_policy, _out_of_range_error, ratio
from fastiou.segmentation.bfscore import (DEFAULT_TOLERANCE_RATIO, BFScoreTotals,
                                          check_tolerance, contour_counts, fscore_parts,
                                          label_map_batch)
from fastiou.segmentation.metrics import nan_mean

__all__ = ["BoundaryIoU", "BoundaryMetrics", "boundary_depth", "boundary_iou"]

STATE_FORMAT = "fastiou.BoundaryIoU/2"
# rows of an image per unit of work when an image is shared among threads (each unit
# re-scans `depth` rows above it, so units are kept well taller than that)
MIN_BLOCK_ROWS = 64


class BoundaryCounts(NamedTuple):
    """Per-class band counts (int64, shape (C,)) and the pixels left out for a bad label."""

    intersection: IntArray
    true_band: IntArray
    pred_band: IntArray
    n_bad_true: int
    n_bad_pred: int


def _thread_tables_fit(num_classes: int, threads: int) -> int:
    """The number of threads whose private count rows (3 C int64 each) fit in memory."""
    table_bytes = 3 * (num_classes + 16) * 8
    if table_bytes * (threads + 1) <= 1 << 28:
        return threads
    available = available_memory_bytes()
    if available is None:
        return threads
    if 2 * table_bytes > available:
        raise ValueError(f"`num_classes`={num_classes} needs {2 * table_bytes} bytes of counts, "
                         f"but only {available} bytes of memory are available")
    return int(max(1, min(threads, available // 2 // table_bytes - 1)))


def boundary_counts(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: object, *,
                    dilation_ratio: object = DEFAULT_DILATION_RATIO, ignore_index: object = None,
                    n_threads: object = None, out_of_range: object = "raise") -> BoundaryCounts:
    """Validate, convert once and count the boundary bands (the body of every public
    boundary function); raises for out-of-range labels under ``out_of_range="raise"``."""
    _check_policy(out_of_range)
    num_classes = check_num_classes(num_classes)
    ratio_value = check_dilation_ratio(dilation_ratio)
    threads = resolve_n_threads(n_threads)
    truth, pred = label_map_batch(y_true, y_pred)
    ignore = ignore_values(ignore_index, truth.dtype)
    n_images, height, width = truth.shape
    depth = boundary_depth(height, width, ratio_value)
    threads = _thread_tables_fit(num_classes, threads)
    # images are the units of work; a batch with fewer images than threads shares each
    # image out in blocks of rows
    blocks_per_image = max(1, -(-threads // max(n_images, 1)))
    block_rows = max(-(-height // blocks_per_image), min(height, max(MIN_BLOCK_ROWS, 2 * depth)), 1)
    parts = []
    for chunk in row_chunks(n_images, max(height * width, 1)):  # Ctrl-C between chunks
        parts.append(_boundary.band_counts(truth[chunk], pred[chunk], num_classes, ignore, depth,
                                           block_rows, out_of_range == "miss", threads))
    inter, true_band, pred_band = (np.sum(np.stack([p[k] for p in parts]), axis=0) for k in range(3))
    counts = BoundaryCounts(inter, true_band, pred_band, sum(p[3] for p in parts),
                            sum(p[4] for p in parts))
    if out_of_range == "raise" and (counts.n_bad_true or counts.n_bad_pred):
        raise _out_of_range_error(truth.reshape(-1), pred.reshape(-1), ignore, num_classes,
                                  Counts(inter, inter, counts.n_bad_true, counts.n_bad_pred))
    return counts


def _iou(counts: BoundaryCounts | tuple[Any, Any, Any]) -> FloatArray:
    inter, true_band, pred_band = counts[0], counts[1], counts[2]
    return ratio(inter, true_band + pred_band - inter, np.nan)


def boundary_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: Integer, *,
                 dilation_ratio: float = DEFAULT_DILATION_RATIO, ignore_index: IgnoreIndex = None,
                 n_threads: int | None = None, out_of_range: OutOfRange = "raise") -> FloatArray:
    """Per-class Boundary IoU of label maps (Cheng et al., CVPR 2021), summed over images.

    For each class c, G and P are the pixels labelled c in the truth and the prediction; Gb
    and Pb are their inner boundary bands: the pixels of the mask minus its erosion by a
    3x3 square repeated d times with a zero border, ``d = max(1, round(dilation_ratio *
    image diagonal))`` (boundary-iou-api's ``mask_to_boundary``). The Boundary IoU of c is
    ``|Gb ∩ Pb| / |Gb ∪ Pb|`` with intersection and union summed over all images. All
    classes are found in one pass over the pixels, whatever their number.

    Parameters
    ----------
    y_true, y_pred : array_like of int or bool, shape (H, W) or (N, H, W)
        Ground-truth and predicted label maps of one shape (lists, any layout, CPU torch
        tensors).
    num_classes : int
        Number of classes ``C``; valid labels are ``0 .. C-1``.
    dilation_ratio : float
        Band depth as a fraction of the image diagonal (0.02, as boundary-iou-api).
    ignore_index : int or sequence of int, optional
        Truth values whose pixels are left out of every count. The bands are found on the
        maps as they are (an ignored region is a region of its own).
    n_threads : int, optional
        As in :func:`fastiou.confusion_matrix`; results never depend on it.
    out_of_range : {"raise", "ignore", "miss"}
        A pixel whose truth (not ignored) or prediction lies outside ``[0, C)``: raise a
        ``ValueError`` (default), leave the pixel out (``"ignore"``), or, for a bad
        prediction, still count the truth band of its pixel (``"miss"``). The bands are
        found on the maps as they are either way.

    Returns
    -------
    ndarray of shape (C,), float64
        NaN for a class with an empty band union (in no image's truth or prediction).

    Raises
    ------
    TypeError
        Labels that are not integers or bools, a non-integer `num_classes`, a
        `dilation_ratio` that is not a number.
    ValueError
        Shapes that differ or are not (H, W) / (N, H, W), out-of-range labels (with
        ``"raise"``), a negative or non-finite `dilation_ratio`, ``n_threads=0``.

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> truth = np.zeros((6, 6), np.uint8); truth[:, 3:] = 1
    >>> pred = np.zeros((6, 6), np.uint8); pred[:, 4:] = 1
    >>> fastiou.boundary_iou(truth, pred, 2)
    array([0.5       , 0.44444444])
    """
    return _iou(boundary_counts(y_true, y_pred, num_classes, dilation_ratio=dilation_ratio,
                                ignore_index=ignore_index, n_threads=n_threads,
                                out_of_range=out_of_range))


@dataclass(frozen=True)
class BoundaryMetrics:
    """What :meth:`BoundaryIoU.compute` returns.

    Attributes
    ----------
    iou : ndarray of shape (C,), float64
        Boundary IoU per class (NaN for an empty band union).
    mean_iou : float
        Its mean over the classes where it is not NaN (NaN when there is none).
    intersection, true_band, pred_band : ndarray of shape (C,), int64
        The band counts ``|Gb ∩ Pb|``, ``|Gb|``, ``|Pb|``.
    fscore, precision, recall : ndarray of shape (C,), float64
        BF score (boundary F1, :func:`fastiou.boundary_fscore`), contour precision and
        recall per class, each the mean over the images where it is defined
        (``average="image"``).
    mean_fscore : float
        The mean of `fscore` over the classes where it is not NaN.
    image_mean_fscore : float
        Csurka et al.'s mean BF: per image the mean F over the classes with a contour,
        then the mean over the images.
    dataset_fscore, dataset_precision, dataset_recall : ndarray of shape (C,), float64
        The same from the contour counts summed over the images (``average="dataset"``).
    contour_counts : ndarray of shape (4, C), int64
        True contour pixels, those matched, predicted contour pixels, those matched.

    Examples
    --------
    >>> import fastiou
    >>> acc = fastiou.BoundaryIoU(2)
    >>> acc.update([[0, 1], [0, 1]], [[0, 1], [1, 1]])
    >>> acc.compute().true_band
    array([2, 2])
    """

    iou: FloatArray
    mean_iou: float
    intersection: IntArray
    true_band: IntArray
    pred_band: IntArray
    fscore: FloatArray
    precision: FloatArray
    recall: FloatArray
    mean_fscore: float
    image_mean_fscore: float
    dataset_fscore: FloatArray
    dataset_precision: FloatArray
    dataset_recall: FloatArray
    contour_counts: IntArray


def metrics_from_counts(counts: npt.ArrayLike, bf: BFScoreTotals | None = None) -> BoundaryMetrics:
    """:class:`BoundaryMetrics` from (3, C) band counts ``|Gb ∩ Pb|``, ``|Gb|``, ``|Pb|`` (as
    :attr:`BoundaryIoU.counts`) and the BF score totals (all NaN without them); ``fastiou
    eval`` sums both over the images."""
    inter, true_band, pred_band = np.asarray(counts, dtype=np.int64)
    iou = _iou((inter, true_band, pred_band))
    bf = BFScoreTotals(len(inter)) if bf is None else bf
    fscore, precision, recall = bf.image_average()
    dataset = fscore_parts(bf.counts)
    return BoundaryMetrics(iou=iou, mean_iou=float(nan_mean(iou)), intersection=inter,
                           true_band=true_band, pred_band=pred_band, fscore=fscore,
                           precision=precision, recall=recall,
                           mean_fscore=float(nan_mean(fscore)),
                           image_mean_fscore=bf.image_mean_fscore(), dataset_fscore=dataset[0],
                           dataset_precision=dataset[1], dataset_recall=dataset[2],
                           contour_counts=bf.counts.copy())


class BoundaryIoU(MergeableState):
    """Accumulate Boundary IoU counts over batches of label maps (images of any size).

    Parameters
    ----------
    num_classes : int
        Number of classes ``C``.
    dilation_ratio, ignore_index, out_of_range, n_threads
        As in :func:`fastiou.boundary_iou`, applied to every :meth:`update` (each batch's
        band depth comes from its own image size).
    tolerance, tolerance_ratio, image_border
        The BF score's, as in :func:`fastiou.boundary_fscore` (each image's tolerance
        follows its own size unless `tolerance` is given in pixels).

    Notes
    -----
    As :class:`fastiou.ConfusionMatrix`: :meth:`update` counts without the lock and without
    the GIL, only the addition is locked. The state (int64 band and contour counts, and per
    class the float64 sums of the per-image BF scores) merges (:meth:`merge`, ``+``,
    ``sum``, pickling, :meth:`to_dict` / :meth:`from_dict`): the counts exactly, the sums
    up to float rounding.

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> acc = fastiou.BoundaryIoU(2)
    >>> truth = np.zeros((6, 6), np.uint8); truth[:, 3:] = 1
    >>> acc.update(truth, truth)
    >>> acc.compute().iou
    array([1., 1.])
    """

    def __init__(self, num_classes: Integer, *, dilation_ratio: float = DEFAULT_DILATION_RATIO,
                 ignore_index: IgnoreIndex = None, out_of_range: OutOfRange = "raise",
                 n_threads: int | None = None, tolerance: float | None = None,
                 tolerance_ratio: float = DEFAULT_TOLERANCE_RATIO,
                 image_border: bool = True) -> None:
        self.num_classes = check_num_classes(num_classes)
        self.dilation_ratio = check_dilation_ratio(dilation_ratio)
        self.tolerance, self.tolerance_ratio = check_tolerance(tolerance, tolerance_ratio)
        if not isinstance(image_border, (bool, np.bool_)):
            raise TypeError(f"`image_border` must be a bool, got {type(image_border).__name__} "
                            f"{image_border!r}")
        self.image_border = bool(image_border)
        self.ignore_index = tuple(int(v) for v in ignore_values(ignore_index, np.int64))
        _check_policy(out_of_range)
        self.out_of_range = out_of_range
        self.n_threads = n_threads
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every count (the configuration stays).

        Examples
        --------
        >>> import fastiou
        >>> acc = fastiou.BoundaryIoU(2)
        >>> acc.update([[0, 1]], [[0, 1]]); acc.reset()
        >>> acc.counts
        array([[0, 0],
               [0, 0],
               [0, 0]])
        """
        with self._lock:
            self._counts = np.zeros((3, self.num_classes), dtype=np.int64)
            self._bf = BFScoreTotals(self.num_classes)
            self._bad = [0, 0]

    @property
    def counts(self) -> IntArray:
        """A copy of the counts, shape (3, C): ``|Gb ∩ Pb|``, ``|Gb|``, ``|Pb|`` per class."""
        with self._lock:
            return self._counts.copy()

    @property
    def n_out_of_range(self) -> tuple[int, int]:
        """``(n_bad_true, n_bad_pred)``: pixels left out for an out-of-range label so far."""
        with self._lock:
            return self._bad[0], self._bad[1]

    def update(self, y_true: npt.ArrayLike, y_pred: npt.ArrayLike) -> None:
        """Count one image ``(H, W)`` or batch ``(N, H, W)`` into the state.

        Parameters
        ----------
        y_true, y_pred : array_like
            Label maps, as in :func:`fastiou.boundary_iou`.

        Examples
        --------
        >>> import fastiou
        >>> acc = fastiou.BoundaryIoU(2)
        >>> acc.update([[0, 0, 1]], [[0, 1, 1]])
        >>> acc.counts[1]
        array([2, 1])
        """
        counts = boundary_counts(y_true, y_pred, self.num_classes, dilation_ratio=self.dilation_ratio,
                                 ignore_index=self.ignore_index or None, n_threads=self.n_threads,
                                 out_of_range=self.out_of_range)
        contours = contour_counts(y_true, y_pred, self.num_classes, tolerance=self.tolerance,
                                  tolerance_ratio=self.tolerance_ratio,
                                  image_border=self.image_border,
                                  ignore_index=self.ignore_index or None,
                                  n_threads=self.n_threads, out_of_range=self.out_of_range)
        with self._lock:
            self._counts += np.stack(counts[:3])
            self._bf.add_images(contours.per_image)
            self._bad[0] += counts.n_bad_true
            self._bad[1] += counts.n_bad_pred

    _state_fields = ("_counts", "_bf", "_bad")

    def _config(self) -> dict[str, object]:
        return {"num_classes": self.num_classes, "dilation_ratio": self.dilation_ratio,
                "ignore_index": self.ignore_index, "out_of_range": self.out_of_range,
                "tolerance": self.tolerance, "tolerance_ratio": self.tolerance_ratio,
                "image_border": self.image_border}

    def _absorb(self, counts: dict[str, Any]) -> None:
        self._counts += counts["_counts"]
        self._bf.add(counts["_bf"])
        self._bad[0] += counts["_bad"][0]
        self._bad[1] += counts["_bad"][1]

    def merge(self, *others: BoundaryIoU) -> BoundaryIoU:
        """Add the counts of accumulators of the same configuration to this one; returns self.

        Parameters
        ----------
        *others : BoundaryIoU
            Accumulators with the same `num_classes`, `dilation_ratio`, `ignore_index` and
            `out_of_range` (another configuration raises ``ValueError``).

        Returns
        -------
        BoundaryIoU
            This accumulator.

        Examples
        --------
        >>> import fastiou
        >>> a, b = fastiou.BoundaryIoU(2), fastiou.BoundaryIoU(2)
        >>> a.update([[0, 1]], [[0, 1]]); b.update([[1, 1]], [[1, 0]])
        >>> a.merge(b).counts[1]
        array([1, 3])
        """
        return self._merge(others)

    def copy(self) -> BoundaryIoU:
        """An independent accumulator with the same configuration and counts.

        Returns
        -------
        BoundaryIoU

        Examples
        --------
        >>> import fastiou
        >>> acc = fastiou.BoundaryIoU(2)
        >>> acc.copy() == acc
        True
        """
        return self._copy()

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, BoundaryIoU):
            return NotImplemented
        mine, theirs = self._snapshot(), other._snapshot()
        return (self._config() == other._config()
                and np.array_equal(mine["_counts"], theirs["_counts"])
                and mine["_bf"] == theirs["_bf"] and mine["_bad"] == theirs["_bad"])

    def __repr__(self) -> str:
        return (f"BoundaryIoU(num_classes={self.num_classes}, dilation_ratio={self.dilation_ratio}, "
                f"ignore_index={list(self.ignore_index)}, out_of_range={self.out_of_range!r}, "
                f"tolerance={self.tolerance!r}, tolerance_ratio={self.tolerance_ratio}, "
                f"image_border={self.image_border})")

    def to_dict(self) -> dict[str, Any]:
        """The configuration and counts as plain Python values (exact ints).

        Returns
        -------
        dict
            ``format``, the constructor arguments, ``counts``, ``bf`` (the BF score
            totals), ``n_bad_true``, ``n_bad_pred``: what :meth:`from_dict` reads back.

        Examples
        --------
        >>> import json, fastiou
        >>> acc = fastiou.BoundaryIoU(2)
        >>> acc.update([[0, 1]], [[1, 1]])
        >>> fastiou.BoundaryIoU.from_dict(json.loads(json.dumps(acc.to_dict()))) == acc
        True
        """
        snapshot = self._snapshot()
        counts, bad = snapshot["_counts"], snapshot["_bad"]
        return {"format": STATE_FORMAT, **self._config(), "ignore_index": list(self.ignore_index),
                "counts": counts.tolist(), "bf": snapshot["_bf"].to_dict(), "n_bad_true": bad[0],
                "n_bad_pred": bad[1]}

    @classmethod
    def from_dict(cls, state: dict[str, Any]) -> BoundaryIoU:
        """Rebuild an accumulator from :meth:`to_dict` output (checked).

        Parameters
        ----------
        state : dict
            What :meth:`to_dict` returned (e.g. after a JSON round trip).

        Returns
        -------
        BoundaryIoU

        Raises
        ------
        ValueError
            A dict of another format, a missing key, or counts of the wrong shape or sign.

        Examples
        --------
        >>> import fastiou
        >>> fastiou.BoundaryIoU.from_dict(fastiou.BoundaryIoU(3).to_dict())
        BoundaryIoU(num_classes=3, dilation_ratio=0.02, ignore_index=[], out_of_range='raise', tolerance=None, tolerance_ratio=0.0075, image_border=True)
        """
        if not isinstance(state, dict) or state.get("format") != STATE_FORMAT:
            raise ValueError(f"`state` must be a dict from BoundaryIoU.to_dict() with format "
                             f"{STATE_FORMAT!r}")
        missing = {"num_classes", "dilation_ratio", "ignore_index", "out_of_range", "tolerance",
                   "tolerance_ratio", "image_border", "counts", "bf", "n_bad_true",
                   "n_bad_pred"} - set(state)
        if missing:
            raise ValueError(f"`state` lacks {sorted(missing)}")
        accumulator = cls(state["num_classes"], dilation_ratio=state["dilation_ratio"],
                          ignore_index=state["ignore_index"], out_of_range=state["out_of_range"],
                          tolerance=state["tolerance"], tolerance_ratio=state["tolerance_ratio"],
                          image_border=state["image_border"])
        accumulator._bf = BFScoreTotals.from_dict(state["bf"], accumulator.num_classes,
                                                  "state['bf']")
        counts = check_counts(state["counts"], "state['counts']")
        if counts.shape != (3, accumulator.num_classes) or counts.dtype.kind not in "iu":
            raise ValueError(f"`state['counts']` must be integer counts of shape "
                             f"(3, {accumulator.num_classes}), got {counts.dtype} {counts.shape}")
        bad = []
        for key in ("n_bad_true", "n_bad_pred"):
            value = state[key]
            if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 0:
                raise ValueError(f"`state['{key}']` must be a non-negative int, got {value!r}")
            bad.append(int(value))
        accumulator._counts = counts.astype(np.int64)
        accumulator._bad = bad
        return accumulator

    def compute(self) -> BoundaryMetrics:
        """Boundary IoU and the BF score (with contour precision and recall) so far.

        Returns
        -------
        BoundaryMetrics

        Examples
        --------
        >>> import fastiou
        >>> acc = fastiou.BoundaryIoU(2)
        >>> acc.update([[0, 1], [0, 1]], [[0, 1], [1, 1]])
        >>> result = acc.compute()
        >>> result.iou, result.fscore
        (array([0.5       , 0.66666667]), array([0.66666667, 0.8       ]))
        """
        snapshot = self._snapshot()
        return metrics_from_counts(snapshot["_counts"], snapshot["_bf"])
