"""The report of ``fastiou eval``: the metrics it can print, the per-image CSV rows and the
result as the documented JSON schema ``fastiou.eval/1`` (what :mod:`fastiou.evaluate._format`
renders), all computed by :class:`fastiou.ConfusionMatrix` from the counts of
:mod:`fastiou.evaluate._engine`.
"""

import json
import math

import numpy as np

from fastiou._version import __version__
from fastiou.evaluate._engine import as_accumulator
from fastiou.evaluate._io import EvalError, os_reason
from fastiou.segmentation import metrics
from fastiou.segmentation.bfscore import BFScoreTotals
from fastiou.segmentation.boundary import metrics_from_counts

SCHEMA = "fastiou.eval/1"

# name on the command line -> (column title, field of ConfusionMatrix.compute(), or for the
# BOUNDARY_METRICS of fastiou.BoundaryMetrics)
PER_CLASS_METRICS = {
    "iou": ("IoU", "iou"),
    "dice": ("Dice", "dice"),
    "precision": ("Precision", "precision"),
    "recall": ("Recall", "recall"),
    "acc": ("Acc", "recall"),
    "biou": ("BIoU", "iou"),
    "bf": ("BF", "fscore"),
}
# per-class metrics of the Boundary IoU counts (fastiou.boundary_iou) and of the BF score's
# contour counts (fastiou.boundary_fscore, averaged over the images as Csurka et al.)
BOUNDARY_METRICS = ("biou", "bf")
OVERALL_METRICS = {
    "pixel_acc": ("pixel accuracy", "pixel_accuracy"),
    "fwiou": ("frequency-weighted IoU", "frequency_weighted_iou"),
    "kappa": ("Cohen's kappa", "cohen_kappa"),
}
DEFAULT_METRICS = ("iou", "dice", "acc", "pixel_acc")


def parse_metrics(text):
    """Split ``iou,dice,...`` and check every name; returns a tuple in the given order."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    known = {**PER_CLASS_METRICS, **OVERALL_METRICS}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        got = f"names unknown metric(s) {', '.join(unknown)}" if unknown else "names no metric"
        raise EvalError(f"--metrics {text!r} {got}; choose from {', '.join(known)}")
    return tuple(dict.fromkeys(names))


def wants_boundary(metric_names):
    """Whether the metrics need the Boundary IoU counts of every pair."""
    return any(m in BOUNDARY_METRICS for m in metric_names)


def boundary_options(options, metric_names):
    """`options` set to count the bands (``biou``) and the contours (``bf``) asked for."""
    return options._replace(boundary="biou" in metric_names, bf="bf" in metric_names)


def _class_values(metric, scores, boundary_scores):
    """The per-class array of `metric` from the region or the boundary scores."""
    source = boundary_scores if metric in BOUNDARY_METRICS else scores
    return getattr(source, PER_CLASS_METRICS[metric][1])


def _boundary_scores(counts, bf, num_classes):
    """:class:`fastiou.BoundaryMetrics` of band counts and BF score totals (either None when
    not asked for: its metrics are then NaN), or None when neither is there."""
    if counts is None and bf is None:
        return None
    if counts is None:
        counts = np.zeros((3, num_classes), dtype=np.int64)
    return metrics_from_counts(counts, bf)


def _image_bf(contours, num_classes):
    """BF score totals of one image's (4, C) contour counts (None without them)."""
    if contours is None:
        return None
    totals = BFScoreTotals(num_classes)
    totals.add_images(np.asarray(contours)[np.newaxis])
    return totals


def per_image_header(metric_names, class_names):
    per_class = [m for m in metric_names if m in PER_CLASS_METRICS]
    overall = [m for m in metric_names if m in OVERALL_METRICS]
    columns = ["image", "gt", "pred", "pixels", "counted"]
    columns += [f"mean_{m}" for m in per_class] + overall
    columns += [f"{m}:{name}" for m in per_class for name in class_names]
    return columns


def per_image_row(pair, result, metric_names, options):
    """One CSV row of per-image scores (full-precision floats, ``nan`` for 0 / 0)."""
    scores = as_accumulator(result.matrix, options, result.miss).compute()
    boundary_scores = _boundary_scores(result.boundary,
                                       _image_bf(result.bf, options.num_classes),
                                       options.num_classes)
    per_class = [m for m in metric_names if m in PER_CLASS_METRICS]
    overall = [m for m in metric_names if m in OVERALL_METRICS]
    row = [pair.name, pair.gt, pair.pred, result.pixels,
           int(result.matrix.sum() + result.miss.sum())]
    row += [_mean(_class_values(m, scores, boundary_scores)) for m in per_class]
    row += [getattr(scores, OVERALL_METRICS[m][1]) for m in overall]
    for m in per_class:
        row += _class_values(m, scores, boundary_scores).tolist()
    return [repr(v) if isinstance(v, float) else v for v in row]


def _mean(values):
    return metrics.nan_mean(values).item()


def _plain(value):
    """A JSON-ready number: NaN -> None, NumPy scalars -> Python numbers."""
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and math.isnan(value):
        return None
    return value


def build_report(total, *, metric_names, class_names, n_images, n_pixels, n_skipped, options,
                 threads, elapsed, boundary=None, bf=None):
    """The result as plain Python values: the documented JSON schema ``fastiou.eval/1``
    (`boundary`: the (3, C) Boundary IoU counts summed over the pairs, for biou; `bf`: the
    :class:`~fastiou.segmentation.bfscore.BFScoreTotals` of the pairs, for bf)."""
    scores = total.compute()
    boundary_scores = _boundary_scores(boundary, bf, options.num_classes)
    matrix = total.matrix
    per_class = [m for m in metric_names if m in PER_CLASS_METRICS]
    overall = [m for m in metric_names if m in OVERALL_METRICS]
    support = scores.support.tolist()
    predicted = matrix.sum(axis=0).tolist()
    classes = []
    for index, name in enumerate(class_names):
        entry = {"id": index, "name": name}
        for m in per_class:
            entry[m] = _plain(_class_values(m, scores, boundary_scores)[index])
        entry["gt_pixels"] = support[index]
        entry["pred_pixels"] = predicted[index]
        classes.append(entry)
    counted = int(matrix.sum() + total.miss.sum())  # a miss counts (a false negative)
    return {
        "schema": SCHEMA,
        "fastiou_version": __version__,
        "num_classes": options.num_classes,
        "ignore_index": list(options.ignore_index),
        "metrics": list(metric_names),
        "classes": classes,
        "mean": {m: _plain(_mean(_class_values(m, scores, boundary_scores))) for m in per_class},
        "overall": {m: _plain(getattr(scores, OVERALL_METRICS[m][1])) for m in overall},
        "counts": {"images": n_images, "pixels": n_pixels, "counted_pixels": counted,
                   "ignored_pixels": n_pixels - counted, "skipped_unpaired": n_skipped},
        "confusion_matrix": matrix.tolist(),
        "threads": threads,
        "elapsed_seconds": elapsed,
    }


def default_class_names(num_classes):
    return [str(c) for c in range(num_classes)]


def read_class_names(path, num_classes):
    """One name a line (blank lines and ``#`` comments skipped), or a JSON list."""
    try:
        with open(path, encoding="utf-8") as fh:
            text = fh.read()
    except UnicodeDecodeError:
        raise EvalError(f"cannot read the --class-names file {path}: it is not UTF-8 text") from None
    except OSError as exc:
        raise EvalError(f"cannot read the --class-names file {path}: {os_reason(exc)}") from None
    if text.lstrip().startswith("["):
        try:
            names = [str(n) for n in json.loads(text)]
        except (ValueError, TypeError) as exc:
            raise EvalError(f"the --class-names file {path} is not a JSON list: {exc}") from None
    else:
        names = [line.strip() for line in text.splitlines()
                 if line.strip() and not line.strip().startswith("#")]
    if len(names) != num_classes:
        raise EvalError(f"the --class-names file {path} has {len(names)} names but --num-classes "
                        f"is {num_classes}")
    return names
