"""The overlap table of two segment-id maps: the wrapper of the ``_segments`` kernel."""

from __future__ import annotations

from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from fastiou._shared._threads import resolve_n_threads
from fastiou._shared._validation import as_array, check_same_shape, native_order
from fastiou.panoptic._segments import pair_counts

# ids the kernel takes: below 2**32 (a pair key is gt_id << 32 | pred_id)
MAX_ID = (1 << 32) - 1
ID_DTYPES = (np.uint8, np.uint16, np.uint32, np.int32, np.int64)
FIRST_CAPACITY = 1 << 12


class SegmentOverlaps(NamedTuple):
    """The pixels each (ground-truth segment id, predicted segment id) pair covers.

    Attributes
    ----------
    gt_ids, pred_ids : ndarray of shape (P,), int64
        The pairs present, in increasing order of ``(gt_id, pred_id)``.
    counts : ndarray of shape (P,), int64
        How many pixels each pair covers (all positive).
    """

    gt_ids: npt.NDArray[np.int64]
    pred_ids: npt.NDArray[np.int64]
    counts: npt.NDArray[np.int64]


def _id_map(values: object, name: str) -> tuple[npt.NDArray[Any], bool]:
    """`values` as a native-order id map of a kernel dtype, and whether it is RGB
    (``(H, W, 3)`` uint8, id = R + 256 G + 256**2 B)."""
    array = as_array(values, name, "an id map (integers, or uint8 RGB of shape (H, W, 3))")
    if array.dtype.kind not in "biu":
        raise TypeError(f"`{name}` must hold integer segment ids or uint8 RGB colours, "
                        f"got dtype {array.dtype}")
    if array.ndim == 3 and array.shape[-1] in (3, 4) and array.dtype == np.uint8:
        return native_order(array[..., :3]), True
    if array.ndim != 2:
        raise ValueError(f"`{name}` must be an (H, W) id map or an (H, W, 3) uint8 RGB map, "
                         f"got shape {array.shape}")
    array = native_order(array)
    if array.dtype.kind == "b":
        return array.view(np.uint8), False
    if array.dtype.type not in ID_DTYPES:
        if array.size and (array.min() < 0 or array.max() > MAX_ID):
            raise ValueError(f"`{name}` must hold segment ids in [0, 2**32), got values in "
                             f"[{array.min()}, {array.max()}]")
        array = array.astype(np.uint32 if array.size and array.max() > 0xFFFF else np.uint16)
    elif array.dtype.kind == "i" and array.size:
        low, high = array.min(), array.max()
        if low < 0 or high > MAX_ID:
            raise ValueError(f"`{name}` must hold segment ids in [0, 2**32), got values in "
                             f"[{low}, {high}]")
    return array, False


def rgb_to_ids(rgb: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]:
    """COCO panoptic colours ``(..., 3)`` uint8 to ids R + 256 G + 256**2 B (uint32)."""
    rgb = rgb.astype(np.uint32)
    return rgb[..., 0] | (rgb[..., 1] << 8) | (rgb[..., 2] << 16)


def _merge(keys: npt.NDArray[np.uint64], counts: npt.NDArray[np.int64]) -> SegmentOverlaps:
    """The chunks' hash tables ``(chunks, capacity)`` summed into one sorted table."""
    n_chunks = keys.shape[0]
    occupied = counts != 0
    keys, counts = keys[occupied], counts[occupied]
    order = np.argsort(keys)
    keys, counts = keys[order], counts[order]
    if n_chunks > 1 and keys.shape[0]:  # a pair counted by several chunks
        starts = np.flatnonzero(np.concatenate(([True], keys[1:] != keys[:-1])))
        keys, counts = keys[starts], np.add.reduceat(counts, starts)
    return SegmentOverlaps((keys >> np.uint64(32)).astype(np.int64),
                           (keys & np.uint64(MAX_ID)).astype(np.int64), counts.astype(np.int64))


def count_overlaps(gt: npt.NDArray[Any], gt_rgb: bool, pred: npt.NDArray[Any], pred_rgb: bool,
                   n_threads: int) -> SegmentOverlaps:
    """The table of two maps already checked by :func:`_id_map` (same height and width)."""
    if gt_rgb != pred_rgb:  # one RGB, one id map: ids for both (4 bytes a pixel)
        gt = rgb_to_ids(gt) if gt_rgb else gt
        pred = rgb_to_ids(pred) if pred_rgb else pred
        gt_rgb = pred_rgb = False
    if not gt_rgb and gt.dtype != pred.dtype:
        common = np.promote_types(gt.dtype, pred.dtype)
        common = np.dtype(np.int64) if common.kind == "i" and common.itemsize > 4 else common
        if common.type not in ID_DTYPES:
            common = np.dtype(np.uint32)
        gt, pred = gt.astype(common, copy=False), pred.astype(common, copy=False)
    width = max(1, gt.shape[1]) if gt.ndim >= 2 else max(1, gt.size)
    gt_flat = np.ascontiguousarray(gt).reshape(-1)
    pred_flat = np.ascontiguousarray(pred).reshape(-1)
    capacity = FIRST_CAPACITY
    while True:
        table = pair_counts(gt_flat, pred_flat, int(gt_rgb), width, n_threads, capacity)
        if table is not None:
            return _merge(*table)
        capacity *= 4


def segment_overlaps(gt: npt.ArrayLike, pred: npt.ArrayLike, *,
                     n_threads: int | None = None) -> SegmentOverlaps:
    """Count how many pixels each (ground-truth id, predicted id) pair of two maps covers.

    The sparse confusion matrix between segment ids that panoptic quality is computed from,
    counted in one pass over the two maps by a compiled kernel (GIL released, the pixels of
    a large map split over threads; the result does not depend on the thread count). No
    per-pixel 64-bit temporary is made.

    Parameters
    ----------
    gt, pred : array_like
        Two maps of one height and width: ``(H, W)`` non-negative integer segment ids below
        2**32, or ``(H, W, 3)`` uint8 RGB colours of COCO panoptic PNGs (id = R + 256 G +
        256**2 B; a fourth, alpha, channel is ignored). The two may differ in kind.
    n_threads : int, optional
        Threads for one map: None = the OpenMP default, -1 = all CPUs.

    Returns
    -------
    SegmentOverlaps
        ``(gt_ids, pred_ids, counts)``, int64 arrays sorted by ``(gt_id, pred_id)``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.panoptic import segment_overlaps
    >>> segment_overlaps(np.array([[1, 1], [2, 0]]), np.array([[5, 0], [5, 5]]))
    SegmentOverlaps(gt_ids=array([0, 1, 1, 2]), pred_ids=array([5, 0, 5, 5]), counts=array([1, 1, 1, 1]))
    """
    threads = resolve_n_threads(n_threads)
    gt_map, gt_rgb = _id_map(gt, "gt")
    pred_map, pred_rgb = _id_map(pred, "pred")
    check_same_shape(gt_map[..., 0] if gt_rgb else gt_map, pred_map[..., 0] if pred_rgb else pred_map,
                     "gt", "pred")
    return count_overlaps(gt_map, gt_rgb, pred_map, pred_rgb, threads)
