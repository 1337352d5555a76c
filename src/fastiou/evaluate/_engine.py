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
from fastiou.evaluate._png import PngError, Scratch, inflate_png, parse_png, streaming_inflater
from fastiou.segmentation._accumulator import ConfusionMatrix
from fastiou.segmentation._confusion import count_png_pairs, fold_counts
from fastiou.segmentation._core import Counts, count_pairs

_thread_scratch = threading.local()


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
    """The class of each of the 256 one-byte values as ground truth and as prediction,
    under the label maps and ignore values of `options`, as the kernels take them
    (:func:`fastiou.segmentation._confusion.fold_counts`): -1 for an ignored truth, a value outside
    [0, C) when out of range. Computed once per `options` and thread."""
    cached = getattr(_thread_scratch, "byte_classes", None)
    if cached is None or cached[0] is not options:
        every_value = np.arange(256)
        truth = np.asarray(_map_truth(every_value, options), dtype=np.int64)
        pred = np.asarray(_map_pred(every_value, options), dtype=np.int64)
        num_classes = options.num_classes
        truth_classes = np.where((truth >= 0) & (truth < num_classes), truth, num_classes)
        truth_classes[np.isin(truth, options.ignore_index)] = -1
        pred_classes = np.where((pred >= 0) & (pred < num_classes), pred, -1)
        cached = _thread_scratch.byte_classes = (options, (truth_classes, pred_classes))
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
    """The (C, C) matrix of two decoded uint8 label maps: the pairs of raw values counted,
    then mapped to classes (:func:`fastiou.segmentation._confusion.fold_counts`), exact and equal to
    mapping every pixel first at the cost of mapping V <= 256 values (a table lookup per
    pixel costs as much as decoding the PNG)."""
    def count(n_values):
        return count_pairs(truth, pred, n_values, n_threads=n_threads, out_of_range="ignore")

    counts = fold_counts(_count_raw_values(count), *_byte_classes(options), options.num_classes)
    return _checked(pair, Counts(*counts), options, (truth, pred))


def _png_pair(pair):
    """The headers and compressed data of both files of `pair`
    (:func:`fastiou.evaluate._png.parse_png`) when both are 8-bit, non-interlaced PNGs of one
    size that fastiou's decoder reads (what :func:`fastiou.segmentation._confusion.count_png_pairs`
    counts); else None, and :func:`read_pair` decodes them (and says what is wrong, if anything
    is)."""
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
    (:func:`fastiou.segmentation._confusion.count_png_pairs`); None when its data is corrupt.

    With zlib-ng (:func:`fastiou.evaluate._png.streaming_inflater`) the images are inflated a few
    rows at a time too, so that the pair never leaves the cache; else both are inflated
    first (libdeflate or zlib, :func:`fastiou.evaluate._png.inflate_png`).
    """
    streaming = streaming_inflater()
    if max(len(truth.data), len(pred.data)) >= 1 << 32:  # more than a zlib stream's counters hold
        streaming = None
    if streaming is None:
        truth_scratch, pred_scratch = _scratch_pair()
        try:
            truth = inflate_png(truth, pair.gt, truth_scratch)
            pred = inflate_png(pred, pair.pred, pred_scratch)
        except PngError:
            return None
    counts = count_png_pairs(truth.data, pred.data, truth.height, truth.width,
                             *_byte_classes(options), options.num_classes, streaming)
    return None if counts is None else _checked(pair, Counts(*counts), options)


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
