"""BF score (boundary F1) counts of two label maps: every class's contour in one pass.

Private: ``fastiou.segmentation.bfscore`` validates and converts the maps and calls
:func:`contour_counts` with two C-contiguous (N, H, W) arrays of one integer dtype.

The contour of a label map M is the set of pixels with a 4-neighbour of another label (and,
when `image_border`, every pixel on the image's edge): for each class c this is the
perimeter of the mask M == c, found for all labels at once. Pass 1 lists, per row, the
columns of the contour pixels (ascending) of the truth and of the prediction, and counts
the pixels with a label outside [0, C). Pass 2 takes every contour pixel of one map and
looks for a contour pixel of the same label in the other map within the tolerance: the
squared Euclidean distance must be at most `r2` (the wrapper turns ``d < theta`` into that
integer bound); row by row, nearest rows first, a binary search finds the first listed
column in the disc's chord and the scan stops at the first match. The cost grows with the
contour pixels and the tolerance, not with the number of classes. Pass 1 runs twice: once
to count each row's contour pixels, once (after a prefix sum) to write their columns into
an array of exactly that size, so that the memory follows the contours, not the pixels.
Rows are the units of work of every pass; each thread adds into its own padded rows of
per-image counts, summed afterwards: exact integers, so the result never depends on the
thread count.
"""

from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint64_t

import numpy as np

from fastiou._shared._bands cimport next_change
from fastiou._shared._fused cimport label_t
from fastiou._shared._openmp cimport omp_get_thread_num
from fastiou._shared._sorted cimport first_at_least
from fastiou.segmentation._counting cimport LINE, is_ignored, padded

# the four counts of a class in one image, each a block of `stride` int64 in a count row
cdef enum:
    TRUE_CONTOUR = 0
    TRUE_MATCHED = 1
    PRED_CONTOUR = 2
    PRED_MATCHED = 3
    N_COUNTS = 4

# bad-label counters in a thread's row of `bad`: truth outside [0, C), prediction outside
cdef enum:
    BAD_TRUE = 0
    BAD_PRED = 1


cdef Py_ssize_t list_contour(const label_t* image, Py_ssize_t height, Py_ssize_t width,
                             Py_ssize_t y, bint image_border, uint8_t* flags,
                             int32_t* columns) noexcept nogil:
    """Return the number of row y's contour pixels, and write their columns (ascending) to
    `columns` unless it is NULL; `flags` is scratch of `width` bytes."""
    cdef const label_t* row = image + y * width
    cdef const label_t* up = row - width if y > 0 else row
    cdef const label_t* down = row + width if y + 1 < height else row
    cdef Py_ssize_t x, n = 0
    if width == 1:
        flags[0] = (up[0] != row[0]) | (down[0] != row[0])
    else:
        for x in range(1, width - 1):  # branch-free: vectorised
            flags[x] = ((row[x - 1] != row[x]) | (row[x + 1] != row[x])
                        | (up[x] != row[x]) | (down[x] != row[x]))
        flags[0] = (row[1] != row[0]) | (up[0] != row[0]) | (down[0] != row[0])
        flags[width - 1] = ((row[width - 2] != row[width - 1]) | (up[width - 1] != row[width - 1])
                            | (down[width - 1] != row[width - 1]))
    if image_border:
        if y == 0 or y + 1 == height:
            for x in range(width):
                flags[x] = 1
        else:
            flags[0] = 1
            flags[width - 1] = 1
    if columns == NULL:
        for x in range(width):  # vectorised
            n += flags[x]
        return n
    x = next_change(flags, -1, width)
    while x < width:
        columns[n] = <int32_t>x
        n += 1
        x = next_change(flags, x, width)
    return n


cdef inline bint chord_has(const label_t* other, const int32_t* columns, Py_ssize_t n,
                           Py_ssize_t x, Py_ssize_t half, label_t label) noexcept nogil:
    """Whether a listed contour pixel of `label` lies in columns [x - half, x + half] of a
    row (`other`: that row of the other map; `columns`: its n contour columns)."""
    cdef Py_ssize_t k = first_at_least(columns, n, x - half)
    while k < n and columns[k] <= x + half:
        if other[columns[k]] == label:
            return True
        k += 1
    return False


cdef bint has_match(const label_t* other, const int32_t* columns, const int64_t* starts,
                    Py_ssize_t height, Py_ssize_t width, Py_ssize_t y, Py_ssize_t x,
                    label_t label, const int32_t* half, Py_ssize_t reach) noexcept nogil:
    """Whether the other map (`other`, its contour columns of row r at
    columns[starts[r]:starts[r + 1]]) has a contour pixel of `label` at squared distance
    <= r2 of (y, x): `half[d]` is the half-width of the disc's chord d rows away, d <= reach."""
    cdef Py_ssize_t d, r
    for d in range(reach + 1):
        r = y - d
        if r >= 0 and chord_has(other + r * width, columns + starts[r], starts[r + 1] - starts[r],
                                x, half[d], label):
            return True
        r = y + d
        if d and r < height and chord_has(other + r * width, columns + starts[r],
                                          starts[r + 1] - starts[r], x, half[d], label):
            return True
    return False


cdef void count_row(const label_t* truth, const label_t* pred, Py_ssize_t height,
                    Py_ssize_t width, Py_ssize_t y, bint image_border, uint64_t n_classes,
                    const label_t* ignore, Py_ssize_t n_ignore, uint8_t* flags,
                    int64_t* n_true, int64_t* n_pred, int64_t* bad) noexcept nogil:
    """Pass 1a for row y of one image: count both contours' pixels, and the bad labels."""
    cdef const label_t* t_row = truth + y * width
    cdef const label_t* p_row = pred + y * width
    cdef Py_ssize_t x
    cdef int64_t bad_true = 0, bad_pred = 0
    n_true[0] = list_contour(truth, height, width, y, image_border, flags, NULL)
    n_pred[0] = list_contour(pred, height, width, y, image_border, flags, NULL)
    if not n_ignore:
        for x in range(width):  # branch-free: vectorised
            bad_true += <uint64_t>t_row[x] >= n_classes
            bad_pred += (<uint64_t>t_row[x] < n_classes) & (<uint64_t>p_row[x] >= n_classes)
        bad[BAD_TRUE] += bad_true
        bad[BAD_PRED] += bad_pred
        return
    for x in range(width):
        if is_ignored(t_row[x], ignore, n_ignore):
            continue
        if <uint64_t>t_row[x] >= n_classes:
            bad[BAD_TRUE] += 1
        elif <uint64_t>p_row[x] >= n_classes:
            bad[BAD_PRED] += 1


cdef void match_row(const label_t* truth, const label_t* pred, Py_ssize_t height,
                    Py_ssize_t width, Py_ssize_t y, uint64_t n_classes, const label_t* ignore,
                    Py_ssize_t n_ignore, bint truth_on_bad_pred, const int32_t* true_columns,
                    const int32_t* pred_columns, const int64_t* true_starts,
                    const int64_t* pred_starts, const int32_t* half, Py_ssize_t reach,
                    int64_t* counts, Py_ssize_t stride) noexcept nogil:
    """Pass 2 for row y of one image: book its contour pixels of both maps and their
    matches into counts[k * stride + c]. A contour pixel whose truth is ignored or out of
    range counts in neither direction; one whose prediction is out of range counts only as
    a truth contour pixel, and only when `truth_on_bad_pred`."""
    cdef const label_t* t_row = truth + y * width
    cdef const label_t* p_row = pred + y * width
    cdef Py_ssize_t k, x
    cdef label_t t, p
    for k in range(true_starts[y], true_starts[y + 1]):
        x = true_columns[k]
        t = t_row[x]
        if n_ignore and is_ignored(t, ignore, n_ignore):
            continue
        if <uint64_t>t >= n_classes or (<uint64_t>p_row[x] >= n_classes and not truth_on_bad_pred):
            continue
        counts[TRUE_CONTOUR * stride + <Py_ssize_t>t] += 1
        if has_match(pred, pred_columns, pred_starts, height, width, y, x, t, half, reach):
            counts[TRUE_MATCHED * stride + <Py_ssize_t>t] += 1
    for k in range(pred_starts[y], pred_starts[y + 1]):
        x = pred_columns[k]
        t = t_row[x]
        p = p_row[x]
        if n_ignore and is_ignored(t, ignore, n_ignore):
            continue
        if <uint64_t>t >= n_classes or <uint64_t>p >= n_classes:
            continue
        counts[PRED_CONTOUR * stride + <Py_ssize_t>p] += 1
        if has_match(truth, true_columns, true_starts, height, width, y, x, p, half, reach):
            counts[PRED_MATCHED * stride + <Py_ssize_t>p] += 1


def contour_counts(const label_t[:, :, ::1] truth, const label_t[:, :, ::1] pred,
                   Py_ssize_t num_classes, const label_t[::1] ignore, const int32_t[::1] half,
                   bint image_border, bint truth_on_bad_pred, int n_threads):
    """Return (counts, n_bad_true, n_bad_pred): int64 counts of shape (N, 4, C) (per image
    and class: true contour pixels, those matched, predicted contour pixels, those
    matched) and the numbers of pixels whose truth (not ignored) or prediction (with a
    valid truth) lies outside [0, C). `half[d]` is the half-width of the tolerance disc d
    rows from its centre (empty: nothing matches)."""
    cdef Py_ssize_t n_images = truth.shape[0], height = truth.shape[1], width = truth.shape[2]
    cdef Py_ssize_t n_rows = n_images * height
    cdef Py_ssize_t stride = padded(N_COUNTS * num_classes)
    cdef Py_ssize_t n_ignore = ignore.shape[0], reach = half.shape[0] - 1
    cdef Py_ssize_t task, image, y, tid
    cdef const label_t* ignore_ptr = &ignore[0] if n_ignore else NULL
    cdef const int32_t* half_ptr = &half[0] if reach >= 0 else NULL
    if n_threads > n_rows:
        n_threads = max(1, n_rows)
    counts, bad, flags, starts = scratch_arrays(n_threads, n_images, stride, width, n_rows)
    cdef int64_t[:, :, ::1] counts_v = counts
    cdef int64_t[:, ::1] bad_v = bad
    cdef uint8_t[:, ::1] flags_v = flags
    cdef int64_t[:, ::1] starts_v = starts
    cdef int32_t[::1] true_v, pred_v
    cdef int32_t* true_ptr
    cdef int32_t* pred_ptr
    if not (n_rows and width):
        return empty_result(n_images, num_classes)
    for task in prange(n_rows, nogil=True, num_threads=n_threads, schedule="static"):
        tid = omp_get_thread_num()
        count_row(&truth[task // height, 0, 0], &pred[task // height, 0, 0], height, width,
                  task % height, image_border, <uint64_t>num_classes, ignore_ptr, n_ignore,
                  &flags_v[tid, 0], &starts_v[0, task + 1], &starts_v[1, task + 1],
                  &bad_v[tid, 0])
    true_columns, pred_columns = column_arrays(starts, n_rows)
    true_v, pred_v = true_columns, pred_columns
    true_ptr, pred_ptr = &true_v[0], &pred_v[0]
    for task in prange(n_rows, nogil=True, num_threads=n_threads, schedule="static"):
        tid = omp_get_thread_num()
        list_contour(&truth[task // height, 0, 0], height, width, task % height, image_border,
                     &flags_v[tid, 0], true_ptr + starts_v[0, task])
        list_contour(&pred[task // height, 0, 0], height, width, task % height, image_border,
                     &flags_v[tid, 0], pred_ptr + starts_v[1, task])
    for task in prange(n_rows, nogil=True, num_threads=n_threads, schedule="dynamic"):
        tid = omp_get_thread_num()
        image = task // height
        y = task % height
        match_row(&truth[image, 0, 0], &pred[image, 0, 0], height, width, y,
                  <uint64_t>num_classes, ignore_ptr, n_ignore, truth_on_bad_pred,
                  true_ptr, pred_ptr, &starts_v[0, image * height],
                  &starts_v[1, image * height], half_ptr, reach, &counts_v[tid, image, 0],
                  num_classes)
    return summed_result(counts, bad, n_images, num_classes)


# The NumPy work of contour_counts, outside it: code in a fused function is compiled once
# per label dtype (8 times), these once (a third of this module's compile time)

cdef tuple scratch_arrays(Py_ssize_t n_threads, Py_ssize_t n_images, Py_ssize_t stride,
                          Py_ssize_t width, Py_ssize_t n_rows):
    """(counts, bad, flags, starts): per-thread count rows, bad-label counters, row scratch;
    starts[m, 1 + row]: contour pixels of map m (truth, prediction) in rows before and at
    row (rows of all images in order), made a prefix sum after pass 1a."""
    return (np.zeros((n_threads, max(n_images, 1), stride), dtype=np.int64),
            np.zeros((n_threads, LINE), dtype=np.int64),
            np.empty((n_threads, max(width, 1)), dtype=np.uint8),
            np.zeros((2, n_rows + 1), dtype=np.int64))


cdef tuple column_arrays(starts, Py_ssize_t n_rows):
    """Make `starts` a prefix sum; return the arrays for the truth's and the prediction's
    contour columns."""
    np.cumsum(starts, axis=1, out=starts)
    return (np.empty(max(starts[0, n_rows], 1), dtype=np.int32),
            np.empty(max(starts[1, n_rows], 1), dtype=np.int32))


cdef tuple empty_result(Py_ssize_t n_images, Py_ssize_t num_classes):
    return (np.zeros((n_images, N_COUNTS, num_classes), dtype=np.int64), 0, 0)


cdef tuple summed_result(counts, bad, Py_ssize_t n_images, Py_ssize_t num_classes):
    """What contour_counts returns: the threads' rows summed, and the bad-label counts."""
    total = counts.sum(axis=0)[:n_images, :N_COUNTS * num_classes]
    return (total.reshape(n_images, N_COUNTS, num_classes), int(bad[:, BAD_TRUE].sum()),
            int(bad[:, BAD_PRED].sum()))
