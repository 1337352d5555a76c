"""Pure-NumPy reference implementations: the test oracle and the benchmark baseline.

Written for clarity, not speed: ``np.bincount`` of ``num_classes * t + p`` over the kept
pairs, the formula every NumPy snippet uses. They take already valid input and do not
check it; the public functions in :mod:`fastiou` are what users call.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import Any, Literal

import numpy as np
import numpy.typing as npt

from fastiou._shared._typing import RLE, BoxFormat, BoxMode, CountArray, FloatArray, IntArray

_Ratio = Literal["iou", "dice", "fbeta", "precision", "recall"]


def confusion_counts(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: int,
                     ignore_index: Iterable[int] = (), sample_weight: npt.ArrayLike | None = None
                     ) -> tuple[npt.NDArray[Any], npt.NDArray[Any], int, int]:
    """Return ``(matrix, miss, n_bad_true, n_bad_pred)`` as the compiled kernels do.

    Pairs whose truth is in `ignore_index` are dropped; of the rest, a truth outside
    ``[0, num_classes)`` is counted in `n_bad_true`, a prediction outside it (with a valid
    truth) in `n_bad_pred` and in ``miss[truth]``; all other pairs go to ``matrix``.
    """
    t = np.asarray(y_true).astype(np.int64).ravel()
    p = np.asarray(y_pred).astype(np.int64).ravel()
    w = None if sample_weight is None else np.broadcast_to(
        np.asarray(sample_weight, dtype=np.float64), np.shape(y_true)).ravel()
    kept = ~np.isin(t, np.asarray(list(ignore_index), dtype=np.int64))
    valid_t = kept & (t >= 0) & (t < num_classes)
    valid_p = (p >= 0) & (p < num_classes)
    pair = valid_t & valid_p
    miss_mask = valid_t & ~valid_p
    cc = num_classes * num_classes
    matrix = np.bincount(num_classes * t[pair] + p[pair],
                         weights=None if w is None else w[pair], minlength=cc)
    miss = np.bincount(t[miss_mask], weights=None if w is None else w[miss_mask],
                       minlength=num_classes)
    dtype = np.int64 if w is None else np.float64
    return (matrix.reshape(num_classes, num_classes).astype(dtype), miss.astype(dtype),
            int((kept & ~valid_t).sum()), int(miss_mask.sum()))


def confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: int,
                     ignore_index: Iterable[int] = (),
                     sample_weight: npt.ArrayLike | None = None) -> CountArray:
    """The ``(num_classes, num_classes)`` matrix of :func:`confusion_counts`."""
    return confusion_counts(y_true, y_pred, num_classes, ignore_index, sample_weight)[0]


def bincount_confusion_matrix(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: int,
                              ignore_index: Iterable[int] = ()) -> IntArray:
    """The classic NumPy snippet (FCN's ``fast_hist``): the benchmark baseline.

    Keeps pairs whose truth is a valid, non-ignored class and counts ``num_classes * t + p``
    with one ``np.bincount``. Assumes predictions in ``[0, num_classes)``.
    """
    t = np.asarray(y_true).ravel()
    p = np.asarray(y_pred).ravel()
    keep = (t >= 0) & (t < num_classes)
    for value in ignore_index:
        keep &= t != value
    codes = num_classes * t[keep].astype(np.int64) + p[keep]
    return np.bincount(codes, minlength=num_classes * num_classes).reshape(num_classes, num_classes)


def iou_from_confusion(cm: npt.ArrayLike) -> FloatArray:
    """Per-class ``tp / (tp + fp + fn)``; NaN where the denominator is 0."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, tp / denominator, np.nan)


def mean_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: int, ignore_index: Iterable[int] = (),
             sample_weight: npt.ArrayLike | None = None) -> float:
    """Mean of the per-class IoU over the classes whose IoU is not NaN (NaN if none), as the
    snippets' ``np.nanmean`` computes it (the sum in that order, then one division)."""
    iou = iou_from_confusion(confusion_matrix(y_true, y_pred, num_classes, ignore_index, sample_weight))
    if np.isnan(iou).all():
        return float("nan")
    return float(np.nanmean(iou))


# --------------------------------------------------------------------------------------
# Metrics surface (scores, derived metrics, binary / thresholded / soft IoU): written the
# plain way, one class or one image at a time, as oracles for fastiou.metrics,
# fastiou.binary and fastiou.ConfusionMatrix.

def class_ratios(cm: npt.ArrayLike, metric: _Ratio, beta: float = 1.0) -> FloatArray:
    """Per-class values of `metric` ("iou", "dice", "fbeta", "precision", "recall") from a
    (C, C) matrix, NaN where the denominator is 0, looping over classes."""
    cm = np.asarray(cm, dtype=np.float64)
    values = []
    for c in range(cm.shape[0]):
        tp = cm[c, c]
        fp = cm[:, c].sum() - tp
        fn = cm[c, :].sum() - tp
        numerator, denominator = {
            "iou": (tp, tp + fp + fn),
            "dice": (2 * tp, 2 * tp + fp + fn),
            "fbeta": ((1 + beta**2) * tp, (1 + beta**2) * tp + beta**2 * fn + fp),
            "precision": (tp, tp + fp),
            "recall": (tp, tp + fn),
        }[metric]
        values.append(numerator / denominator if denominator > 0 else np.nan)
    return np.array(values)


def frequency_weighted_iou(cm: npt.ArrayLike) -> float:
    """sum_c (row_c / total) * IoU_c over classes with ground truth."""
    cm = np.asarray(cm, dtype=np.float64)
    iou = class_ratios(cm, "iou")
    rows = cm.sum(axis=1)
    return float(sum(rows[c] / rows.sum() * iou[c] for c in range(len(rows)) if rows[c] > 0))


def cohen_kappa(cm: npt.ArrayLike) -> float:
    """(p_o - p_e) / (1 - p_e) from a (C, C) matrix."""
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum()
    observed = np.trace(cm) / total
    expected = float((cm.sum(axis=1) * cm.sum(axis=0)).sum()) / total**2
    return float((observed - expected) / (1 - expected))


def binary_iou(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, smooth: float = 0.0) -> FloatArray:
    """Per-image IoU of two (B, ...) masks: the NumPy snippet with `smooth`."""
    true = np.asarray(y_true).astype(bool)
    pred = np.asarray(y_pred).astype(bool)
    pred = pred.reshape(len(pred), int(np.prod(pred.shape[1:])))
    true = true.reshape(len(true), int(np.prod(true.shape[1:])))
    intersection = (pred & true).sum(axis=1)
    union = (pred | true).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        iou: FloatArray = (intersection + smooth) / (union + smooth)
    return iou


def thresholded_score(iou_values: npt.ArrayLike, thresholds: Iterable[float] = np.arange(0.5, 1.0, 0.05)
                      ) -> FloatArray:
    """Mean over `thresholds` of ``iou > t`` for each value (thresholds as decimals)."""
    cuts = [float(f"{t:.2f}") for t in thresholds]
    return np.array([np.mean([v > t for t in cuts]) for v in np.asarray(iou_values, dtype=float)])


def soft_iou_per_image(y_true: npt.ArrayLike, y_prob: npt.ArrayLike, axis: int = -1) -> FloatArray:
    """(B, C) of sum(p t) / (sum p + sum t - sum(p t)) per image and class (NaN for 0/0)."""
    t = np.moveaxis(np.asarray(y_true, dtype=np.float64), axis, -1)
    p = np.moveaxis(np.asarray(y_prob, dtype=np.float64), axis, -1)
    out = np.full((t.shape[0], t.shape[-1]), np.nan)
    for b in range(t.shape[0]):
        for c in range(t.shape[-1]):
            inter = (t[b, ..., c] * p[b, ..., c]).sum()
            union = t[b, ..., c].sum() + p[b, ..., c].sum() - inter
            if union > 0:
                out[b, c] = inter / union
    return out

# ---------------------------------------------------------------------------------------
# Boxes and instance masks: NumPy broadcasting versions of torchvision's box formulas, the
# ``(a & b).sum() / (a | b).sum()`` mask IoU and a pure-Python COCO RLE codec. They build
# the full (N, M) temporaries the compiled kernels avoid.
# ---------------------------------------------------------------------------------------

BOX_FORMATS = ("xyxy", "xywh", "cxcywh")


def box_corners(boxes: npt.ArrayLike, fmt: BoxFormat) -> tuple[npt.NDArray[Any], ...]:
    """``(x1, y1, x2, y2, w, h)`` of ``(..., 4)`` boxes; w and h as the format gives them."""
    boxes = np.asarray(boxes)
    a, b, c, d = (boxes[..., k] for k in range(4))
    if fmt == "xyxy":
        return a, b, c, d, c - a, d - b
    if fmt == "xywh":
        return a, b, a + c, b + d, c, d
    return a - 0.5 * c, b - 0.5 * d, a + 0.5 * c, b + 0.5 * d, c, d


def box_area(boxes: npt.ArrayLike, fmt: BoxFormat = "xyxy", offset: float = 0) -> npt.NDArray[Any]:
    """Area from the format's own width and height, each clamped at 0."""
    *_, w, h = box_corners(boxes, fmt)
    return np.maximum(w + offset, 0) * np.maximum(h + offset, 0)


def box_convert(boxes: npt.ArrayLike, in_fmt: BoxFormat, out_fmt: BoxFormat) -> npt.NDArray[Any]:
    x1, y1, x2, y2, _, _ = box_corners(boxes, in_fmt)
    if out_fmt == "xyxy":
        return np.stack([x1, y1, x2, y2], axis=-1)
    if out_fmt == "xywh":
        return np.stack([x1, y1, x2 - x1, y2 - y1], axis=-1)
    return np.stack([(x1 + x2) / 2, (y1 + y2) / 2, x2 - x1, y2 - y1], axis=-1)


def _divide_or_zero(numerator: npt.NDArray[Any], denominator: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """``numerator / denominator``, 0 where the denominator is not positive."""
    with np.errstate(divide="ignore", invalid="ignore"):
        return np.where(denominator > 0, numerator / np.where(denominator > 0, denominator, 1), 0)


def box_iou(boxes1: npt.ArrayLike, boxes2: npt.ArrayLike, fmt: BoxFormat = "xyxy", mode: BoxMode = "iou",
            aligned: bool = False, offset: float = 0, eps: float = 1e-7,
            iscrowd: npt.ArrayLike | None = None) -> npt.NDArray[Any]:
    """IoU / IoF / GIoU / DIoU / CIoU of ``(N, 4)`` and ``(M, 4)`` boxes by broadcasting.

    torchvision's formulas (``_box_inter_union``, ``generalized_box_iou``,
    ``distance_box_iou``, ``complete_box_iou``) with fastiou's rules: sizes clamped at 0,
    areas from the format's own sizes (as pycocotools), IoU and IoF capped at 1, ``offset`` added to every size, 0 for a zero
    denominator, NaN for a pair with a non-finite box. The dtype of the input is kept.
    """
    boxes1, boxes2 = np.asarray(boxes1), np.asarray(boxes2)
    dtype = boxes1.dtype.type
    c1 = box_corners(boxes1, fmt)
    c2 = box_corners(boxes2, fmt)
    if aligned:
        a = [v for v in c1]
        b = [v for v in c2]
    else:
        a = [v[:, None] for v in c1]
        b = [v[None, :] for v in c2]
    ax1, ay1, ax2, ay2, _, _ = a
    bx1, by1, bx2, by2, _, _ = b
    area1 = box_area(boxes1, fmt, offset)
    area2 = box_area(boxes2, fmt, offset)
    if not aligned:
        area1, area2 = area1[:, None], area2[None, :]
    off = dtype(offset)
    iw = np.maximum(np.minimum(ax2, bx2) - np.maximum(ax1, bx1) + off, 0)
    ih = np.maximum(np.minimum(ay2, by2) - np.maximum(ay1, by1) + off, 0)
    inter = iw * ih
    union = area1 + area2 - inter
    if mode == "iof":
        union = np.broadcast_to(area1, inter.shape)
    elif iscrowd is not None:
        crowd = np.asarray(iscrowd, dtype=bool)
        union = np.where(crowd if aligned else crowd[None, :], area1, union)
    iou = np.minimum(_divide_or_zero(inter, union), 1)
    if mode in ("giou", "diou", "ciou"):
        ew = np.maximum(np.maximum(ax2, bx2) - np.minimum(ax1, bx1) + off, 0)
        eh = np.maximum(np.maximum(ay2, by2) - np.minimum(ay1, by1) + off, 0)
    if mode == "giou":
        enclosing = ew * eh
        result = iou - _divide_or_zero(enclosing - union, enclosing)
    elif mode in ("diou", "ciou"):
        diagonal = ew ** 2 + eh ** 2 + dtype(eps)
        dx = (ax1 + ax2) / 2 - (bx1 + bx2) / 2
        dy = (ay1 + ay2) / 2 - (by1 + by2) / 2
        result = iou - _divide_or_zero(dx ** 2 + dy ** 2, diagonal)
        if mode == "ciou":
            def shape_angle(x1: npt.NDArray[Any], y1: npt.NDArray[Any], x2: npt.NDArray[Any],
                            y2: npt.NDArray[Any]) -> npt.NDArray[Any]:
                w = np.maximum(x2 - x1 + off, 0)
                h = np.maximum(y2 - y1 + off, 0)
                with np.errstate(divide="ignore", invalid="ignore"):
                    return np.where(h > 0, np.arctan(w / np.where(h > 0, h, 1)),
                                    np.where(w > 0, np.pi / 2, 0)).astype(dtype)
            v = dtype(4 / np.pi ** 2) * (shape_angle(*a[:4]) - shape_angle(*b[:4])) ** 2
            alpha = _divide_or_zero(v, 1 - iou + v + dtype(eps))
            result = result - alpha * v
    else:
        result = iou
    bad1 = ~np.isfinite(boxes1).all(axis=-1)
    bad2 = ~np.isfinite(boxes2).all(axis=-1)
    bad = (bad1 | bad2) if aligned else (bad1[:, None] | bad2[None, :])
    return np.where(bad, np.nan, result).astype(dtype)


def mask_iou(masks1: npt.ArrayLike, masks2: npt.ArrayLike, iscrowd: Sequence[bool] | None = None) -> FloatArray:
    """``(a & b).sum() / (a | b).sum()`` for every pair of ``(N, H, W)`` and ``(M, H, W)``
    masks (0 when both are empty); a crowd mask of `masks2` divides by ``a.sum()``."""
    a = np.asarray(masks1).astype(bool)
    b = np.asarray(masks2).astype(bool)
    out = np.zeros((a.shape[0], b.shape[0]))
    for i in range(a.shape[0]):
        for j in range(b.shape[0]):
            inter = (a[i] & b[j]).sum()
            union = a[i].sum() if iscrowd is not None and iscrowd[j] else (a[i] | b[j]).sum()
            out[i, j] = inter / union if union else 0.0
    return out


def rle_runs(mask: npt.ArrayLike) -> list[int]:
    """COCO run lengths of one ``(H, W)`` mask: column-major, background run first."""
    flat = np.asarray(mask).astype(bool).T.ravel()
    changes = np.flatnonzero(flat[1:] != flat[:-1]) + 1
    edges = np.concatenate([[0], changes, [flat.size]])
    runs: list[int] = np.diff(edges).tolist()
    if flat.size and flat[0]:
        runs.insert(0, 0)
    return runs


def rle_string(runs: Sequence[int]) -> bytes:
    """COCO's compressed counts string: run k > 2 stored as the difference to run k - 2,
    each value in 5-bit groups (low first) with a continuation bit, offset by 48."""
    out = bytearray()
    for k, run in enumerate(runs):
        value = run - runs[k - 2] if k > 2 else run
        while True:
            group = value & 0x1F
            value >>= 5
            last = value == (-1 if group & 0x10 else 0)
            out.append(group + 48 + (0 if last else 0x20))
            if last:
                break
    return bytes(out)


def rle_runs_from_string(text: bytes | bytearray) -> list[int]:
    """Inverse of :func:`rle_string`."""
    runs: list[int] = []
    value, shift = 0, 0
    for byte in bytes(text):
        group = byte - 48
        value |= (group & 0x1F) << shift
        shift += 5
        if not group & 0x20:
            if group & 0x10:
                value -= 1 << shift
            runs.append(value + runs[-2] if len(runs) > 2 else value)
            value, shift = 0, 0
    return runs


def rle_decode(rle: RLE) -> npt.NDArray[np.bool_]:
    """``(H, W)`` bool mask of one COCO RLE dict (compressed or list counts)."""
    height, width = rle["size"]
    counts = rle["counts"]
    runs = counts if isinstance(counts, list) else rle_runs_from_string(
        counts.encode() if isinstance(counts, str) else counts)
    flat = np.repeat(np.arange(len(runs)) % 2 == 1, runs)
    return flat.reshape(width, height).T


def inner_band(mask: npt.ArrayLike, depth: int) -> npt.NDArray[np.bool_]:
    """The inner boundary band of a 2-D boolean mask: the mask minus its erosion by a 3x3
    square repeated `depth` times with a zero border, i.e. the pixels of the mask whose
    (2 depth + 1)-square window leaves the image or holds a pixel outside the mask
    (a window sum over an integral image)."""
    m = np.asarray(mask, dtype=bool)
    height, width = m.shape
    size = 2 * depth + 1
    inside = np.zeros_like(m)
    if size <= height and size <= width:
        integral = np.zeros((height + 1, width + 1), dtype=np.int64)
        integral[1:, 1:] = m.cumsum(0).cumsum(1)
        sums = (integral[size:, size:] - integral[:-size, size:] - integral[size:, :-size]
                + integral[:-size, :-size])
        inside[depth:height - depth, depth:width - depth] = sums == size * size
    band: npt.NDArray[np.bool_] = m & ~inside
    return band


def boundary_counts(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: int, depth: int,
                    ignore_index: Iterable[int] = ()) -> tuple[IntArray, IntArray, IntArray]:
    """``(|Gb ∩ Pb|, |Gb|, |Pb|)`` per class over (N, H, W) label maps, one class at a time;
    pixels whose truth is in `ignore_index` are left out (bands found on the maps as they are)."""
    truth = np.asarray(y_true).astype(np.int64).reshape((-1,) + np.shape(y_true)[-2:])
    pred = np.asarray(y_pred).astype(np.int64).reshape(truth.shape)
    counts = np.zeros((3, num_classes), dtype=np.int64)
    for t, p in zip(truth, pred):
        kept = ~np.isin(t, np.asarray(list(ignore_index), dtype=np.int64))
        for c in range(num_classes):
            true_band = inner_band(t == c, depth) & kept
            pred_band = inner_band(p == c, depth) & kept
            counts[:, c] += [(true_band & pred_band).sum(), true_band.sum(), pred_band.sum()]
    return counts[0], counts[1], counts[2]
def segment_overlaps(gt: npt.ArrayLike, pred: npt.ArrayLike
                     ) -> tuple[npt.NDArray[np.int64], npt.NDArray[np.int64], npt.NDArray[np.int64]]:
    """``(gt_ids, pred_ids, counts)`` of two id maps (or ``(..., 3)`` uint8 RGB maps, id =
    R + 256 G + 256**2 B): ``np.unique`` of a 64-bit key a pixel, panopticapi's way."""
    def ids(values: npt.ArrayLike) -> npt.NDArray[np.uint64]:
        array = np.asarray(values)
        if array.ndim == 3 and array.dtype == np.uint8:
            array = array[..., 0].astype(np.uint64) + 256 * array[..., 1].astype(np.uint64) \
                + 65536 * array[..., 2].astype(np.uint64)
        return array.astype(np.uint64).ravel()
    keys, counts = np.unique((ids(gt) << np.uint64(32)) | ids(pred), return_counts=True)
    return ((keys >> np.uint64(32)).astype(np.int64), (keys & np.uint64(0xFFFFFFFF)).astype(np.int64),
            counts.astype(np.int64))


def contour(mask: npt.ArrayLike, image_border: bool = True) -> npt.NDArray[np.bool_]:
    """The 4-connected perimeter of a 2-D boolean mask: its pixels with a 4-neighbour
    outside it; beyond the image counts as outside when `image_border`."""
    m = np.asarray(mask, dtype=bool)
    padded = np.pad(m, 1, constant_values=not image_border)
    inner = padded[:-2, 1:-1] & padded[2:, 1:-1] & padded[1:-1, :-2] & padded[1:-1, 2:]
    edge: npt.NDArray[np.bool_] = m & ~inner
    return edge


def bf_counts(y_true: npt.ArrayLike, y_pred: npt.ArrayLike, num_classes: int, theta: float,
              ignore_index: Iterable[int] = (), image_border: bool = True) -> IntArray:
    """Per-image BF score counts, shape (N, 4, C): true contour pixels, those with a
    predicted contour pixel of their class at distance < `theta`, predicted contour
    pixels, those with a true one; one class at a time, all pairwise distances. Contour
    pixels whose truth is in `ignore_index` are left out; labels must lie in [0, C)."""
    truth = np.asarray(y_true).astype(np.int64).reshape((-1,) + np.shape(y_true)[-2:])
    pred = np.asarray(y_pred).astype(np.int64).reshape(truth.shape)
    counts = np.zeros((truth.shape[0], 4, num_classes), dtype=np.int64)
    for image, (t, p) in enumerate(zip(truth, pred)):
        kept = ~np.isin(t, np.asarray(list(ignore_index), dtype=np.int64))
        for c in range(num_classes):
            true_yx = np.argwhere(contour(t == c, image_border))
            pred_yx = np.argwhere(contour(p == c, image_border))
            near = ((true_yx[:, None, :] - pred_yx[None, :, :]) ** 2).sum(-1) < theta * theta
            true_kept = kept[tuple(true_yx.T)] if len(true_yx) else np.zeros(0, bool)
            pred_kept = kept[tuple(pred_yx.T)] if len(pred_yx) else np.zeros(0, bool)
            counts[image, :, c] = [true_kept.sum(), (near.any(axis=1) & true_kept).sum(),
                                   pred_kept.sum(), (near.any(axis=0) & pred_kept).sum()]
    return counts
