"""Axis-aligned box overlap kernels (IoU, IoF, GIoU, DIoU, CIoU) over batches of boxes.

Private: ``fastiou.boxes`` validates the input, converts it once to C-contiguous
``(B, N, 4)`` float32 or float64 arrays of one dtype, resolves the thread count and calls
``box_overlaps``. Nothing here checks its input.

Each box is first turned into a row of numbers (corners and area; for DIoU and CIoU
also centre and shape angle, ``FIELDS`` in all) kept column by column, so the pair loop
reads contiguous memory and the compiler can vectorise it. Threads split the ``B * N``
rows of the result; every value depends on one pair only, so the result does not depend
on the thread count.

A box with a NaN or infinite coordinate gives NaN in all its pairs (``_pairs.pxd``).

Ratios of an intersection to an area are capped at 1: with xywh or cxcywh boxes the area
comes from the given size (as pycocotools) while the intersection comes from the corners,
which can differ in the last bit.

Division rule: a quotient whose denominator is 0 (or negative through rounding) is 0.
Every such denominator is 0 only when its numerator is 0 too (an empty union means an
empty intersection, an empty enclosing box an empty union, ...), so the kernels divide by
``d if d > 0 else 1``, which keeps the loops free of branches.
"""

cimport numpy as cnp
from cython.parallel cimport parallel, prange
from libc.math cimport atan
from libc.stdint cimport uint8_t
from libc.stdlib cimport free, malloc

from fastiou._shared._team cimport TeamClock, team_close, team_open, team_stamp
from fastiou.detection._pairs cimport (
    FMT_CXCYWH, FMT_XYWH, FMT_XYXY, mark_non_finite_pairs, real,
)

cnp.import_array()

cdef enum:
    X1 = 0
    Y1 = 1
    X2 = 2
    Y2 = 3
    AREA = 4
    CX = 5
    CY = 6
    SHAPE = 7
    FIELDS = 8

# box modes, as the wrapper numbers them
cdef enum:
    MODE_IOU = 0
    MODE_IOF = 1
    MODE_GIOU = 2
    MODE_DIOU = 3
    MODE_CIOU = 4

# Up to this many pairs the threads split the rows statically (2-core VM, 200x200 float32,
# 2 threads: ~8-9 us static against ~13-14 us dynamic in blocks of 8 rows, whose shared
# counter and rows of `out` hopping between cores cost more than the second thread saves);
# above it, dynamic blocks bound what a descheduled thread can hold up.
cdef Py_ssize_t STATIC_PAIRS = 1 << 20
# float32 calls up to this many pairs take the sparse rows: beyond, their output streams to
# memory, and there the dense rows are faster (200x200 10.3 vs 11.0 us; 1000x200 49 vs 47 us)
cdef Py_ssize_t SPARSE_FLOAT32_PAIRS = 1 << 17

cdef double HALF_PI = 1.5707963267948966
cdef double FOUR_OVER_PI_SQUARED = 0.40528473456935108578


cdef inline real smaller(real a, real b) noexcept nogil:
    return a if a < b else b


cdef inline real larger(real a, real b) noexcept nogil:
    return a if a > b else b


cdef inline real positive_part(real a) noexcept nogil:
    return a if a > 0 else 0


cdef inline real safe_denominator(real d) noexcept nogil:
    return d if d > 0 else 1


cdef inline real overlap(real a1, real a2, real b1, real b2, real offset) noexcept nogil:
    """Length of the overlap of [a1, a2] and [b1, b2] (plus `offset`), at least 0."""
    return positive_part(smaller(a2, b2) - larger(a1, b1) + offset)


cdef inline real span(real a1, real a2, real b1, real b2, real offset) noexcept nogil:
    """Length of the smallest interval holding [a1, a2] and [b1, b2] (plus `offset`), at least 0."""
    return positive_part(larger(a2, b2) - smaller(a1, b1) + offset)


cdef inline real capped_ratio(real inter, real denominator) noexcept nogil:
    return smaller(inter / safe_denominator(denominator), <real>1)


cdef void fill_columns(const real* boxes, Py_ssize_t n, int fmt, real offset, bint centres,
                       bint shape_angles, real* columns) noexcept nogil:
    """Write the columns (each `n` long) of `n` boxes given in `fmt`: X1 to AREA, and with
    `centres` also CX, CY and SHAPE (the shape angle with `shape_angles`, else 0).

    Corners are xyxy; the area comes from the format's own width and height (as
    pycocotools does for xywh), widths and heights clamped at 0 after adding `offset`;
    centres are the corner midpoints (as torchvision); the shape angle is atan(w / h)
    of the clamped sizes, pi/2 for h == 0 < w and 0 for an empty box. One branch-free
    loop per format and column group, which the compiler vectorises."""
    cdef real* x1 = columns + X1 * n
    cdef real* y1 = columns + Y1 * n
    cdef real* x2 = columns + X2 * n
    cdef real* y2 = columns + Y2 * n
    cdef real* area = columns + AREA * n
    cdef Py_ssize_t k
    cdef real half = 0.5
    cdef real a, b, c, d, w, h
    if fmt == FMT_XYXY:
        for k in range(n):
            a = boxes[4 * k]
            b = boxes[4 * k + 1]
            c = boxes[4 * k + 2]
            d = boxes[4 * k + 3]
            x1[k] = a
            y1[k] = b
            x2[k] = c
            y2[k] = d
            area[k] = positive_part(c - a + offset) * positive_part(d - b + offset)
    else:
        if fmt == FMT_XYWH:
            for k in range(n):
                x1[k] = boxes[4 * k]
                y1[k] = boxes[4 * k + 1]
                x2[k] = boxes[4 * k] + boxes[4 * k + 2]
                y2[k] = boxes[4 * k + 1] + boxes[4 * k + 3]
        else:
            for k in range(n):
                x1[k] = boxes[4 * k] - half * boxes[4 * k + 2]
                y1[k] = boxes[4 * k + 1] - half * boxes[4 * k + 3]
                x2[k] = boxes[4 * k] + half * boxes[4 * k + 2]
                y2[k] = boxes[4 * k + 1] + half * boxes[4 * k + 3]
        for k in range(n):
            area[k] = (positive_part(boxes[4 * k + 2] + offset)
                       * positive_part(boxes[4 * k + 3] + offset))
    if not centres:
        return
    for k in range(n):
        columns[CX * n + k] = (x1[k] + x2[k]) / 2
        columns[CY * n + k] = (y1[k] + y2[k]) / 2
        columns[SHAPE * n + k] = 0
        if shape_angles:
            w = positive_part(x2[k] - x1[k] + offset)
            h = positive_part(y2[k] - y1[k] + offset)
            if h > 0:
                columns[SHAPE * n + k] = <real>atan(w / h)
            else:
                columns[SHAPE * n + k] = <real>(HALF_PI if w > 0 else 0.0)


cdef inline void iou_row(const real* row, Py_ssize_t row_stride, const real* cols,
                         Py_ssize_t stride, Py_ssize_t m, real offset, real* out) noexcept nogil:
    if real is float:
        fastiou_iou_row_f32(row[X1 * row_stride], row[Y1 * row_stride], row[X2 * row_stride],
                            row[Y2 * row_stride], row[AREA * row_stride], cols + X1 * stride,
                            cols + Y1 * stride, cols + X2 * stride, cols + Y2 * stride,
                            cols + AREA * stride, m, offset, out)
    else:
        fastiou_iou_row_f64(row[X1 * row_stride], row[Y1 * row_stride], row[X2 * row_stride],
                            row[Y2 * row_stride], row[AREA * row_stride], cols + X1 * stride,
                            cols + Y1 * stride, cols + X2 * stride, cols + Y2 * stride,
                            cols + AREA * stride, m, offset, out)


cdef void area_ratio_row(const real* row, Py_ssize_t row_stride, const real* cols,
                         Py_ssize_t stride, const uint8_t* crowd, Py_ssize_t m, real offset,
                         real* out) noexcept nogil:
    """IoF (`crowd` NULL): intersection over the row box's area. Otherwise IoU, except that
    a crowd column divides by the row box's area (pycocotools' iscrowd)."""
    cdef real ax1 = row[X1 * row_stride], ay1 = row[Y1 * row_stride]
    cdef real ax2 = row[X2 * row_stride], ay2 = row[Y2 * row_stride]
    cdef real area = row[AREA * row_stride]
    cdef const real* x1 = cols + X1 * stride
    cdef const real* y1 = cols + Y1 * stride
    cdef const real* x2 = cols + X2 * stride
    cdef const real* y2 = cols + Y2 * stride
    cdef const real* areas = cols + AREA * stride
    cdef real inter, union
    cdef Py_ssize_t j
    if crowd == NULL:
        for j in range(m):
            inter = overlap(ax1, ax2, x1[j], x2[j], offset) * overlap(ay1, ay2, y1[j], y2[j], offset)
            out[j] = capped_ratio(inter, area)
    else:
        for j in range(m):
            inter = overlap(ax1, ax2, x1[j], x2[j], offset) * overlap(ay1, ay2, y1[j], y2[j], offset)
            # both denominators first, then a select: no branch on the crowd flags
            union = area + areas[j] - inter
            out[j] = capped_ratio(inter, area if crowd[j] != 0 else union)


cdef void distance_iou_row(const real* row, Py_ssize_t row_stride, const real* cols,
                           Py_ssize_t stride, Py_ssize_t m, int mode, real offset, real eps,
                           real* out) noexcept nogil:
    """GIoU, DIoU or CIoU (torchvision's formulas) of one row box against `m` boxes."""
    cdef real ax1 = row[X1 * row_stride], ay1 = row[Y1 * row_stride]
    cdef real ax2 = row[X2 * row_stride], ay2 = row[Y2 * row_stride]
    cdef real area = row[AREA * row_stride]
    cdef const real* x1 = cols + X1 * stride
    cdef const real* y1 = cols + Y1 * stride
    cdef const real* x2 = cols + X2 * stride
    cdef const real* y2 = cols + Y2 * stride
    cdef const real* areas = cols + AREA * stride
    cdef const real* cx
    cdef const real* cy
    cdef const real* shape
    cdef real acx, acy, ashape, inter, union, iou, ew, eh, dx, dy, v, value
    cdef real k = <real>FOUR_OVER_PI_SQUARED
    cdef Py_ssize_t j
    if mode == MODE_GIOU:
        for j in range(m):
            inter = overlap(ax1, ax2, x1[j], x2[j], offset) * overlap(ay1, ay2, y1[j], y2[j], offset)
            union = area + areas[j] - inter
            iou = capped_ratio(inter, union)
            ew = span(ax1, ax2, x1[j], x2[j], offset) * span(ay1, ay2, y1[j], y2[j], offset)
            out[j] = iou - (ew - union) / safe_denominator(ew)
        return
    # only DIoU and CIoU rows have the centre and shape columns
    acx = row[CX * row_stride]
    acy = row[CY * row_stride]
    ashape = row[SHAPE * row_stride]
    cx = cols + CX * stride
    cy = cols + CY * stride
    shape = cols + SHAPE * stride
    for j in range(m):
        inter = overlap(ax1, ax2, x1[j], x2[j], offset) * overlap(ay1, ay2, y1[j], y2[j], offset)
        iou = capped_ratio(inter, area + areas[j] - inter)
        ew = span(ax1, ax2, x1[j], x2[j], offset)
        eh = span(ay1, ay2, y1[j], y2[j], offset)
        dx = acx - cx[j]
        dy = acy - cy[j]
        value = iou - (dx * dx + dy * dy) / safe_denominator(ew * ew + eh * eh + eps)
        # DIoU: every shape angle is 0, so v = 0 and the CIoU term subtracts exactly 0;
        # one loop without a branch, which the compiler vectorises (with `<real>1`: a
        # double constant would widen the float loop)
        v = k * (ashape - shape[j]) * (ashape - shape[j])
        out[j] = value - v / safe_denominator(<real>1 - iou + v + eps) * v


cdef void overlap_row(const real* row, Py_ssize_t row_stride, const real* cols,
                      Py_ssize_t stride, const uint8_t* crowd, bint use_crowd, Py_ssize_t m,
                      int mode, real offset, real eps, real* out) noexcept nogil:
    if mode == MODE_IOU:
        if use_crowd:
            area_ratio_row(row, row_stride, cols, stride, crowd, m, offset, out)
        else:
            iou_row(row, row_stride, cols, stride, m, offset, out)
    elif mode == MODE_IOF:
        area_ratio_row(row, row_stride, cols, stride, <const uint8_t*>NULL, m, offset, out)
    else:
        distance_iou_row(row, row_stride, cols, stride, m, mode, offset, eps, out)


cdef void all_pairs_rows(Py_ssize_t start, Py_ssize_t stop, const real* rows,
                         const real* cols, Py_ssize_t fields, Py_ssize_t n_batches, Py_ssize_t n,
                         Py_ssize_t m, const uint8_t* crowd, int mode, real offset, real eps,
                         bint sparse, real* out) noexcept nogil:
    """Rows `start` to `stop` - 1 of the ``(B * N, M)`` result `out`: row r is box ``r % N``
    of batch ``r // N`` against the M boxes of its batch (`crowd`: ``(B, M)`` flags or NULL).
    Plain IoU rows go to the C row kernel a batch at a time (its sparse rows if `sparse`)."""
    cdef Py_ssize_t r = start, b, i, batch_stop
    while r < stop:
        b = r // n if n_batches > 1 else 0
        i = r - b * n
        batch_stop = min(stop, (b + 1) * n)
        if mode == MODE_IOU and crowd == NULL:
            if real is float:
                fastiou_iou_rows_f32(rows + b * fields * n, n, i, i + batch_stop - r,
                                     cols + b * fields * m, m, offset, out + r * m, sparse)
            else:
                fastiou_iou_rows_f64(rows + b * fields * n, n, i, i + batch_stop - r,
                                     cols + b * fields * m, m, offset, out + r * m, sparse)
        else:
            while r < batch_stop:
                overlap_row(rows + b * fields * n + i, n, cols + b * fields * m, m,
                            crowd + b * m if crowd != NULL else NULL, crowd != NULL, m, mode,
                            offset, eps, out + r * m)
                r += 1
                i += 1
        r = batch_stop


fastiou_sparse_detected = fastiou_sparse_available()


def _sparse_division_available():
    """Whether this CPU and build have the sparse IoU rows (tests run both paths)."""
    return bool(fastiou_sparse_available())


def _set_sparse_division(bint allowed):
    """Allow or forbid the sparse IoU rows; returns the previous setting (tests)."""
    global fastiou_sparse_allowed
    old = bool(fastiou_sparse_allowed)
    fastiou_sparse_allowed = allowed
    return old


cdef int overlaps_into(const real* boxes1, const real* boxes2, Py_ssize_t n_batches,
                       Py_ssize_t n, Py_ssize_t m, int fmt, int mode, real off, real tolerance,
                       const uint8_t* crowd_flags, bint aligned, real* out,
                       int n_threads) noexcept nogil:
    """The body of :func:`box_overlaps` on raw C-ordered ``(B, N, 4)`` / ``(B, M, 4)``
    boxes, ``(B, M)`` crowd flags or NULL and the flat output: 0, or -1 when the scratch
    columns or flags cannot be allocated."""
    cdef Py_ssize_t n_rows = n_batches * n
    if n_rows == 0 or m == 0:
        return 0
    # DIoU and CIoU read all FIELDS columns, the other modes X1 to AREA
    cdef bint centres = mode == MODE_DIOU or mode == MODE_CIOU
    cdef Py_ssize_t fields = FIELDS if centres else AREA + 1
    cdef bint use_crowd = crowd_flags != NULL
    cdef bint sparse = real is double or n_rows * m <= SPARSE_FLOAT32_PAIRS
    cdef Py_ssize_t b, r, i, t, block
    cdef int status
    # the columns start on a 64-byte boundary (malloc gives 16): float64 200x200 with
    # offset=1 17.5 -> 16 us, as more of the rows' vector loads stay within one cache line
    cdef void* block_start = malloc(sizeof(real) * fields * (n_rows + n_batches * m) + 63)
    if block_start == NULL:
        return -1
    cdef real* rows = <real*>((<size_t>block_start + 63) & ~(<size_t>63))
    cdef real* cols = rows + fields * n_rows
    for b in range(n_batches):
        fill_columns(boxes1 + b * n * 4, n, fmt, off, centres, mode == MODE_CIOU,
                     rows + b * fields * n)
        fill_columns(boxes2 + b * m * 4, m, fmt, off, centres, mode == MODE_CIOU,
                     cols + b * fields * m)
    cdef TeamClock clock = team_open(n_threads)
    if n_threads == 1 and not aligned:  # no thread team to set up
        all_pairs_rows(0, n_rows, rows, cols, fields, n_batches, n, m, crowd_flags,
                       mode, off, tolerance, sparse, out)
    elif aligned:
        with parallel(num_threads=n_threads):
            team_stamp(&clock)
            for r in prange(n_rows, schedule="dynamic", chunksize=1024):
                b = r // n if n_batches > 1 else 0
                i = r - b * n
                overlap_row(rows + b * fields * n + i, n, cols + b * fields * m + i, m,
                            crowd_flags + b * m + i if use_crowd else NULL, use_crowd,
                            1, mode, off, tolerance, out + r)
                if r % 1024 == 1023:
                    team_stamp(&clock)
    elif n_rows * m <= STATIC_PAIRS:
        # each thread one fixed, contiguous share of the rows: no shared counter to
        # update, and repeated calls find their rows of `out` in the same core's cache
        with parallel(num_threads=n_threads):
            team_stamp(&clock)
            for t in prange(n_threads, schedule="static"):
                all_pairs_rows(n_rows * t // n_threads, n_rows * (t + 1) // n_threads, rows,
                               cols, fields, n_batches, n, m, crowd_flags, mode, off,
                               tolerance, sparse, out)
                team_stamp(&clock)
    else:
        # blocks of 8 rows in dynamic order: on a busy machine a descheduled thread
        # then delays the others by one block, not by its whole static share
        with parallel(num_threads=n_threads):
            team_stamp(&clock)
            for block in prange((n_rows + 7) // 8, schedule="dynamic"):
                all_pairs_rows(8 * block, min(8 * block + 8, n_rows), rows, cols, fields,
                               n_batches, n, m, crowd_flags, mode, off, tolerance, sparse,
                               out)
                team_stamp(&clock)
    team_close(&clock)
    free(block_start)
    return mark_non_finite_pairs(boxes1, boxes2, n_batches, n, m, 4, aligned, out)


def box_overlaps(const real[:, :, ::1] boxes1, const real[:, :, ::1] boxes2, int fmt, int mode,
                 double offset, double eps, const uint8_t[:, ::1] crowd, bint aligned,
                 real[::1] out, int n_threads):
    """Fill `out` (flat) with the overlap of every pair (or aligned pair) of each batch.

    ``boxes1`` is ``(B, N, 4)``, ``boxes2`` ``(B, M, 4)`` (``M == N`` when aligned),
    ``crowd`` ``(B, M)`` or None (no crowd boxes), ``out`` holds ``B * N * M``
    values (``B * N`` when aligned) in C order.
    """
    cdef Py_ssize_t n_batches = boxes1.shape[0], n = boxes1.shape[1], m = boxes2.shape[1]
    cdef int status
    if n_batches * n == 0 or m == 0:
        return
    cdef const uint8_t* crowd_flags = &crowd[0, 0] if crowd is not None else NULL
    with nogil:
        status = overlaps_into(&boxes1[0, 0, 0], &boxes2[0, 0, 0], n_batches, n, m, fmt, mode,
                               <real>offset, <real>eps, crowd_flags, aligned, &out[0],
                               n_threads)
    if status != 0:
        raise MemoryError("no memory for the box columns")


def plain_iou(cnp.ndarray boxes1, cnp.ndarray boxes2, double offset, int n_threads):
    """``box_iou(boxes1, boxes2, offset=offset)`` with every other argument at its default,
    for two C-contiguous ``(N, 4)`` and ``(M, 4)`` arrays of one native float32 or float64
    dtype: the ``(N, M)`` result, or None for any other pair of arrays (the caller then
    takes the checked path). No memoryview, no fused-type dispatch: ~1 us less per call
    than :func:`box_overlaps`, which matters for the many small calls of a detection
    evaluation. (``eps`` only enters DIoU and CIoU.)"""
    cdef int kind = cnp.PyArray_TYPE(boxes1)
    cdef int status
    if (cnp.PyArray_NDIM(boxes1) != 2 or cnp.PyArray_NDIM(boxes2) != 2
            or cnp.PyArray_DIM(boxes1, 1) != 4 or cnp.PyArray_DIM(boxes2, 1) != 4
            or (kind != cnp.NPY_FLOAT32 and kind != cnp.NPY_FLOAT64)
            or cnp.PyArray_TYPE(boxes2) != kind
            or not cnp.PyArray_ISCARRAY_RO(boxes1) or not cnp.PyArray_ISCARRAY_RO(boxes2)):
        return None
    cdef Py_ssize_t n = cnp.PyArray_DIM(boxes1, 0), m = cnp.PyArray_DIM(boxes2, 0)
    cdef cnp.npy_intp shape[2]
    shape[0], shape[1] = n, m
    cdef cnp.ndarray out = cnp.PyArray_EMPTY(2, shape, kind, 0)
    cdef const void* first = cnp.PyArray_DATA(boxes1)
    cdef const void* second = cnp.PyArray_DATA(boxes2)
    cdef void* result = cnp.PyArray_DATA(out)
    with nogil:
        if kind == cnp.NPY_FLOAT32:
            status = overlaps_into(<const float*>first, <const float*>second, 1, n, m, FMT_XYXY,
                                   MODE_IOU, <float>offset, 0, NULL, False, <float*>result,
                                   n_threads)
        else:
            status = overlaps_into(<const double*>first, <const double*>second, 1, n, m,
                                   FMT_XYXY, MODE_IOU, offset, 0, NULL, False, <double*>result,
                                   n_threads)
    if status != 0:
        raise MemoryError("no memory for the box columns")
    return out
