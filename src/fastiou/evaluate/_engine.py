"""The counting engine of ``fastiou eval`` and ``fastiou.dask``: decode label-map pairs and
count each into an exact int64 confusion matrix, streamed through a thread pool (the report
built from the total is :mod:`fastiou.evaluate._report`'s).

Each task decodes one pair (fastiou's PNG decoder, Pillow and the counting kernel all release
the GIL) and counts it into its own int64 matrix; the main thread adds them up in order. At most
``2 * jobs`` pairs are in flight, so memory does not grow with the number of images.
"""

import threading
from collections import deque
from concurrent.futures import ThreadPoolExecutor
from typing import NamedTuple

import numpy as np

from fastiou._shared._threads import available_cpus
from fastiou.evaluate._io import (
    EXIT_OUT_OF_RANGE,
    EXIT_SIZE_MISMATCH,
    EvalError,
    apply_label_map,
    read_label_map,
    reduce_zero_label,
)
from fastiou.evaluate._byte_classes import byte_classes, count_png_pair, fold_value_counts
from fastiou.evaluate._png import PngError, Scratch, parse_png
from fastiou.segmentation._accumulator import ConfusionMatrix
from fastiou.segmentation._core import count_pairs
from fastiou.segmentation.bfscore import contour_counts
from fastiou.segmentation.boundary import boundary_counts

_thread_scratch = threading.local()


class EvalOptions(NamedTuple):
    """How every pair is read and counted (picklable: Dask workers receive it).

    `out_of_range` is the policy for a label outside ``[0, num_classes)`` once mapped, as
    in :func:`fastiou.confusion_matrix`. The ``cityscapes`` preset's default
    (:func:`fastiou.dask.make_options`) adds cityscapesScripts' rules to ``"raise"``: a
    prediction whose raw value is in `void` is a miss of the true class; a raw prediction
    the `pred_label_map` does not list (when `void` is given) and a raw ground truth the
    `label_map` does not list (when `closed`) are out of range.
    """

    num_classes: int
    ignore_index: tuple = ()
    label_map: object = None
    pred_label_map: object = None
    reduce_zero_label: bool = False
    colour_map: object = None
    out_of_range: str = "raise"
    void: tuple = ()
    closed: bool = False
    boundary: bool = False  # also count Boundary IoU bands (--metrics biou)
    bf: bool = False  # also count the BF score's contours (--metrics bf)


class ImageResult(NamedTuple):
    """One pair's counts: its int64 (C, C) matrix, how many pixels it had, its
    predictions counted as misses (out of range), per true class: int64 (C,), with
    ``options.boundary`` its Boundary IoU counts: int64 (3, C) (|Gb ∩ Pb|, |Gb|, |Pb|),
    and with ``options.bf`` its BF score contour counts: int64 (4, C) (true contour
    pixels, matched, predicted contour pixels, matched)."""

    matrix: np.ndarray
    pixels: int
    miss: np.ndarray
    boundary: object = None
    bf: object = None


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


GT_HINT = ("add it to --ignore-index, map it with --label-map, or raise --num-classes; "
           "--out-of-range ignore leaves such pixels out")
PRED_HINT = ("map it with --pred-label-map or raise --num-classes; --out-of-range miss counts "
             "it as a false negative of the true class, ignore leaves the pixel out")
VOID_HINT = ("cityscapesScripts stops on such a prediction too; --out-of-range miss counts it "
             "as a false negative of the true class, ignore leaves the pixel out")
CLOSED_HINT = ("cityscapesScripts stops on an id it does not know too: label-id images "
               "(*_labelIds.png) hold -1..33, and train-id images need no --label-map; "
               "--out-of-range ignore leaves such pixels out")


def _range_error(path, values, count, what, hint):
    shown = ", ".join(str(v) for v in values[:10].tolist()) + (" ..." if values.size > 10 else "")
    return EvalError(f"{path} has {count} pixel(s) with {what}: {shown} ({hint})",
                     EXIT_OUT_OF_RANGE)


def _unknown_truth(truth, options):
    """Where raw `truth` holds a value its closed label map does not list."""
    return ~np.isin(truth, options.label_map.source) if options.closed else \
        np.zeros(truth.shape, dtype=bool)


def _bad_predictions(truth, pred, mapped_pred, options):
    """Where a pixel of mapped `truth` is counted and its prediction is out of range. With
    `void` values, where the raw `pred` is not void and maps out of range, and anywhere a raw
    `pred` is not listed (cityscapesScripts stops on it whatever the ground truth)."""
    num_classes = options.num_classes
    counted = ~np.isin(truth, options.ignore_index) & (truth >= 0) & (truth < num_classes)
    bad = counted & ((mapped_pred < 0) | (mapped_pred >= num_classes))
    if options.void:
        bad = (bad & ~np.isin(pred, options.void)) | ~np.isin(pred, options.pred_label_map.source)
    return bad


def _out_of_range_error(pair, truth, pred, options):
    """Name the file and the offending values of the decoded pair (only run once something
    was out of range under ``out_of_range="raise"``)."""
    num_classes = options.num_classes
    mapped_truth, mapped_pred = _map_truth(truth, options), _map_pred(pred, options)
    unknown = _unknown_truth(truth, options)
    if unknown.any():
        return _range_error(pair.gt, np.unique(truth[unknown]), int(unknown.sum()),
                            "value(s) that --label-map does not list", CLOSED_HINT)
    kept = ~np.isin(mapped_truth, options.ignore_index)
    bad_truth = kept & ((mapped_truth < 0) | (mapped_truth >= num_classes))
    if bad_truth.any():
        return _range_error(pair.gt, np.unique(mapped_truth[bad_truth]), int(bad_truth.sum()),
                            f"label(s) outside [0, {num_classes})", GT_HINT)
    bad_pred = _bad_predictions(mapped_truth, pred, mapped_pred, options)
    if options.void:
        return _range_error(pair.pred, np.unique(pred[bad_pred]), int(bad_pred.sum()),
                            f"value(s) that --pred-label-map maps to no class in "
                            f"[0, {num_classes}) and does not declare void", VOID_HINT)
    return _range_error(pair.pred, np.unique(mapped_pred[bad_pred]), int(bad_pred.sum()),
                        f"label(s) outside [0, {num_classes})", PRED_HINT)


def _tells_void_apart(options):
    """Whether void predictions must be told from the other out-of-range ones (the
    cityscapes preset under ``out_of_range="raise"``): the former are misses, the latter
    errors (:func:`_checked`)."""
    return bool(options.void) and options.out_of_range == "raise"


def _byte_classes(options):
    """What each of the 256 one-byte values counts as under the label maps, ignore values
    and void rules of `options` (:func:`fastiou.evaluate._byte_classes.byte_classes`).
    Computed once per `options` and thread."""
    cached = getattr(_thread_scratch, "byte_classes", None)
    if cached is None or cached[0] is not options:
        every_value = np.arange(256)
        truth = _map_truth(every_value, options)
        pred = np.asarray(_map_pred(every_value, options), dtype=np.int64)
        pred_apart = None
        if _tells_void_apart(options):
            out_of_range = (pred < 0) | (pred >= options.num_classes)
            unknown = ~np.isin(every_value, options.pred_label_map.source)
            pred_apart = (out_of_range & ~np.isin(every_value, options.void)) | unknown
        classes = byte_classes(truth, pred, options.ignore_index, options.num_classes,
                               unknown_truth=_unknown_truth(every_value, options),
                               pred_apart=pred_apart)
        cached = _thread_scratch.byte_classes = (options, classes)
    return cached[1]


def _checked(pair, counts, options, decoded=None):
    """``(matrix, miss)`` of `counts` under the out-of-range policy of `options`, or the
    :class:`EvalError` naming the file and the values out of range, found in the `decoded`
    ``(truth, pred)`` label maps or else by decoding the pair again (only once something was
    out of range). `counts` of C + 1 classes (:func:`_tells_void_apart`) hold in column C the
    out-of-range predictions that are not void (row C: on ignored pixels); their `miss`
    holds the void ones."""
    num_classes = options.num_classes
    matrix, miss, n_bad_true, n_bad_pred = counts
    if matrix.shape[0] > num_classes:
        n_bad_pred = int(matrix[:, num_classes].sum())
        matrix, miss = matrix[:num_classes, :num_classes], miss[:num_classes]
    if options.out_of_range == "raise" and (n_bad_true or n_bad_pred):
        truth, pred = read_pair(pair, options) if decoded is None else decoded
        raise _out_of_range_error(pair, truth, pred, options)
    if options.out_of_range == "ignore":
        miss = np.zeros_like(miss)
    return np.ascontiguousarray(matrix), np.ascontiguousarray(miss)


def _count_raw_values(count):
    """The (V, V) matrix of the pairs of raw uint8 values, V above every value present.

    ``count(V)`` counts the pair into a (V, V) matrix (a :class:`fastiou.segmentation._core.Counts`,
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
    """``(matrix, miss)`` of two decoded uint8 label maps: the pairs of raw values counted,
    then mapped to classes (:func:`fastiou.evaluate._byte_classes.fold_value_counts`), exact and equal to
    mapping every pixel first at the cost of mapping V <= 256 values (a table lookup per
    pixel costs as much as decoding the PNG)."""
    def count(n_values):
        return count_pairs(truth, pred, n_values, n_threads=n_threads, out_of_range="ignore")

    counts = fold_value_counts(_count_raw_values(count), _byte_classes(options))
    return _checked(pair, counts, options, (truth, pred))


def _png_pair(pair):
    """The headers and compressed data of both files of `pair` (:func:`fastiou.evaluate._png.parse_png`)
    when both are 8-bit, non-interlaced PNGs of one size that fastiou's decoder reads (what
    :func:`fastiou.evaluate._byte_classes.count_png_pair` counts); else None, and :func:`read_pair`
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
    """``(matrix, miss)`` of an 8-bit PNG pair (:func:`_png_pair`), each value mapped to its
    class, decoded and counted a few rows at a time on one thread
    (:func:`fastiou.evaluate._byte_classes.count_png_pair`); None when its data is corrupt.
    """
    counts = count_png_pair(truth, pred, _byte_classes(options), (pair.gt, pair.pred),
                            _scratch_pair())
    return None if counts is None else _checked(pair, counts, options)


def _boundary_counts(pair, options, n_threads):
    """``(band counts, contour counts)`` of a pair whose region counts passed
    :func:`_checked`: the (3, C) Boundary IoU counts with ``options.boundary`` and the (4, C)
    BF score counts with ``options.bf`` (else None). The mapped label maps go to
    :func:`fastiou.segmentation.boundary.boundary_counts` and
    :func:`fastiou.segmentation.bfscore.contour_counts`, which prepare the kernels' input.
    Out-of-range labels were already dealt with by the region count's policy; here such
    pixels are left out, except that a bad (or void) prediction still counts in the truth
    band (the true contour) under ``miss`` or the void rules, as it counts as a false
    negative there."""
    truth, pred = read_pair(pair, options)
    truth, pred = _map_truth(truth, options), _map_pred(pred, options)
    miss = options.out_of_range == "miss" or bool(options.void)
    policy = {"ignore_index": list(options.ignore_index) or None, "n_threads": n_threads,
              "out_of_range": "miss" if miss else "ignore"}
    bands = contours = None
    if options.boundary:
        bands = np.stack(boundary_counts(truth, pred, options.num_classes, **policy)[:3])
    if options.bf:
        contours = contour_counts(truth, pred, options.num_classes, **policy).per_image[0]
    return bands, contours


def count_pair(pair, options, n_threads=1):
    """Decode and count one pair: an :class:`ImageResult` (raises :class:`EvalError`).

    Two 8-bit PNGs are decoded and counted together, a few rows at a time, on one thread
    (counting a whole decoded pair afterwards would read it back from memory); other
    pairs are decoded, then counted on `n_threads` threads. With ``options.boundary`` /
    ``options.bf`` the Boundary IoU / BF score counts are added (the PNG pair decoded whole
    for them).
    """
    result = _count_pair(pair, options, n_threads)
    if options.boundary or options.bf:
        bands, contours = _boundary_counts(pair, options, n_threads)
        result = result._replace(boundary=bands, bf=contours)
    return result


def _count_pair(pair, options, n_threads):
    pngs = _png_pair(pair)
    if pngs is not None:
        counted = _count_png_pair(pair, *pngs, options)
        if counted is not None:
            return ImageResult(counted[0], pngs[0].height * pngs[0].width, counted[1])
    truth, pred = read_pair(pair, options)
    if truth.dtype == pred.dtype == np.uint8:
        matrix, miss = _count_folded(pair, truth, pred, options, n_threads)
        return ImageResult(matrix, int(truth.size), miss)
    mapped_truth, mapped_pred = _map_truth(truth, options), _map_pred(pred, options)
    counts = count_pairs(mapped_truth, mapped_pred, options.num_classes,
                         ignore_index=list(options.ignore_index), n_threads=n_threads,
                         out_of_range="ignore")
    if options.void:  # only the predictions that are not void (or not listed) are bad
        bad = _bad_predictions(mapped_truth, pred, mapped_pred, options)
        counts = counts._replace(n_bad_pred=int(np.count_nonzero(bad)))
    if options.closed:
        unknown = int(np.count_nonzero(_unknown_truth(truth, options)))
        counts = counts._replace(n_bad_true=counts.n_bad_true + unknown)
    matrix, miss = _checked(pair, counts, options, (truth, pred))
    return ImageResult(matrix, int(truth.size), miss)


def as_accumulator(matrix, options, miss=None):
    """A :class:`fastiou.ConfusionMatrix` holding `matrix` and the `miss` counts, which its
    metrics count as false negatives (for its metrics)."""
    return ConfusionMatrix(options.num_classes, ignore_index=list(options.ignore_index),
                           out_of_range="miss").add_counts(matrix, miss)


def new_total(options):
    return np.zeros((options.num_classes, options.num_classes), dtype=np.int64)


def new_boundary_total(options):
    """Zero Boundary IoU counts, int64 (3, C): |Gb ∩ Pb|, |Gb|, |Pb| per class."""
    return np.zeros((3, options.num_classes), dtype=np.int64)


def new_miss(options):
    return np.zeros(options.num_classes, dtype=np.int64)


def iter_counts(pairs, options, jobs, kernel_threads):
    """Yield ``(pair, ImageResult)`` in input order; at most ``2 * jobs`` pairs in flight."""
    return map_in_order(lambda pair: count_pair(pair, options, kernel_threads), pairs, jobs)


def map_in_order(function, items, jobs):
    """Yield ``(item, function(item))`` in input order, computed on `jobs` threads with at
    most ``2 * jobs`` items in flight; an exception surfaces when its item's turn comes."""
    pool = ThreadPoolExecutor(max_workers=jobs, thread_name_prefix="fastiou-eval")
    window = deque()
    try:
        for item in items:
            window.append((item, pool.submit(function, item)))
            if len(window) >= 2 * jobs:
                done_item, future = window.popleft()
                yield done_item, future.result()
        while window:
            done_item, future = window.popleft()
            yield done_item, future.result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


def evaluate_local(pairs, options, *, jobs=None, on_result=None):
    """Count every pair in this process; returns ``(total, n_pixels, threads)``, `total` a
    :class:`fastiou.ConfusionMatrix`. ``on_result(pair, result)`` is called with each pair's
    :class:`ImageResult`, in input order (``fastiou eval`` writes its per-image row there)."""
    jobs, kernel_threads = thread_budget(jobs)
    total, missed = new_total(options), new_miss(options)
    n_pixels = 0
    for pair, result in iter_counts(pairs, options, jobs, kernel_threads):
        total += result.matrix
        missed += result.miss
        n_pixels += result.pixels
        if on_result is not None:
            on_result(pair, result)
    threads = {"cores": available_cpus(), "decode_threads": jobs, "kernel_threads": kernel_threads,
               "dask_scheduler": None}
    return as_accumulator(total, options, missed), n_pixels, threads
