"""Boundary IoU counts of two label maps: every class's inner boundary band in one pass.

Private: ``fastiou.segmentation.boundary`` validates and converts the maps and calls
:func:`band_counts` with two C-contiguous (N, H, W) arrays of one integer dtype. The bands
are found for all labels at once by the run-length scan of ``fastiou._shared._bands``
(O(pixels), independent of the number of classes and of the band depth); then each pixel
adds to the per-class counts |Gb ∩ Pb|, |Gb| and |Pb|. Images are cut into blocks of rows
(a block re-scans `depth` rows above it), the blocks are shared out among the threads, and
each thread adds into its own padded rows of counts, summed afterwards: exact integers, so
the result never depends on the thread count. A label outside [0, C) is counted apart,
never used as an index.
"""

from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t

import numpy as np

from fastiou._shared._bands cimport has_interior, next_change, scan_row
from fastiou._shared._fused cimport label_t
from fastiou._shared._openmp cimport omp_get_thread_num
from fastiou.segmentation._counting cimport LINE, is_ignored, padded

# bad-label counters in a thread's row of `bad`: truth outside [0, C), prediction outside
cdef enum:
    BAD_TRUE = 0
    BAD_PRED = 1


cdef inline void book_segment(label_t t, label_t p, bint in_true, bint in_pred, int64_t n,
                              uint64_t n_classes, const label_t* ignore, Py_ssize_t n_ignore,
                              bint truth_on_bad_pred, int64_t* inter, int64_t* true_band,
                              int64_t* pred_band, int64_t* bad) noexcept nogil:
    """Add `n` pixels of truth `t`, prediction `p` and band membership (in_true, in_pred)."""
    if n_ignore and is_ignored(t, ignore, n_ignore):
        return
    if <uint64_t>t >= n_classes:
        bad[BAD_TRUE] += n
        return
    if <uint64_t>p >= n_classes:
        bad[BAD_PRED] += n
        if truth_on_bad_pred and in_true:
            true_band[<uint64_t>t] += n
        return
    if in_true:
        true_band[<uint64_t>t] += n
        if in_pred and t == p:
            inter[<uint64_t>t] += n
    if in_pred:
        pred_band[<uint64_t>p] += n


cdef void count_row(const label_t* truth, const label_t* pred, const int32_t* true_runs,
                    const int32_t* pred_runs, int32_t full_run, Py_ssize_t width,
                    uint64_t n_classes, const label_t* ignore, Py_ssize_t n_ignore,
                    bint truth_on_bad_pred, uint8_t* flags, uint8_t* changed, int64_t* inter,
                    int64_t* true_band, int64_t* pred_band, int64_t* bad) noexcept nogil:
    """Add one row's pixels, a segment of equal (truth, prediction, band membership) at a
    time (labels come in long runs: one counter update per segment, not per pixel);
    `true_runs`/`pred_runs` NULL: the whole row is band. `flags` and `changed` are scratch
    of `width` bytes."""
    cdef Py_ssize_t x, stop
    if true_runs == NULL:
        for x in range(width):
            flags[x] = 3
    else:
        for x in range(width):  # branch-free: vectorised
            flags[x] = (true_runs[x] != full_run) | ((pred_runs[x] != full_run) << 1)
    for x in range(1, width):
        changed[x] = (truth[x] != truth[x - 1]) | (pred[x] != pred[x - 1]) | (flags[x] != flags[x - 1])
    x = 0
    while x < width:
        stop = next_change(changed, x, width)
        book_segment(truth[x], pred[x], flags[x] & 1, flags[x] >> 1, stop - x, n_classes,
                     ignore, n_ignore, truth_on_bad_pred, inter, true_band, pred_band, bad)
        x = stop


cdef void count_block(const label_t* truth, const label_t* pred, Py_ssize_t height,
                      Py_ssize_t width, Py_ssize_t depth, Py_ssize_t r0, Py_ssize_t r1,
                      uint64_t n_classes, const label_t* ignore, Py_ssize_t n_ignore,
                      bint truth_on_bad_pred, uint8_t* marked, uint8_t* changed,
                      uint8_t* flags, int32_t* true_runs,
                      int32_t* pred_runs, int64_t* counts, Py_ssize_t stride,
                      int64_t* bad) noexcept nogil:
    """Count rows [r0, r1) of one image into counts[0:C] (inter), [stride:] (truth band),
    [2 stride:] (prediction band)."""
    cdef Py_ssize_t y, r, first = r0 - depth if r0 > depth else 0
    cdef Py_ssize_t stop = r1 + depth if r1 + depth < height else height
    cdef Py_ssize_t band_from = r0
    cdef int32_t full_run = <int32_t>(2 * depth + 1)
    if has_interior(height, width, depth):
        for y in range(first, stop):
            scan_row(truth, width, depth, y, first, marked, changed, true_runs)
            scan_row(pred, width, depth, y, first, marked, changed, pred_runs)
            r = y - depth
            if r >= r0:
                count_row(truth + r * width, pred + r * width, true_runs, pred_runs, full_run,
                          width, n_classes, ignore, n_ignore, truth_on_bad_pred, flags, changed,
                          counts, counts + stride, counts + 2 * stride, bad)
        band_from = stop - depth if stop - depth > r0 else r0
    for r in range(band_from, r1):  # rows whose window leaves the image: all band
        count_row(truth + r * width, pred + r * width, NULL, NULL, full_run, width, n_classes,
                  ignore, n_ignore, truth_on_bad_pred, flags, changed, counts, counts + stride,
                  counts + 2 * stride, bad)


def band_counts(const label_t[:, :, ::1] truth, const label_t[:, :, ::1] pred,
                Py_ssize_t num_classes, const label_t[::1] ignore, Py_ssize_t depth,
                Py_ssize_t block_rows, bint truth_on_bad_pred, int n_threads):
    """Return (inter, true_band, pred_band, n_bad_true, n_bad_pred): three int64 arrays of
    shape (C,) summed over the images, and the numbers of counted pixels whose truth (not
    ignored) or prediction (with a valid truth) lies outside [0, C). Such pixels add
    nothing, except the truth band of a bad prediction's pixel when `truth_on_bad_pred`.
    Images are split into blocks of `block_rows` rows, the units of work of the threads."""
    cdef Py_ssize_t n_images = truth.shape[0], height = truth.shape[1], width = truth.shape[2]
    cdef Py_ssize_t n_blocks = (height + block_rows - 1) // block_rows if block_rows > 0 else 0
    cdef Py_ssize_t n_tasks = n_images * n_blocks
    cdef Py_ssize_t stride = padded(num_classes)
    cdef Py_ssize_t n_ignore = ignore.shape[0]
    cdef Py_ssize_t task, image, r0, r1, tid
    cdef const label_t* ignore_ptr = &ignore[0] if n_ignore else NULL
    if n_threads > n_tasks:
        n_threads = max(1, n_tasks)
    counts, bad, marked, runs = scratch_arrays(n_threads, stride, width)
    cdef int64_t[:, ::1] counts_v = counts
    cdef int64_t[:, ::1] bad_v = bad
    cdef uint8_t[:, :, ::1] marked_v = marked
    cdef int32_t[:, :, ::1] runs_v = runs
    if n_tasks and width:
        for task in prange(n_tasks, nogil=True, num_threads=n_threads, schedule="dynamic"):
            tid = omp_get_thread_num()
            image = task // n_blocks
            r0 = (task % n_blocks) * block_rows
            r1 = r0 + block_rows if r0 + block_rows < height else height
            count_block(&truth[image, 0, 0], &pred[image, 0, 0], height, width, depth, r0, r1,
                        <uint64_t>num_classes, ignore_ptr, n_ignore, truth_on_bad_pred,
                        &marked_v[tid, 0, 0], &marked_v[tid, 1, 0], &marked_v[tid, 2, 0],
                        &runs_v[tid, 0, 0], &runs_v[tid, 1, 0],
                        &counts_v[tid, 0], stride, &bad_v[tid, 0])
    return summed_result(counts, bad, stride, num_classes)


# The NumPy work of band_counts, outside it: code in a fused function is compiled once per
# label dtype (8 times), these once

cdef tuple scratch_arrays(Py_ssize_t n_threads, Py_ssize_t stride, Py_ssize_t width):
    """(counts, bad, marked, runs): per-thread count rows and bad-label counters, and row
    scratch (marked, changed, flags; the truth's and the prediction's runs)."""
    return (np.zeros((n_threads, 3 * stride), dtype=np.int64),
            np.zeros((n_threads, LINE), dtype=np.int64),
            np.empty((n_threads, 3, max(width, 1)), dtype=np.uint8),
            np.empty((n_threads, 2, max(width, 1)), dtype=np.int32))


cdef tuple summed_result(counts, bad, Py_ssize_t stride, Py_ssize_t num_classes):
    """What band_counts returns: the threads' rows summed, and the bad-label counts."""
    total = counts.sum(axis=0)
    return (total[:num_classes], total[stride:stride + num_classes],
            total[2 * stride:2 * stride + num_classes], int(bad[:, BAD_TRUE].sum()),
            int(bad[:, BAD_PRED].sum()))
