"""The seed snippets done right: per-image binary IoU, the Kaggle/TGS thresholded IoU score,
and soft (probabilistic) IoU with the modes of the widely copied Keras snippet."""

from __future__ import annotations

import numbers
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from fastiou._shared._threads import resolve_n_threads, threads_for_size
from fastiou._shared._typing import FloatArray, IntArray
from fastiou._shared._validation import as_array, bool_as_uint8
from fastiou.segmentation import _binary
from fastiou.segmentation._core import confusion_matrix, ratio
from fastiou.segmentation._inputs import as_score_array, check_threshold, normalize_axis
from fastiou.segmentation.metrics import check_zero_division, nan_mean

# bytes per thread below which a second thread costs more than it saves
MIN_BYTES_PER_THREAD = 1 << 18
KAGGLE_STEPS = 10  # thresholds 0.50, 0.55, ..., 0.95 = (10 + k) / 20

__all__ = ["binary_iou", "thresholded_iou", "soft_iou"]


def _check_smooth(smooth: object) -> float:
    if isinstance(smooth, (bool, np.bool_)) or not isinstance(smooth, numbers.Real):
        raise TypeError(f"`smooth` must be a non-negative number, got {type(smooth).__name__} {smooth!r}")
    try:
        value = float(smooth)
    except OverflowError:  # an int beyond the float range
        value = np.inf
    if not (np.isfinite(value) and value >= 0):
        raise ValueError(f"`smooth` must be a non-negative finite number, got {smooth}")
    return value


def _as_mask_bytes(values: npt.ArrayLike, name: str) -> npt.NDArray[np.uint8]:
    """A mask as uint8 bytes holding 0/1 (bool viewed, integers checked and narrowed)."""
    mask = as_array(values, name, "an array of bool or 0/1 values")
    if mask.dtype.kind == "b":
        return bool_as_uint8(mask)
    if mask.dtype.kind not in "iu":
        raise TypeError(f"`{name}` must hold bool or 0/1 integers, got dtype {mask.dtype}"
                        + (" (threshold probabilities first, e.g. y_pred > 0.5)" if mask.dtype.kind == "f" else ""))
    if mask.dtype.itemsize == 1:
        return mask.view(np.uint8)  # int8 -1 becomes 255 and is reported as not 0/1
    if mask.size and (mask.min() < 0 or mask.max() > 1):
        raise ValueError(f"`{name}` must hold only 0 and 1, got values in [{mask.min()}, {mask.max()}]")
    return mask.astype(np.uint8)


def _paired_masks(y_true: npt.ArrayLike, y_pred: npt.ArrayLike
                  ) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.uint8]]:
    """(B, N) uint8 views of two masks of shape (B, ...), one possibly with an extra
    singleton axis 1 (``(B, 1, H, W)`` against ``(B, H, W)``), returned as ``(pred, true)``."""
    true = _as_mask_bytes(y_true, "y_true")
    pred = _as_mask_bytes(y_pred, "y_pred")
    if pred.ndim == true.ndim + 1 and pred.ndim > 1 and pred.shape[1] == 1:
        pred = pred[:, 0]
    elif true.ndim == pred.ndim + 1 and true.ndim > 1 and true.shape[1] == 1:
        true = true[:, 0]
    if pred.shape != true.shape:
        raise ValueError(f"`y_pred` has shape {np.shape(y_pred)} but `y_true` has shape {np.shape(y_true)}; "
                         "they must be equal up to a channel axis 1 of length 1")
    if pred.ndim < 2:
        raise ValueError(f"masks must have a batch axis 0 and at least one more axis, got shape {pred.shape}")
    flat = (pred.shape[0], int(np.prod(pred.shape[1:])))
    return np.ascontiguousarray(pred).reshape(flat), np.ascontiguousarray(true).reshape(flat)


def _intersection_union(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, n_threads: int | None
                        ) -> tuple[IntArray, IntArray]:
    pred, true = _paired_masks(y_true, y_pred)
    threads = threads_for_size(resolve_n_threads(n_threads), 2 * pred.size, MIN_BYTES_PER_THREAD)
    inter, union, invalid = _binary.mask_counts(pred, true, threads)
    if invalid.any():
        image = int(np.flatnonzero(invalid)[0])
        raise ValueError(f"masks must hold only 0 and 1 (or bool); image {image} of `y_pred` or "
                         "`y_true` holds another value")
    return inter, union


def binary_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, smooth: float = 0.0,
               zero_division: float = np.nan, n_threads: int | None = None) -> FloatArray:
    """IoU of each image of a batch of binary masks, ``(|P ∩ T| + smooth) / (|P ∪ T| + smooth)``.

    Parameters
    ----------
    y_true, y_pred : array_like of bool or 0/1 integers
        Ground-truth and predicted masks of shape ``(B, H, W)``, ``(B, 1, H, W)`` or any
        ``(B, ...)``; one of them may carry an extra channel axis 1 of length 1. (fastiou
        0.1.0 took the prediction first; IoU is symmetric, so only the argument named in an
        error message depends on the order.)
    smooth : float
        Added to intersection and union (the snippet's ``SMOOTH = 1e-6`` gives 1.0 for an
        empty prediction against an empty mask).
    zero_division : float
        The IoU of an image where both masks are empty and `smooth` is 0 (NaN by default).
    n_threads : int, optional
        As in :func:`fastiou.confusion_matrix`.

    Returns
    -------
    ndarray of shape (B,), float64

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> true = np.array([[[1, 0], [0, 0]], [[0, 0], [0, 0]]], dtype=bool)
    >>> pred = np.array([[[1, 1], [0, 0]], [[0, 0], [0, 0]]], dtype=bool)
    >>> fastiou.binary_iou(true, pred)
    array([0.5, nan])
    >>> fastiou.binary_iou(true, pred, smooth=1e-6)
    array([0.50000025, 1.        ])
    """
    smooth = _check_smooth(smooth)
    zero_division = check_zero_division(zero_division)
    inter, union = _intersection_union(y_true, y_pred, n_threads)
    return ratio(inter + smooth, union + smooth, zero_division)


def thresholded_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *,
                    rounding: Literal["exact", "snippet"] = "exact", empty_score: float = 1.0,
                    n_threads: int | None = None) -> FloatArray:
    """The Kaggle/TGS score of each image: the mean over t = 0.50, 0.55, ..., 0.95 of ``IoU > t``.

    Parameters
    ----------
    y_true, y_pred : array_like of bool or 0/1 integers
        As in :func:`binary_iou` (ground truth first, as everywhere in fastiou).
    rounding : {"exact", "snippet"}
        ``"exact"`` (default) compares ``20 |P ∩ T| > (10 + k) |P ∪ T|`` in integers, so an
        IoU equal to a threshold does not pass it. ``"snippet"`` reproduces the widely copied
        ``ceil(clip(20 * (iou - 0.5), 0, 10)) / 10`` with ``SMOOTH = 1e-6``, which scores one
        step too high when the IoU equals a threshold (0.6 gives 0.3, not 0.2).
    empty_score : float
        Score of an image whose masks are both empty (Kaggle: 1.0) under ``"exact"``.
    n_threads : int, optional
        As in :func:`fastiou.confusion_matrix`.

    Returns
    -------
    ndarray of shape (B,), float64

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> true = np.zeros((1, 10), bool); true[0, :5] = True
    >>> pred = np.zeros((1, 10), bool); pred[0, :3] = True   # IoU = 0.6 exactly
    >>> fastiou.thresholded_iou(true, pred)
    array([0.2])
    >>> fastiou.thresholded_iou(true, pred, rounding="snippet")
    array([0.3])
    """
    if rounding not in ("exact", "snippet"):
        raise ValueError(f"`rounding` must be 'exact' or 'snippet', got {rounding!r}")
    empty_score = check_zero_division(empty_score)
    inter, union = _intersection_union(y_true, y_pred, n_threads)
    if rounding == "snippet":
        smooth = 1e-6
        iou = (inter + smooth) / (union + smooth)
        return np.ceil(np.clip(20 * (iou - 0.5), 0, 10)) / 10
    steps = np.arange(KAGGLE_STEPS)
    passed = (20 * inter[:, None] > (10 + steps) * union[:, None]).sum(axis=1)
    return np.where(union > 0, passed / KAGGLE_STEPS, empty_score)


SOFT_MODES = ("standard", "soft", "naive")


def _soft_sums(y_true: npt.NDArray[Any], y_prob: npt.NDArray[Any], axis: int) -> tuple[FloatArray, FloatArray]:
    """Per image and class: sum(p t), sum(p) + sum(t) - sum(p t), each (B, C)."""
    true = np.moveaxis(as_score_array(y_true, half=False), axis, -1)
    prob = np.moveaxis(as_score_array(y_prob, half=False), axis, -1)
    batch, classes = true.shape[0], true.shape[-1]
    true = true.reshape(batch, -1, classes)
    prob = prob.reshape(batch, -1, classes)
    inter = np.einsum("bnc,bnc->bc", true, prob, dtype=np.float64)
    union = true.sum(axis=1, dtype=np.float64) + prob.sum(axis=1, dtype=np.float64) - inter
    return inter, union


def _hard_sums(y_true: npt.NDArray[Any], y_prob: npt.NDArray[Any], axis: int, threshold: float,
               n_threads: int | None) -> tuple[FloatArray, FloatArray]:
    """Per image and class intersection and union of the argmax (or thresholded) masks."""
    classes = y_prob.shape[axis]
    if classes == 1:
        true = np.take(y_true, 0, axis=axis) > threshold
        prob = np.take(y_prob, 0, axis=axis) > threshold
        matrices = confusion_matrix(true, prob, 2, per_image=True, n_threads=n_threads)
        inter = matrices[:, 1, 1].astype(np.float64)
        return inter[:, None], (matrices[:, 1, :].sum(-1) + matrices[:, 0, 1])[:, None].astype(np.float64)
    matrices = confusion_matrix(np.argmax(y_true, axis=axis), y_prob, classes, axis=axis,
                                per_image=True, n_threads=n_threads)
    inter = np.diagonal(matrices, axis1=-2, axis2=-1).astype(np.float64)
    union = matrices.sum(axis=-1) + matrices.sum(axis=-2) - inter
    return inter, union


def soft_iou(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, *, axis: int = -1, smooth: float = 0.0,
             mode: Literal["soft", "standard", "naive"] = "soft", drop_last: bool = False,
             mean_per_class: bool = False, per_image: bool = False, threshold: float = 0.5,
             n_threads: int | None = None) -> FloatArray:
    """IoU on probabilities per class: ``sum(p t) / (sum(p) + sum(t) - sum(p t))``.

    Parameters
    ----------
    y_true : array_like
        One-hot (or soft) targets of shape ``(B, ..., C, ...)`` with the class `axis`.
    y_prob : array_like of float
        Probabilities of the same shape.
    axis : int
        The class axis (-1, channels-last, by default as in the Keras snippet).
    smooth : float
        Added to every intersection and union (the snippet uses 0.001).
    mode : {"soft", "standard", "naive"}
        ``"soft"`` uses the probabilities as they are; ``"standard"`` first turns both
        arrays into hard one-hot masks by argmax over `axis` (for ``C = 1``: ``> threshold``);
        ``"naive"`` is ``"standard"`` whose image mean also counts images where the class
        is absent (see `mean_per_class`).
    drop_last : bool
        Leave out the last class (a background channel).
    mean_per_class : bool
        Instead of pooling intersections and unions over the batch, average the per-image
        IoU of each class over the images where the class is present (``"naive"``: over
        all images, an absent class scoring ``smooth / smooth``, or 0 when `smooth` is 0).
    per_image : bool
        Return the ``(B, C)`` per-image values.
    threshold : float
        Single-channel ``"standard"`` / ``"naive"`` binarisation (``> threshold``).
    n_threads : int, optional
        Threads of the hard (argmax) modes' counting pass.

    Returns
    -------
    ndarray of shape (C,), or (B, C) with `per_image`
        float64; a class whose union is 0 (and `smooth` 0) is NaN.

    Notes
    -----
    The Keras snippet this comes from binarises a single channel with ``> 0`` and adds its
    smoothing to the masked mean of `mean_per_class`; here single channels use `threshold`
    and the masked mean is exact.

    Examples
    --------
    >>> import numpy as np, fastiou
    >>> y_true = np.array([[[1, 0], [0, 1]]], dtype=float)        # (B=1, N=2, C=2)
    >>> y_prob = np.array([[[0.8, 0.2], [0.4, 0.6]]])
    >>> fastiou.soft_iou(y_true, y_prob)
    array([0.57142857, 0.5       ])
    >>> fastiou.soft_iou(y_true, y_prob, mode="standard")
    array([1., 1.])
    """
    if mode not in SOFT_MODES:
        raise ValueError(f"`mode` must be one of {', '.join(map(repr, SOFT_MODES))}, got {mode!r}")
    smooth = _check_smooth(smooth)
    threshold = check_threshold(threshold)
    for name, flag in (("drop_last", drop_last), ("mean_per_class", mean_per_class), ("per_image", per_image)):
        if not isinstance(flag, (bool, np.bool_)):
            raise TypeError(f"`{name}` must be a bool, got {type(flag).__name__}")
    true = as_array(y_true, "y_true", "an array of numbers")
    prob = as_array(y_prob, "y_prob", "an array of float probabilities")
    if prob.dtype.kind != "f":
        raise TypeError(f"`y_prob` must hold float probabilities, got dtype {prob.dtype}")
    if true.dtype.kind not in "biuf":
        raise TypeError(f"`y_true` must hold numbers, got dtype {true.dtype}")
    if true.shape != prob.shape:
        raise ValueError(f"`y_prob` has shape {prob.shape} but `y_true` has shape {true.shape}; "
                         "they must be equal")
    if prob.ndim < 2:
        raise ValueError(f"`y_prob` needs a batch axis 0 and a class axis, got shape {prob.shape}")
    axis = normalize_axis(axis, prob.ndim)
    if axis == 0:
        raise ValueError("`axis` cannot be 0: axis 0 is the batch")
    if mode == "soft":
        inter, union = _soft_sums(true, prob, axis)
    else:
        inter, union = _hard_sums(true, prob, axis, threshold, n_threads)
    if drop_last and inter.shape[1] > 1:
        inter, union = inter[:, :-1], union[:, :-1]
    if per_image or mean_per_class:
        values = ratio(inter + smooth, union + smooth, np.nan)
        if per_image:
            return values
        if mode == "naive":
            return nan_mean(np.where(np.isnan(values), 0.0, values), axis=0)
        return nan_mean(np.where(union > 0, values, np.nan), axis=0)
    return ratio(inter.sum(axis=0) + smooth, union.sum(axis=0) + smooth, np.nan)
