"""detectron2's ``SemSegEvaluator`` Boundary IoU, computed by fastiou without OpenCV.

detectron2 (``detectron2/evaluation/sem_seg_evaluation.py``) does not erode each class's
mask: its ``_mask_to_boundary`` erodes the *label map itself* (cast to uint8) with
``cv2.erode`` (a minimum filter over a (2d+1)-square window, after a one-pixel zero border),
and subtracts, so a pixel's "boundary value" is its label minus the smallest label in its
window (0 where the window leaves the image). Those values, of the truth (ignore pixels set
to ``num_classes`` first) and of the prediction, are counted into a
``(C + 1) x (C + 1)`` matrix indexed ``[pred, gt]``, and the per-class "Boundary IoU" is
read from it like the region IoU. One more quirk: detectron2 forms the matrix's flat index
``(C + 1) * b_pred + b_gt`` from uint8 arrays, so NumPy computes it in uint8 and it wraps
around at 256: from 16 classes on, pixels with large boundary values land in the wrong
cells (with Cityscapes' 19 classes, any ``20 * b_pred + b_gt >= 256``). This profile
reproduces all of it exactly (``uint8_wrap=False`` gives the matrix detectron2 means):

- the boundary values by a separable minimum filter (van Herk / Gil-Werman, O(pixels)
  whatever d) in NumPy, the matrix by :func:`fastiou.confusion_matrix`;
- ``d = max(1, round(0.02 * image diagonal))`` per image, as detectron2;
- where it applies only: ``num_classes`` below 255 (detectron2 switches Boundary IoU off
  from 255 classes on), ground truth in ``[0, C)`` or ``ignore_label``, predictions in
  ``[0, C)`` (an argmax). Anything else raises ``ValueError`` (detectron2 would fail on the
  matrix reshape or wrap values around in its uint8 cast).

The numbers are detectron2's, not the per-class Boundary IoU of Cheng et al.: for that,
use :func:`fastiou.boundary_iou` (one band per class, ignore pixels left out).
"""

from __future__ import annotations

from typing import Any

import numpy as np
import numpy.typing as npt

from fastiou._shared._band_depth import DEFAULT_DILATION_RATIO, boundary_depth
from fastiou._shared._typing import FloatArray, IntArray
from fastiou._shared._validation import (as_label_array, check_counts, check_num_classes,
                                         check_same_shape)
from fastiou.segmentation._core import confusion_matrix, ratio

__all__ = ["boundary_confusion_matrix", "boundary_iou", "boundary_iou_from_matrix"]

UINT8_CLASSES = 255  # detectron2: Boundary IoU only when num_classes < np.iinfo(np.uint8).max


def _window_min_last_axis(values: npt.NDArray[np.uint8], depth: int) -> npt.NDArray[np.uint8]:
    """Minimum over [x - depth, x + depth] along the last axis, 0 where that leaves the axis
    (van Herk / Gil-Werman: prefix and suffix minima of blocks of the window's length)."""
    length = values.shape[-1]
    size = 2 * depth + 1
    out = np.zeros_like(values)
    if size > length:
        return out
    n_blocks = -(-length // size)
    filler = np.full(values.shape[:-1] + (n_blocks * size - length,), 255, dtype=np.uint8)
    blocks = np.concatenate([values, filler], axis=-1).reshape(values.shape[:-1] + (n_blocks, size))
    prefix = np.minimum.accumulate(blocks, axis=-1).reshape(values.shape[:-1] + (-1,))
    suffix = np.minimum.accumulate(blocks[..., ::-1], axis=-1)[..., ::-1].reshape(prefix.shape)
    out[..., depth:length - depth] = np.minimum(suffix[..., :length - size + 1],
                                                prefix[..., size - 1:length])
    return out


def _boundary_values(maps: npt.NDArray[np.uint8], depth: int) -> npt.NDArray[np.uint8]:
    """detectron2's ``mask - erode(pad(mask))`` of (N, H, W) uint8 label maps."""
    rows = _window_min_last_axis(maps, depth)
    eroded = _window_min_last_axis(np.ascontiguousarray(rows.swapaxes(-1, -2)), depth).swapaxes(-1, -2)
    return maps - eroded


def _as_maps(values: npt.ArrayLike, name: str) -> npt.NDArray[np.integer[Any]]:
    maps = as_label_array(values, name)
    if maps.ndim not in (2, 3):
        raise ValueError(f"`{name}` must have shape (H, W) or (N, H, W), got shape {maps.shape}")
    return maps if maps.ndim == 3 else maps[np.newaxis]


def boundary_confusion_matrix(gt: npt.ArrayLike, pred: npt.ArrayLike, num_classes: int, *,
                              ignore_label: int = 255,
                              dilation_ratio: float = DEFAULT_DILATION_RATIO,
                              uint8_wrap: bool = True) -> IntArray:
    """``SemSegEvaluator._b_conf_matrix`` of label maps: what ``process`` adds up.

    Parameters
    ----------
    gt : array_like of int, shape (H, W) or (N, H, W)
        Ground-truth label maps (values in ``[0, C)`` or `ignore_label`).
    pred : array_like of int, same shape
        Predicted labels (the argmax of ``output["sem_seg"]``), in ``[0, C)``.
    num_classes : int
        ``len(meta.stuff_classes)``; must be below 255.
    ignore_label : int
        ``meta.ignore_label``.
    dilation_ratio : float
        detectron2's default 0.02.
    uint8_wrap : bool
        Count each pixel at the flat index ``((C + 1) * b_pred + b_gt) % 256`` as detectron2
        does (default), or at ``[b_pred, b_gt]`` (False).

    Returns
    -------
    ndarray of int64, shape (C + 1, C + 1)
        Counts indexed ``[pred boundary value, gt boundary value]``, summed over the images.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat import detectron2
    >>> gt = np.zeros((6, 6), np.int64); gt[:, 3:] = 1
    >>> detectron2.boundary_confusion_matrix(gt, gt, 2)
    array([[22,  0,  0],
           [ 0, 14,  0],
           [ 0,  0,  0]])
    """
    num_classes = check_num_classes(num_classes)
    if num_classes >= UINT8_CLASSES:
        raise ValueError(f"`num_classes` must be below {UINT8_CLASSES} for detectron2's Boundary IoU "
                         f"(it computes none from {UINT8_CLASSES} classes on), got {num_classes}")
    truth, predicted = _as_maps(gt, "gt"), _as_maps(pred, "pred")
    check_same_shape(truth, predicted, "gt", "pred")
    truth = np.where(truth == ignore_label, num_classes, truth)
    for name, maps, stop in (("gt", truth, num_classes + 1), ("pred", predicted, num_classes)):
        bad = (maps < 0) | (maps >= stop)
        if bad.any():
            allowed = "[0, num_classes) or `ignore_label`" if name == "gt" else "[0, num_classes)"
            raise ValueError(f"`{name}` must hold labels in {allowed}, got {maps[bad][0]}")
    depth = boundary_depth(truth.shape[1], truth.shape[2], dilation_ratio)
    b_gt = _boundary_values(truth.astype(np.uint8), depth)
    b_pred = _boundary_values(predicted.astype(np.uint8), depth)
    matrix = confusion_matrix(b_gt, b_pred, num_classes + 1).T.copy()
    if not uint8_wrap:
        return matrix
    side = num_classes + 1
    wrapped = np.zeros(side * side, dtype=np.int64)
    np.add.at(wrapped, np.arange(side * side) % 256, matrix.reshape(-1))
    return wrapped.reshape(side, side)


def boundary_iou_from_matrix(b_conf_matrix: npt.ArrayLike) -> FloatArray:
    """The ``b_iou`` of ``SemSegEvaluator.evaluate`` from a boundary matrix.

    Parameters
    ----------
    b_conf_matrix : array_like, shape (C + 1, C + 1)
        :func:`boundary_confusion_matrix` (summed over batches or processes).

    Returns
    -------
    ndarray of float64, shape (C,)
        detectron2 reports ``100 * b_iou[i]`` as ``BoundaryIoU-<name>``; NaN for an empty union.

    Examples
    --------
    >>> from fastiou.compat import detectron2
    >>> detectron2.boundary_iou_from_matrix([[28, 0, 0], [2, 8, 0], [0, 0, 0]])
    array([0.93333333, 0.8       ])
    """
    matrix = check_counts(b_conf_matrix, "b_conf_matrix").astype(np.float64)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1] or matrix.shape[0] < 2:
        raise ValueError(f"`b_conf_matrix` must be a square (C + 1, C + 1) matrix, got shape {matrix.shape}")
    tp = matrix.diagonal()[:-1]
    pos_gt = matrix[:-1, :-1].sum(axis=0)
    pos_pred = matrix[:-1, :-1].sum(axis=1)
    return ratio(tp, pos_gt + pos_pred - tp, np.nan)


def boundary_iou(gt: npt.ArrayLike, pred: npt.ArrayLike, num_classes: int, *, ignore_label: int = 255,
                 dilation_ratio: float = DEFAULT_DILATION_RATIO, uint8_wrap: bool = True) -> FloatArray:
    """detectron2 ``SemSegEvaluator``'s per-class Boundary IoU of label maps (fractions).

    Parameters
    ----------
    gt, pred, num_classes, ignore_label, dilation_ratio, uint8_wrap
        As in :func:`boundary_confusion_matrix`.

    Returns
    -------
    ndarray of float64, shape (C,)

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat import detectron2
    >>> gt = np.zeros((6, 6), np.int64); gt[:, 3:] = 1
    >>> pred = np.zeros((6, 6), np.int64); pred[:, 4:] = 1
    >>> detectron2.boundary_iou(gt, pred, 2)
    array([0.64285714, 0.44444444])
    """
    return boundary_iou_from_matrix(boundary_confusion_matrix(
        gt, pred, num_classes, ignore_label=ignore_label, dilation_ratio=dilation_ratio,
        uint8_wrap=uint8_wrap))
