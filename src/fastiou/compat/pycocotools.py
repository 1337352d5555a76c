"""pycocotools' ``mask.iou`` (boxes and COCO RLE masks), computed by fastiou.

``iou(dt, gt, pyiscrowd)`` takes pycocotools' arguments and gives its float64 values to
the last bit, with its quirks:

- boxes are ``[x, y, w, h]``; a pair is 0 unless both overlaps ``min(x + w) - max(x)``
  and the same in y are positive; no other clamping and no cap at 1 (the area is
  ``w * h`` while the overlap comes from ``x + w``, so a box against itself can give
  ``1 + 1e-16``); NaN follows C's ``fmin``/``fmax``, which ignore a NaN operand: a NaN
  ``x`` can still give a finite value, a NaN ``w`` gives NaN;
- ``iscrowd`` is converted as pycocotools does (``np.array(pyiscrowd, dtype=np.uint8)``:
  0.5 is not a crowd, 2 is, -1 raises ``OverflowError``); a crowd ground truth divides the
  intersection by the detection's area;
- an empty `dt` or `gt` returns the empty list ``[]``; a 1-D array goes through
  pycocotools' ``reshape((objs[0], 1))`` (a ``TypeError`` for float values); tuples and
  other types are refused;
- RLE masks of different sizes give -1 where their bounding boxes overlap (else 0);
  boxes are computed as pycocotools' ``rleToBbox`` (including its unsigned wrap-around
  for a mask whose only foreground run is empty).

Where it differs: pycocotools raises the bare ``Exception`` for unrecognised input; this
module raises ``TypeError`` or ``ValueError`` (both subclasses of ``Exception``, so
``except Exception`` still catches them). Malformed RLE strings and counts that do not
cover ``h * w`` pixels raise ``ValueError`` (pycocotools reads them without checks).
Uncompressed RLE (``counts`` a list) raises ``TypeError``, as pycocotools.
"""

import numbers
from collections.abc import Sequence
from typing import Any, Union

import numpy as np
import numpy.typing as npt

from fastiou._shared._threads import resolve_n_threads
from fastiou._shared._typing import RLE, FloatArray
from fastiou.compat import _compat_boxes
from fastiou.compat._tensors import threads_for
from fastiou.detection.masks import _rle_counts, pack_runs, packed_pair_iou

__all__ = ["iou"]


class _Rles(list[Any]):
    """Parsed RLE input: ``((h, w), counts)`` per mask, plus the original dicts."""

    def __init__(self, objs: Sequence[RLE]) -> None:
        super().__init__()
        for k, obj in enumerate(objs):
            counts = obj["counts"]
            if not isinstance(counts, (str, bytes)):
                raise TypeError(f"RLE {k}: 'counts' must be a compressed string (str or bytes), "
                                f"got {type(counts).__name__}")
            size = [_size_value(obj["size"][0], k), _size_value(obj["size"][1], k)]
            self.append(_rle_counts({"size": size, "counts": counts}, f"objs[{k}]"))


def _size_value(value: object, k: int) -> int:
    """pycocotools' conversion of a size to a C unsigned long: numbers are truncated
    (2.5 -> 2, True -> 1), anything else is a TypeError, a negative an OverflowError."""
    if not isinstance(value, numbers.Real):
        raise TypeError(f"RLE {k}: 'size' must hold numbers, got {type(value).__name__}")
    size: int = int(value)  # type: ignore[call-overload]
    if size < 0:
        raise OverflowError(f"RLE {k}: 'size' must not be negative, got {value}")
    return size


def _preproc(objs: Any) -> Any:
    """pycocotools' input conversion: an (N, 4) float64 array, the parsed RLEs, or the
    empty input itself."""
    if len(objs) == 0:
        return objs
    if type(objs) is np.ndarray:
        if len(objs.shape) == 1:
            objs = objs.reshape((objs[0], 1))
        if objs.ndim != 2 or objs.shape[1] != 4:
            raise ValueError(f"an ndarray must hold (N, 4) boxes, got shape {objs.shape}")
        return objs.astype(np.double)
    if type(objs) is list:
        # every element is looked at (len() of a number raises TypeError), as pycocotools
        is_box = all([len(obj) == 4 and type(obj) in (list, np.ndarray) for obj in objs])
        is_rle = all([type(obj) is dict for obj in objs])
        if is_box:
            objs = np.array(objs, dtype=np.double)
            if objs.ndim == 1:
                objs = objs.reshape((1, objs.shape[0]))
            if objs.ndim != 2:
                raise ValueError(f"boxes must form an (N, 4) array, got shape {objs.shape}")
            return objs
        if is_rle:
            return _Rles(objs)
        raise TypeError("a list must hold boxes (lists or arrays of 4 numbers) or RLE dicts")
    raise TypeError(f"`dt` and `gt` must be an ndarray of boxes or a list of boxes or RLE dicts, "
                    f"got {type(objs).__name__}")


def _rle_box(size: tuple[int, int], counts: npt.NDArray[Any]) -> list[float]:
    """pycocotools' ``rleToBbox`` of one mask, unsigned 32-bit arithmetic included."""
    height, width = size
    m = (len(counts) // 2) * 2
    if m == 0:
        return [0.0, 0.0, 0.0, 0.0]
    ends = np.cumsum(counts[:m], dtype=np.uint64)
    starts = ends - counts[:m]
    fg = (np.arange(m) % 2 == 1) & (counts[:m] > 0)
    xs, ys, xe, ye = width, height, 0, 0
    if fg.any():
        start = starts[fg].astype(np.int64) % (1 << 32)
        last = (ends[fg].astype(np.int64) - 1) % (1 << 32)
        x_start, y_start = start // height, start % height
        x_end, y_end = last // height, last % height
        xs = min(xs, int(x_start.min()))
        xe = max(xe, int(x_end.max()))
        if np.any(x_start < x_end):
            ys, ye = 0, height - 1
        else:
            ys = min(ys, int(y_start.min()))
            ye = max(ye, int(y_end.max()))
    return [float(xs), float(ys), float((xe - xs + 1) % (1 << 32)), float((ye - ys + 1) % (1 << 32))]


def _box_iou(dt: npt.NDArray[Any], gt: npt.NDArray[Any], iscrowd: npt.NDArray[Any]) -> FloatArray:
    out = np.empty((dt.shape[0], gt.shape[0]), dtype=np.float64)
    _compat_boxes.coco_box_overlaps(np.ascontiguousarray(dt), np.ascontiguousarray(gt),
                                    np.ascontiguousarray(iscrowd), out, threads_for(out.size))
    return out


def _irregular(rles: Sequence[Any]) -> list[bool]:
    """For each parsed RLE, whether a run after the first is empty: pycocotools' run walk
    (rleIou) then counts differently from the pixels (e.g. [0, 3, 0, 1] against
    [1, 2, 0, 1] gives 2/3, not 3/4). Its own encoder never writes such runs. One pass
    over all the runs (a NumPy call per mask costs more than the IoU of small masks)."""
    lengths = np.array([len(counts) for _, counts in rles], dtype=np.int64)
    if not lengths.any():
        return [False] * len(rles)
    runs = np.concatenate([counts for _, counts in rles])
    empty = np.append(runs == 0, False)  # a last slot, where masks without runs start
    starts = np.cumsum(lengths) - lengths
    empty[starts] = False  # a first run may be empty
    n_empty = np.add.reduceat(empty.astype(np.int64), starts)
    irregular: list[bool] = ((lengths > 1) & (n_empty > 0)).tolist()
    return irregular


def _walk_iou(dt_counts: npt.NDArray[Any], gt_counts: npt.NDArray[Any], crowd: object) -> float:
    """pycocotools' rleIou for one pair of equal-size masks, step by step."""
    ca, cb = int(dt_counts[0]), int(gt_counts[0])
    ka, kb = len(dt_counts), len(gt_counts)
    va = vb = False
    a = b = 1
    inter = union = 0
    remaining = 1
    while remaining > 0:
        c = min(ca, cb)
        if va or vb:
            union += c
            if va and vb:
                inter += c
        ca -= c
        if not ca and a < ka:
            ca, a, va = int(dt_counts[a]), a + 1, not va
        cb -= c
        if not cb and b < kb:
            cb, b, vb = int(gt_counts[b]), b + 1, not vb
        remaining = ca + cb
    if inter == 0:
        union = 1
    elif crowd:
        union = int(dt_counts[1::2].sum())
    return inter / union


def _mask_iou(dt: Sequence[Any], gt: Sequence[Any], iscrowd: npt.NDArray[Any]) -> FloatArray:
    """fastiou's mask IoU of parsed RLEs of one size (their pixel sets, crowd as
    pycocotools)."""
    size = dt[0][0]
    packed1, stats1 = pack_runs([runs for _, runs in dt], size)
    packed2, stats2 = pack_runs([runs for _, runs in gt], size)
    return packed_pair_iou(packed1, stats1, packed2, stats2,
                           np.ascontiguousarray(iscrowd, dtype=np.uint8), resolve_n_threads(None))


def _rle_iou(dt: Sequence[Any], gt: Sequence[Any], iscrowd: npt.NDArray[Any]) -> FloatArray:
    sizes_dt = [size for size, _ in dt]
    sizes_gt = [size for size, _ in gt]
    odd_dt = _irregular(dt)
    odd_gt = _irregular(gt)
    if len(set(sizes_dt) | set(sizes_gt)) == 1 and not any(odd_dt) and not any(odd_gt):
        return _mask_iou(dt, gt, iscrowd)
    # pycocotools first computes the IoU of the masks' boxes (rleToBbox) and looks at the
    # masks only where that is positive: there, masks of different sizes give -1
    boxes_dt = np.array([_rle_box(size, counts) for size, counts in dt])
    boxes_gt = np.array([_rle_box(size, counts) for size, counts in gt])
    out = np.where(_box_iou(boxes_dt, boxes_gt, iscrowd) > 0, -1.0, 0.0)
    for size in set(sizes_dt) & set(sizes_gt):
        rows = [k for k, s in enumerate(sizes_dt) if s == size]
        cols = [k for k, s in enumerate(sizes_gt) if s == size]
        block = _mask_iou([dt[k] for k in rows], [gt[k] for k in cols], iscrowd[cols])
        for r, k in enumerate(rows):
            for c, g in enumerate(cols):
                if out[k, g] == 0:
                    continue
                if odd_dt[k] or odd_gt[g]:
                    out[k, g] = _walk_iou(dt[k][1], gt[g][1], iscrowd[g])
                else:
                    out[k, g] = block[r, c]
    return out


def iou(dt: Union[npt.NDArray[Any], Sequence[npt.ArrayLike], Sequence[RLE]],
        gt: Union[npt.NDArray[Any], Sequence[npt.ArrayLike], Sequence[RLE]],
        pyiscrowd: Sequence[Union[int, bool]]) -> Union[FloatArray, list[Any]]:
    """``pycocotools.mask.iou``: IoU of every detection with every ground truth.

    Parameters
    ----------
    dt : ndarray of shape (m, 4), list of [x, y, w, h] boxes, or list of RLE dicts
        Detections (boxes in xywh).
    gt : same kinds as `dt` (both boxes or both RLE)
        Ground truths.
    pyiscrowd : sequence of length n
        One crowd flag per ground truth, converted with ``np.array(..., dtype=np.uint8)``.

    Returns
    -------
    ndarray of float64, shape (m, n), or the list ``[]`` when `dt` or `gt` is empty
        pycocotools' values (no clamping, no cap; crowd: intersection over the
        detection's area; RLE masks of different sizes: -1 where their boxes overlap).

    Raises
    ------
    AssertionError
        `pyiscrowd` of another length than `gt`.
    TypeError, ValueError, OverflowError
        Where pycocotools raises them (``iscrowd`` conversion, shapes, types); its bare
        ``Exception`` is a ``TypeError`` or ``ValueError`` here.
    KeyError
        An RLE dict without 'counts' or 'size'.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.compat.pycocotools import iou
    >>> dt = np.array([[0.0, 0.0, 2.0, 2.0]])
    >>> gt = np.array([[1.0, 1.0, 2.0, 2.0], [1.0, 1.0, 2.0, 2.0]])
    >>> iou(dt, gt, [0, 1])
    array([[0.14285714, 0.25      ]])
    >>> iou(dt, np.zeros((0, 4)), [])
    []
    """
    iscrowd = np.array(pyiscrowd, dtype=np.uint8)
    if iscrowd.ndim != 1:
        raise ValueError(f"`pyiscrowd` must be one flag per ground truth (1-D), got {iscrowd.ndim} axes")
    dt_objs: Any = _preproc(dt)
    gt_objs: Any = _preproc(gt)
    m = len(dt_objs)
    n = len(gt_objs)
    crowd_length = len(pyiscrowd)
    if crowd_length != n:  # pycocotools asserts it (an AssertionError even under python -O here)
        raise AssertionError(f"`pyiscrowd` has {crowd_length} flags for {n} ground truths")
    if m == 0 or n == 0:
        return []
    if isinstance(dt_objs, _Rles) != isinstance(gt_objs, _Rles):
        raise TypeError("`dt` and `gt` must both be boxes or both be RLE masks")
    if isinstance(dt_objs, _Rles):
        return _rle_iou(dt_objs, gt_objs, iscrowd)
    return _box_iou(dt_objs, gt_objs, iscrowd)
