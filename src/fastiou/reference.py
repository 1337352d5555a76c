"""Pure-NumPy reference implementations: the test oracle and the benchmark baseline.

Written for clarity, not speed: ``np.bincount`` of ``num_classes * t + p`` over the kept
pairs, the formula every NumPy snippet uses. They take already valid input and do not
check it; the public functions in :mod:`fastiou` are what users call.
"""

import numpy as np


def confusion_counts(y_true, y_pred, num_classes, ignore_index=(), sample_weight=None):
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


def confusion_matrix(y_true, y_pred, num_classes, ignore_index=(), sample_weight=None):
    """The ``(num_classes, num_classes)`` matrix of :func:`confusion_counts`."""
    return confusion_counts(y_true, y_pred, num_classes, ignore_index, sample_weight)[0]


def bincount_confusion_matrix(y_true, y_pred, num_classes, ignore_index=()):
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


def iou_from_confusion(cm):
    """Per-class ``tp / (tp + fp + fn)``; NaN where the denominator is 0."""
    cm = np.asarray(cm, dtype=np.float64)
    tp = np.diag(cm)
    denominator = cm.sum(axis=0) + cm.sum(axis=1) - tp
    with np.errstate(invalid="ignore", divide="ignore"):
        return np.where(denominator > 0, tp / denominator, np.nan)


def mean_iou(y_true, y_pred, num_classes, ignore_index=(), sample_weight=None):
    """Mean of the per-class IoU over the classes whose IoU is not NaN (NaN if none)."""
    iou = iou_from_confusion(confusion_matrix(y_true, y_pred, num_classes, ignore_index, sample_weight))
    present = iou[~np.isnan(iou)]
    return float(present.mean()) if present.size else float("nan")


# --------------------------------------------------------------------------------------
# Metrics surface (scores, derived metrics, binary / thresholded / soft IoU): written the
# plain way, one class or one image at a time, as oracles for fastiou.metrics,
# fastiou.binary and fastiou.ConfusionMatrix.

def class_ratios(cm, metric, beta=1.0):
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


def frequency_weighted_iou(cm):
    """sum_c (row_c / total) * IoU_c over classes with ground truth."""
    cm = np.asarray(cm, dtype=np.float64)
    iou = class_ratios(cm, "iou")
    rows = cm.sum(axis=1)
    return float(sum(rows[c] / rows.sum() * iou[c] for c in range(len(rows)) if rows[c] > 0))


def cohen_kappa(cm):
    """(p_o - p_e) / (1 - p_e) from a (C, C) matrix."""
    cm = np.asarray(cm, dtype=np.float64)
    total = cm.sum()
    observed = np.trace(cm) / total
    expected = float((cm.sum(axis=1) * cm.sum(axis=0)).sum()) / total**2
    return (observed - expected) / (1 - expected)


def binary_iou(y_pred, y_true, smooth=0.0):
    """Per-image IoU of two (B, ...) masks: the NumPy snippet with `smooth`."""
    pred = np.asarray(y_pred).astype(bool)
    true = np.asarray(y_true).astype(bool)
    pred = pred.reshape(len(pred), int(np.prod(pred.shape[1:])))
    true = true.reshape(len(true), int(np.prod(true.shape[1:])))
    intersection = (pred & true).sum(axis=1)
    union = (pred | true).sum(axis=1)
    with np.errstate(invalid="ignore", divide="ignore"):
        return (intersection + smooth) / (union + smooth)


def thresholded_score(iou_values, thresholds=np.arange(0.5, 1.0, 0.05)):
    """Mean over `thresholds` of ``iou > t`` for each value (thresholds as decimals)."""
    cuts = [float(f"{t:.2f}") for t in thresholds]
    return np.array([np.mean([v > t for t in cuts]) for v in np.asarray(iou_values, dtype=float)])


def soft_iou_per_image(y_true, y_prob, axis=-1):
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
