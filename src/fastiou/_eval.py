"""The engine of ``fastiou eval``: stream label-map pairs through a thread pool into one exact
int64 confusion matrix, then report its metrics through :class:`fastiou.ConfusionMatrix`.

Each task decodes one pair (fastiou's PNG decoder, Pillow and the counting kernel all release
the GIL) and counts it into its own int64 matrix; the main thread adds them up in order. At most
``2 * jobs`` pairs are in flight, so memory does not grow with the number of images.
"""

import json
import math
import sys
import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from fastiou import metrics
from fastiou._accumulator import ConfusionMatrix
from fastiou._byte_classes import byte_classes, count_png_pair, fold_value_counts
from fastiou._core import count_pairs
from fastiou._io import (
    EXIT_MISSING,
    EXIT_OUT_OF_RANGE,
    EXIT_SIZE_MISMATCH,
    EvalError,
    apply_label_map,
    counted,
    describe_left_out,
    listed,
    os_reason,
    read_label_map,
    reduce_zero_label,
)
from fastiou._png import PngError, Scratch, parse_png
from fastiou._threads import available_cpus
from fastiou._version import __version__

SCHEMA = "fastiou.eval/1"
_thread_scratch = threading.local()

# name on the command line -> (column title, field of ConfusionMatrix.compute())
PER_CLASS_METRICS = {
    "iou": ("IoU", "iou"),
    "dice": ("Dice", "dice"),
    "precision": ("Precision", "precision"),
    "recall": ("Recall", "recall"),
    "acc": ("Acc", "recall"),
}
OVERALL_METRICS = {
    "pixel_acc": ("pixel accuracy", "pixel_accuracy"),
    "fwiou": ("frequency-weighted IoU", "frequency_weighted_iou"),
    "kappa": ("Cohen's kappa", "cohen_kappa"),
}
DEFAULT_METRICS = ("iou", "dice", "acc", "pixel_acc")


class EvalOptions(NamedTuple):
    """How every pair is read and counted (picklable: Dask workers receive it)."""

    num_classes: int
    ignore_index: tuple = ()
    label_map: object = None
    pred_label_map: object = None
    reduce_zero_label: bool = False
    colour_map: object = None


class ImageResult(NamedTuple):
    """One pair's counts: its int64 (C, C) matrix and how many pixels it had."""

    matrix: np.ndarray
    pixels: int


def parse_metrics(text):
    """Split ``iou,dice,...`` and check every name; returns a tuple in the given order."""
    names = [n.strip().lower() for n in text.split(",") if n.strip()]
    known = {**PER_CLASS_METRICS, **OVERALL_METRICS}
    unknown = [n for n in names if n not in known]
    if unknown or not names:
        got = f"names unknown metric(s) {', '.join(unknown)}" if unknown else "names no metric"
        raise EvalError(f"--metrics {text!r} {got}; choose from {', '.join(known)}")
    return tuple(dict.fromkeys(names))


def thread_budget(jobs, cores=None):
    """``(decode threads, kernel threads per task)`` whose product stays within the cores."""
    cores = available_cpus() if cores is None else cores
    jobs = cores if jobs is None else jobs
    if jobs < 1:
        raise EvalError(f"--jobs must be at least 1, got {jobs}")
    return jobs, max(1, cores // jobs)


def _scratch_pair():
    """This thread's two reusable PNG decode buffers (ground truth, prediction)."""
    buffers = getattr(_thread_scratch, "buffers", None)
    if buffers is None:
        buffers = _thread_scratch.buffers = (Scratch(), Scratch())
    return buffers


def read_pair(pair, options):
    """Decode one pair and check that the sizes agree.

    PNGs are decoded into this thread's reusable buffers: the arrays are valid until the
    thread's next call.
    """
    truth_scratch, pred_scratch = _scratch_pair()
    truth = read_label_map(pair.gt, options.colour_map, truth_scratch)
    pred = read_label_map(pair.pred, options.colour_map, pred_scratch)
    if truth.shape != pred.shape:
        raise EvalError(f"the prediction {pair.pred} has shape {pred.shape} but its ground truth "
                        f"{pair.gt} has shape {truth.shape}; they must be equal",
                        EXIT_SIZE_MISMATCH)
    return truth, pred


def _map_truth(values, options):
    if options.label_map is not None:
        values = apply_label_map(values, options.label_map)
    return reduce_zero_label(values) if options.reduce_zero_label else values


def _map_pred(values, options):
    return values if options.pred_label_map is None else apply_label_map(values, options.pred_label_map)


GT_HINT = "add it to --ignore-index, map it with --label-map, or raise --num-classes"
PRED_HINT = "map it with --pred-label-map or raise --num-classes"


def _range_error(path, values, count, num_classes, hint):
    shown = ", ".join(str(v) for v in values[:10].tolist()) + (" ..." if values.size > 10 else "")
    return EvalError(f"{path} has {count} pixel(s) with label(s) outside [0, {num_classes}): "
                     f"{shown} ({hint})", EXIT_OUT_OF_RANGE)


def _out_of_range_error(pair, truth, pred, options):
    """Name the file and the offending values (only run once something was out of range)."""
    num_classes = options.num_classes
    kept = ~np.isin(truth, options.ignore_index)
    bad_truth = kept & ((truth < 0) | (truth >= num_classes))
    if bad_truth.any():
        return _range_error(pair.gt, np.unique(truth[bad_truth]), int(bad_truth.sum()), num_classes,
                            GT_HINT)
    bad_pred = kept & ((pred < 0) | (pred >= num_classes))
    return _range_error(pair.pred, np.unique(pred[bad_pred]), int(bad_pred.sum()), num_classes,
                        PRED_HINT)


def _byte_classes(options):
    """What each of the 256 one-byte values counts as under the label maps and ignore values
    of `options` (:func:`fastiou._byte_classes.byte_classes`). Computed once per `options`
    and thread."""
    cached = getattr(_thread_scratch, "byte_classes", None)
    if cached is None or cached[0] is not options:
        every_value = np.arange(256)
        classes = byte_classes(_map_truth(every_value, options), _map_pred(every_value, options),
                               options.ignore_index, options.num_classes)
        cached = _thread_scratch.byte_classes = (options, classes)
    return cached[1]


def _checked(pair, counts, options, decoded=None):
    """The matrix of `counts`, or the :class:`EvalError` naming the file and the values out
    of range, found in the `decoded` ``(truth, pred)`` label maps or else by decoding the
    pair again (only once something was out of range)."""
    if counts.n_bad_true or counts.n_bad_pred:
        truth, pred = read_pair(pair, options) if decoded is None else decoded
        raise _out_of_range_error(pair, _map_truth(truth, options), _map_pred(pred, options),
                                  options)
    return counts.matrix


def _count_raw_values(count):
    """The (V, V) matrix of the pairs of raw uint8 values, V above every value present.

    ``count(V)`` counts the pair into a (V, V) matrix (a :class:`fastiou._core.Counts`,
    pairs with a value >= V counted apart). V is the largest V this thread needed so far
    when every value of the pair lies below it, else one more than the pair's largest
    value: folding a small matrix costs half as much as a 256x256 one, and the full
    256x256 count is only made when a pair brings a new value.
    """
    known = getattr(_thread_scratch, "n_values", 0)
    if known:
        counts = count(known)
        if not (counts.n_bad_true or counts.n_bad_pred):
            return counts.matrix
    counts = count(256)
    rows, cols = np.nonzero(counts.matrix)
    n_values = max(int(max(rows.max(initial=0), cols.max(initial=0))) + 1, known)
    _thread_scratch.n_values = n_values
    return np.ascontiguousarray(counts.matrix[:n_values, :n_values])


def _count_folded(pair, truth, pred, options, n_threads):
    """The (C, C) matrix of two decoded uint8 label maps: the pairs of raw values counted,
    then mapped to classes (:func:`fastiou._byte_classes.fold_value_counts`), exact and equal to
    mapping every pixel first at the cost of mapping V <= 256 values (a table lookup per
    pixel costs as much as decoding the PNG)."""
    def count(n_values):
        return count_pairs(truth, pred, n_values, n_threads=n_threads, out_of_range="ignore")

    counts = fold_value_counts(_count_raw_values(count), _byte_classes(options))
    return _checked(pair, counts, options, (truth, pred))


def _png_pair(pair):
    """The headers and compressed data of both files of `pair` (:func:`fastiou._png.parse_png`)
    when both are 8-bit, non-interlaced PNGs of one size that fastiou's decoder reads (what
    :func:`fastiou._byte_classes.count_png_pair` counts); else None, and :func:`read_pair`
    decodes them (and says what is wrong, if anything is)."""
    if not (pair.gt.lower().endswith(".png") and pair.pred.lower().endswith(".png")):
        return None
    try:
        truth, pred = parse_png(pair.gt), parse_png(pair.pred)
    except (PngError, OSError):
        return None
    same_size = (truth.height, truth.width) == (pred.height, pred.width)
    return (truth, pred) if truth.one_byte_rows and pred.one_byte_rows and same_size else None


def _count_png_pair(pair, truth, pred, options):
    """The (C, C) matrix of an 8-bit PNG pair (:func:`_png_pair`), each value mapped to its
    class, decoded and counted a few rows at a time on one thread
    (:func:`fastiou._byte_classes.count_png_pair`); None when its data is corrupt.
    """
    counts = count_png_pair(truth, pred, _byte_classes(options), (pair.gt, pair.pred),
                            _scratch_pair())
    return None if counts is None else _checked(pair, counts, options)


def count_pair(pair, options, n_threads=1):
    """Decode and count one pair: an int64 ``(C, C)`` matrix (raises :class:`EvalError`).

    Two 8-bit PNGs are decoded and counted together, a few rows at a time, on one thread
    (counting a whole decoded pair afterwards would read it back from memory); other
    pairs are decoded, then counted on `n_threads` threads.
    """
    pngs = _png_pair(pair)
    if pngs is not None:
        matrix = _count_png_pair(pair, *pngs, options)
        if matrix is not None:
            return ImageResult(matrix, pngs[0].height * pngs[0].width)
    truth, pred = read_pair(pair, options)
    if truth.dtype == pred.dtype == np.uint8:
        return ImageResult(_count_folded(pair, truth, pred, options, n_threads), int(truth.size))
    counts = count_pairs(_map_truth(truth, options), _map_pred(pred, options), options.num_classes,
                         ignore_index=list(options.ignore_index), n_threads=n_threads,
                         out_of_range="ignore")
    return ImageResult(_checked(pair, counts, options, (truth, pred)), int(truth.size))


def as_accumulator(matrix, options):
    """A :class:`fastiou.ConfusionMatrix` holding `matrix` (for its metrics)."""
    return ConfusionMatrix(options.num_classes, ignore_index=list(options.ignore_index),
                           out_of_range="ignore").add_counts(matrix)


def new_total(options):
    return np.zeros((options.num_classes, options.num_classes), dtype=np.int64)


def iter_counts(pairs, options, jobs, kernel_threads):
    """Yield ``(pair, ImageResult)`` in input order; at most ``2 * jobs`` pairs in flight."""
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="fastiou-eval")
    window = deque()
    try:
        for pair in pairs:
            window.append((pair, pool.submit(count_pair, pair, options, kernel_threads)))
            if len(window) >= 2 * jobs:
                done_pair, future = window.popleft()
                yield done_pair, future.result()
        while window:
            done_pair, future = window.popleft()
            yield done_pair, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def check_missing(pairing, on_missing):
    """Apply ``--on-missing``: raise naming the unmatched files (and the files left out for
    their extension or suffix, which may explain them), or warn and go on; returns the number
    of unmatched files skipped."""
    gt_only, pred_only = pairing.gt_only, pairing.pred_only
    if not gt_only and not pred_only:
        return 0
    parts = []
    if gt_only:
        parts.append(f"{counted(len(gt_only), 'ground-truth file')} "
                     f"{'has' if len(gt_only) == 1 else 'have'} no prediction: {listed(gt_only)}")
    if pred_only:
        parts.append(f"{counted(len(pred_only), 'prediction')} "
                     f"{'has' if len(pred_only) == 1 else 'have'} no ground truth: "
                     f"{listed(pred_only)}")
    left_out = describe_left_out(pairing.left_out)
    if left_out:
        parts.append(left_out)
    if on_missing == "error" or not pairing.pairs:
        hint = (f"--on-missing skip evaluates the {counted(len(pairing.pairs), 'matched pair')}"
                if pairing.pairs else "no pair matched: check --gt-suffix and --pred-suffix")
        raise EvalError("; ".join(parts + [hint]), EXIT_MISSING)
    skipped = len(gt_only) + len(pred_only)
    print(f"fastiou eval: skipping {counted(skipped, 'unpaired file')}: " + "; ".join(parts),
          file=sys.stderr)
    return skipped


def per_image_header(metric_names, class_names):
    per_class = [m for m in metric_names if m in PER_CLASS_METRICS]
    overall = [m for m in metric_names if m in OVERALL_METRICS]
    columns = ["image", "gt", "pred", "pixels", "counted"]
    columns += [f"mean_{m}" for m in per_class] + overall
    columns += [f"{m}:{name}" for m in per_class for name in class_names]
    return columns


def per_image_row(pair, result, metric_names, options):
    """One CSV row of per-image scores (full-precision floats, ``nan`` for 0 / 0)."""
    scores = as_accumulator(result.matrix, options).compute()
    per_class = [m for m in metric_names if m in PER_CLASS_METRICS]
    overall = [m for m in metric_names if m in OVERALL_METRICS]
    row = [pair.name, pair.gt, pair.pred, result.pixels, int(result.matrix.sum())]
    row += [_mean(getattr(scores, PER_CLASS_METRICS[m][1])) for m in per_class]
    row += [getattr(scores, OVERALL_METRICS[m][1]) for m in overall]
    for m in per_class:
        row += getattr(scores, PER_CLASS_METRICS[m][1]).tolist()
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
                 threads, elapsed):
    """The result as plain Python values: the documented JSON schema ``fastiou.eval/1``."""
    scores = total.compute()
    matrix = total.matrix
    per_class = [m for m in metric_names if m in PER_CLASS_METRICS]
    overall = [m for m in metric_names if m in OVERALL_METRICS]
    support = scores.support.tolist()
    predicted = matrix.sum(axis=0).tolist()
    classes = []
    for index, name in enumerate(class_names):
        entry = {"id": index, "name": name}
        for m in per_class:
            entry[m] = _plain(getattr(scores, PER_CLASS_METRICS[m][1])[index])
        entry["gt_pixels"] = support[index]
        entry["pred_pixels"] = predicted[index]
        classes.append(entry)
    counted = int(matrix.sum())
    return {
        "schema": SCHEMA,
        "fastiou_version": __version__,
        "num_classes": options.num_classes,
        "ignore_index": list(options.ignore_index),
        "metrics": list(metric_names),
        "classes": classes,
        "mean": {m: _plain(_mean(getattr(scores, PER_CLASS_METRICS[m][1]))) for m in per_class},
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


def evaluate_local(pairs, options, *, jobs=None, per_image_writer=None, metric_names=(),
                   progress=None):
    """Count every pair in this process; returns ``(total, n_pixels, threads)``."""
    jobs, kernel_threads = thread_budget(jobs)
    total = new_total(options)
    n_pixels = 0
    for pair, result in iter_counts(pairs, options, jobs, kernel_threads):
        total += result.matrix
        n_pixels += result.pixels
        if per_image_writer is not None:
            per_image_writer.writerow(per_image_row(pair, result, metric_names, options))
        if progress is not None:
            progress.update(1)
    threads = {"cores": available_cpus(), "decode_threads": jobs, "kernel_threads": kernel_threads,
               "dask_scheduler": None}
    return as_accumulator(total, options), n_pixels, threads
