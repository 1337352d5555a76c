"""Counting kernels for inputs that are not two flat label arrays: class scores (argmax
fused into the pass), thresholded probabilities, one-hot truth, multilabel masks, and
per-image results.

Private: ``fastiou.segmentation._core`` validates, converts and calls :func:`tile_counts`.

Every input is a C-contiguous array seen as ``(outer, K, inner)``: ``K`` channels (the
class or label axis, ``K = 1`` for a plain label map) between the axes before it
(``outer``) and after it (``inner``). Pixel ``q = o * inner + i`` is the element order of
the label map with the channel axis removed. The pass walks tiles of at most ``BLOCK``
consecutive pixels; each tile is first *decoded* into two small int64 label buffers (one
for truth, one for prediction: a plain read, an argmax over ``K`` scores, a threshold, or
a one-hot row), then *counted*. Nothing the size of the input is ever allocated.

Decoded labels outside ``[0, C)`` are booked as in ``fastiou.segmentation._confusion``: an ignored
truth is dropped, a truth out of range counts in ``n_bad_true``, a valid truth with a
prediction out of range counts in ``n_bad_pred`` and in ``miss[truth]``. A truth row that
is not one-hot counts in ``n_not_one_hot``.
"""

from cython.parallel cimport parallel, prange
from libc.stdint cimport (
    int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t,
)

import numpy as np

from fastiou._shared._fused cimport label_t
from fastiou._shared._openmp cimport omp_get_num_threads, omp_get_thread_num
from fastiou._shared._team cimport (
    TeamClock, team_close, team_enter, team_leave, team_open, team_stamp,
)

# uint16_t here always means IEEE float16 bits
ctypedef fused score_t:
    float
    double
    uint16_t

ctypedef fused prob_t:
    float
    double

ctypedef fused onehot_t:
    uint8_t
    int32_t
    int64_t
    float
    double

cdef enum:
    BLOCK = 256
    LINE = 8
    # what a source holds (see DTYPE_CODES in fastiou.segmentation._core for the dtype codes)
    KIND_LABELS = 0
    KIND_ARGMAX = 1
    KIND_THRESHOLD = 2
    KIND_ONE_HOT = 3

# decoded truth values that are not labels (any negative value is out of range)
cdef int64_t IGNORED = -(<int64_t>1 << 62)
cdef int64_t NOT_ONE_HOT = -(<int64_t>1 << 62) - 1

DTYPE_CODES = {
    np.dtype(np.uint8): 0, np.dtype(np.int8): 1, np.dtype(np.uint16): 2,
    np.dtype(np.int16): 3, np.dtype(np.uint32): 4, np.dtype(np.int32): 5,
    np.dtype(np.uint64): 6, np.dtype(np.int64): 7, np.dtype(np.float32): 8,
    np.dtype(np.float64): 9, np.dtype(np.float16): 10,
}


cdef struct Source:
    const char* data
    int kind
    int dtype
    Py_ssize_t channels
    Py_ssize_t inner
    double threshold
    const int64_t* ignore
    Py_ssize_t n_ignore


cdef inline Py_ssize_t channel_start(const Source* src, Py_ssize_t q, Py_ssize_t k,
                                     Py_ssize_t* stride) noexcept nogil:
    """Element offset of channel `k` of pixel `q`, and the step to pixel q + 1 (a tile
    never crosses an `outer` boundary when inner > 1)."""
    cdef Py_ssize_t o
    if src.inner == 1:
        stride[0] = src.channels
        return q * src.channels + k
    o = q // src.inner
    stride[0] = 1
    return (o * src.channels + k) * src.inner + (q - o * src.inner)


cdef void decode_labels(const label_t* data, const Source* src, Py_ssize_t q, Py_ssize_t k,
                        Py_ssize_t n, int64_t* out) noexcept nogil:
    cdef Py_ssize_t stride, j, m
    cdef Py_ssize_t start = channel_start(src, q, k, &stride)
    cdef int64_t v
    cdef const label_t* row = data + start
    for j in range(n):
        v = <int64_t>row[j * stride]
        for m in range(src.n_ignore):
            if row[j * stride] == <label_t>src.ignore[m]:
                v = IGNORED
        if v < 0 and v != IGNORED:
            v = -1
        out[j] = v


cdef inline score_t score_key(score_t v) noexcept nogil:
    """Float16 bits mapped to an unsigned key with the order of the values: -0 and +0
    equal, and every NaN above +inf (np.argmax takes the first NaN)."""
    if score_t is uint16_t:
        if (v & 0x7FFF) > 0x7C00:
            return 0xFFFF
        if (v & 0x7FFF) == 0:
            return 0x8000
        if v & 0x8000:
            return <uint16_t>(~v)
        return <uint16_t>(v | 0x8000)
    else:
        return v


cdef inline bint beats(score_t v, score_t best) noexcept nogil:
    """np.argmax order: larger wins, the first NaN wins over everything, ties keep the first."""
    if score_t is uint16_t:
        return v > best
    else:
        return (v > best) | ((v != v) & (best == best))


cdef void decode_argmax(const score_t* data, const Source* src, Py_ssize_t q, Py_ssize_t n,
                        score_t* best, int64_t* out) noexcept nogil:
    cdef Py_ssize_t stride, j, k
    cdef Py_ssize_t start = channel_start(src, q, 0, &stride)
    cdef const score_t* row
    cdef score_t v, top
    cdef int64_t arg
    cdef int32_t index[BLOCK]
    cdef bint take
    if stride == 1:
        # branch-free over a row of pixels, so that the compiler vectorises it
        row = data + start
        for j in range(n):
            best[j] = score_key(row[j])
            index[j] = 0
        for k in range(1, src.channels):
            row = data + start + k * src.inner
            for j in range(n):
                v = score_key(row[j])
                top = best[j]
                take = beats(v, top)
                best[j] = v if take else top
                index[j] = <int32_t>k if take else index[j]
        for j in range(n):
            out[j] = index[j]
    else:
        for j in range(n):
            row = data + start + j * stride
            top = score_key(row[0])
            arg = 0
            for k in range(1, src.channels):
                v = score_key(row[k])
                if beats(v, top):
                    top = v
                    arg = k
            out[j] = arg


cdef void decode_threshold(const prob_t* data, const Source* src, Py_ssize_t q, Py_ssize_t k,
                           Py_ssize_t n, int64_t* out) noexcept nogil:
    cdef Py_ssize_t stride, j
    cdef Py_ssize_t start = channel_start(src, q, k, &stride)
    cdef const prob_t* row = data + start
    cdef prob_t threshold = <prob_t>src.threshold
    for j in range(n):
        out[j] = row[j * stride] > threshold


cdef void decode_one_hot(const onehot_t* data, const Source* src, Py_ssize_t q, Py_ssize_t n,
                         int64_t* status, int64_t* out) noexcept nogil:
    """Index of the single 1 of each row; NOT_ONE_HOT when a row has no 1, several 1s or
    any value other than 0 and 1."""
    cdef Py_ssize_t stride, j, k
    cdef Py_ssize_t start = channel_start(src, q, 0, &stride)
    cdef onehot_t v
    cdef Py_ssize_t step = src.inner if stride == 1 else 1
    cdef Py_ssize_t pixel_step = 1 if stride == 1 else src.channels
    for j in range(n):
        status[j] = 0
        out[j] = 0
    for k in range(src.channels):
        for j in range(n):
            v = data[start + k * step + j * pixel_step]
            if v == 1:
                status[j] += 1
                out[j] = k
            elif v != 0:
                status[j] += 2
    for j in range(n):
        if status[j] != 1:
            out[j] = NOT_ONE_HOT


cdef void decode(const Source* src, Py_ssize_t q, Py_ssize_t k, Py_ssize_t n,
                 int64_t* work, int64_t* out) noexcept nogil:
    """Decode channel `k` (argmax and one-hot: all channels) of pixels [q, q + n)."""
    cdef int code = src.dtype
    if src.kind == KIND_LABELS:
        if code == 0:
            decode_labels(<const uint8_t*>src.data, src, q, k, n, out)
        elif code == 1:
            decode_labels(<const int8_t*>src.data, src, q, k, n, out)
        elif code == 2:
            decode_labels(<const uint16_t*>src.data, src, q, k, n, out)
        elif code == 3:
            decode_labels(<const int16_t*>src.data, src, q, k, n, out)
        elif code == 4:
            decode_labels(<const uint32_t*>src.data, src, q, k, n, out)
        elif code == 5:
            decode_labels(<const int32_t*>src.data, src, q, k, n, out)
        elif code == 6:
            decode_labels(<const uint64_t*>src.data, src, q, k, n, out)
        else:
            decode_labels(<const int64_t*>src.data, src, q, k, n, out)
    elif src.kind == KIND_ARGMAX:
        if code == 8:
            decode_argmax(<const float*>src.data, src, q, n, <float*>work, out)
        elif code == 9:
            decode_argmax(<const double*>src.data, src, q, n, <double*>work, out)
        else:
            decode_argmax(<const uint16_t*>src.data, src, q, n, <uint16_t*>work, out)
    elif src.kind == KIND_THRESHOLD:
        if code == 8:
            decode_threshold(<const float*>src.data, src, q, k, n, out)
        else:
            decode_threshold(<const double*>src.data, src, q, k, n, out)
    else:
        if code == 0:
            decode_one_hot(<const uint8_t*>src.data, src, q, n, work, out)
        elif code == 5:
            decode_one_hot(<const int32_t*>src.data, src, q, n, work, out)
        elif code == 7:
            decode_one_hot(<const int64_t*>src.data, src, q, n, work, out)
        elif code == 8:
            decode_one_hot(<const float*>src.data, src, q, n, work, out)
        else:
            decode_one_hot(<const double*>src.data, src, q, n, work, out)


cdef void count_decoded(const int64_t* truth, const int64_t* pred, Py_ssize_t n,
                        uint64_t n_classes, int64_t* hist, int64_t* miss,
                        int64_t* bad) noexcept nogil:
    cdef Py_ssize_t j
    cdef uint64_t t, p
    for j in range(n):
        t = <uint64_t>truth[j]
        p = <uint64_t>pred[j]
        if (t < n_classes) & (p < n_classes):
            hist[t * n_classes + p] += 1
        elif truth[j] == IGNORED:
            pass
        elif truth[j] == NOT_ONE_HOT:
            bad[2] += 1
        elif t >= n_classes:
            bad[0] += 1
        else:
            bad[1] += 1
            miss[t] += 1


cdef void count_span(const Source* truth, const Source* pred, Py_ssize_t start,
                     Py_ssize_t end, Py_ssize_t groups, bint multilabel, uint64_t n_classes,
                     int64_t* buffers, int64_t* hist, int64_t* miss,
                     int64_t* bad) noexcept nogil:
    """Count pixels [start, end) tile by tile into `hist` (groups x C x C) and `miss`
    (groups x C). `buffers` holds 4 * BLOCK int64 of scratch."""
    cdef int64_t* truth_labels = buffers
    cdef int64_t* pred_labels = buffers + BLOCK
    cdef int64_t* work = buffers + 2 * BLOCK
    cdef Py_ssize_t q = start
    cdef Py_ssize_t stop, g, channel
    cdef Py_ssize_t cc = <Py_ssize_t>(n_classes * n_classes)
    cdef Py_ssize_t inner = truth.inner
    while q < end:
        stop = q + BLOCK
        if stop > end:
            stop = end
        if inner > 1 and stop > (q // inner + 1) * inner:
            stop = (q // inner + 1) * inner
        for g in range(groups):
            channel = g if multilabel else 0
            decode(truth, q, channel, stop - q, work, truth_labels)
            decode(pred, q, channel, stop - q, work, pred_labels)
            count_decoded(truth_labels, pred_labels, stop - q, n_classes,
                          hist + g * cc, miss + g * <Py_ssize_t>n_classes, bad)
        q = stop


cdef Source make_source(object array, int kind, int dtype, Py_ssize_t channels,
                        Py_ssize_t inner, double threshold, const int64_t[::1] ignore):
    cdef Source src
    src.data = <const char*><size_t>array.ctypes.data
    src.kind = kind
    src.dtype = dtype
    src.channels = channels
    src.inner = inner
    src.threshold = threshold
    src.ignore = &ignore[0] if ignore.shape[0] > 0 else NULL
    src.n_ignore = ignore.shape[0]
    return src


def tile_counts(truth, int truth_kind, pred, int pred_kind, Py_ssize_t channels,
                Py_ssize_t inner, Py_ssize_t n_pixels, Py_ssize_t num_classes,
                Py_ssize_t groups, bint multilabel, Py_ssize_t n_images,
                const int64_t[::1] ignore, double threshold, int n_threads):
    """Count `n_pixels` pixels of two C-contiguous arrays seen as (outer, K, inner).

    `truth` and `pred` each hold ``K = channels`` channels when their kind is argmax,
    one-hot or (multilabel) labels/threshold, else one. With `multilabel`, group g counts
    channel g of both (`num_classes` = 2 per group). With `n_images` > 0 the pixels split
    into that many equal images, each counted on its own (one thread per image).

    Returns ``(matrix, miss, n_bad_true, n_bad_pred, n_not_one_hot)``: matrix of shape
    (groups, C, C), or (n_images, groups, C, C), and miss without the last axis.
    """
    cdef int truth_channels = channels if (multilabel or truth_kind == KIND_ONE_HOT) else 1
    cdef int pred_channels = channels if (multilabel or pred_kind == KIND_ARGMAX) else 1
    cdef Source truth_src = make_source(truth, truth_kind, DTYPE_CODES[truth.dtype],
                                        truth_channels, inner, threshold, ignore)
    cdef int64_t[::1] no_ignore = np.zeros(0, dtype=np.int64)
    cdef Source pred_src = make_source(pred, pred_kind, DTYPE_CODES[pred.dtype],
                                       pred_channels, inner, threshold, no_ignore)
    cdef Py_ssize_t cc = num_classes * num_classes
    cdef Py_ssize_t table = groups * (cc + num_classes)
    cdef Py_ssize_t stride = ((table + LINE - 1) // LINE + 1) * LINE
    cdef Py_ssize_t images = n_images if n_images > 0 else 1
    cdef Py_ssize_t per_image = n_pixels // images
    cdef Py_ssize_t tid, team, start, end, b, j
    cdef int64_t* rows
    cdef int64_t* out
    cdef TeamClock clock
    scratch_buffers = np.zeros((max(n_threads, 1), 4 * BLOCK + LINE), dtype=np.int64)
    bad = np.zeros((max(n_threads, 1), LINE), dtype=np.int64)
    cdef int64_t[:, ::1] buffers_v = scratch_buffers
    cdef int64_t[:, ::1] bad_v = bad
    if n_images > 0:
        result = np.zeros((images, table), dtype=np.int64)
        if n_pixels > 0:
            out = <int64_t*><size_t>result.ctypes.data
            with nogil:
                clock = team_open(n_threads)
                with parallel(num_threads=n_threads):
                    team_stamp(&clock)
                    for b in prange(images, schedule="dynamic"):
                        tid = omp_get_thread_num()
                        count_span(&truth_src, &pred_src, b * per_image, (b + 1) * per_image,
                                   groups, multilabel, <uint64_t>num_classes,
                                   &buffers_v[tid, 0], out + b * table,
                                   out + b * table + groups * cc, &bad_v[tid, 0])
                        team_stamp(&clock)
                team_close(&clock)
        matrix = result[:, :groups * cc].reshape(images, groups, num_classes, num_classes)
        miss = result[:, groups * cc:].reshape(images, groups, num_classes)
    else:
        scratch = np.zeros((n_threads, stride), dtype=np.int64)
        if n_pixels > 0:
            rows = <int64_t*><size_t>scratch.ctypes.data
            with nogil:
                clock = team_open(n_threads)
                with parallel(num_threads=n_threads):
                    team_enter(&clock)
                    tid = omp_get_thread_num()
                    team = omp_get_num_threads()
                    start = n_pixels * tid // team
                    end = n_pixels * (tid + 1) // team
                    count_span(&truth_src, &pred_src, start, end, groups, multilabel,
                               <uint64_t>num_classes, &buffers_v[tid, 0], rows + tid * stride,
                               rows + tid * stride + groups * cc, &bad_v[tid, 0])
                    team_leave(&clock)
                team_close(&clock)
        total = scratch[:, :table].sum(axis=0)
        matrix = total[:groups * cc].reshape(groups, num_classes, num_classes)
        miss = total[groups * cc:].reshape(groups, num_classes)
    totals = bad.sum(axis=0)
    return (np.ascontiguousarray(matrix), np.ascontiguousarray(miss), int(totals[0]),
            int(totals[1]), int(totals[2]))
