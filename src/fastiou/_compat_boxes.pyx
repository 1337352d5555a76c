"""Pair kernels that reproduce other libraries' box overlap formulas to the last bit.

Private: the ``fastiou.compat`` box modules validate the input, convert it once to
C-contiguous ``(B, N, 4)`` arrays of one float dtype (float64 only for cython_bbox and
pycocotools) and call these. Nothing here checks its input.

fastiou's own kernels (``_boxes.pyx``) clamp widths at 0, give 0 for 0/0 and NaN for a
non-finite box. The peers do none of that, and each has its own order of operations,
its own rule for NaN in ``min``/``max`` and its own branches; every loop below follows
one peer operation for operation (same IEEE operations on the same operands in the same
order, in the peer's dtype), so the values are bit-identical, NaN and infinities
included. The peers' rules, with ``x != x`` meaning NaN:

- torch (torchvision, mmdet): ``torch.max``/``torch.min`` give NaN if either operand is
  NaN; ``clamp(min=0)`` keeps NaN.
- Cython's ``min(a, b)`` on C doubles (cython_bbox) is ``b < a ? b : a`` and ``max(a, b)``
  is ``b > a ? b : a``: a NaN in the first operand wins, one in the second loses.
- C's ``fmin``/``fmax`` (pycocotools) ignore a NaN operand.

Threads split the rows; every value depends on one pair only, so the result does not
depend on the thread count.
"""

from cython.parallel cimport prange
from libc.stdint cimport uint8_t

cdef extern from *:
    """
    /* Comparisons may be assumed not to trap (lets GCC vectorise the selects); no fused
       multiply-add contraction, so every product and sum is rounded as the peers round
       them. Values are unchanged by the first and kept exact by the second. */
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC optimize ("no-trapping-math")
    #pragma GCC optimize ("fp-contract=off")
    #endif
    #if defined(__clang__)
    #pragma clang fp contract(off)
    #endif
    """

ctypedef fused real:
    float
    double

# modes and formats, as the Python wrappers number them
cdef enum:
    TV_IOU = 0
    TV_GIOU = 1
    TV_DIOU = 2
    TV_CIOU = 3

cdef enum:
    MM_IOU = 0
    MM_IOF = 1
    MM_GIOU = 2

cdef enum:
    FMT_XYXY = 0
    FMT_XYWH = 1
    FMT_CXCYWH = 2

# per-box columns
cdef enum:
    X1 = 0
    Y1 = 1
    X2 = 2
    Y2 = 3
    AREA = 4
    CX = 5
    CY = 6
    FIELDS = 7


cdef inline real tmax(real a, real b) noexcept nogil:
    """torch.max(a, b) (elementwise): NaN when either is NaN."""
    return a if (a > b or a != a) else b


cdef inline real tmin(real a, real b) noexcept nogil:
    """torch.min(a, b) (elementwise): NaN when either is NaN."""
    return a if (a < b or a != a) else b


cdef inline real clamp0(real a) noexcept nogil:
    """torch's ``clamp(min=0)``: NaN stays NaN."""
    return 0 if a < 0 else a


cdef inline double cython_min(double a, double b) noexcept nogil:
    return b if b < a else a


cdef inline double cython_max(double a, double b) noexcept nogil:
    return b if b > a else a


cdef inline double c_fmin(double a, double b) noexcept nogil:
    """C's fmin: a NaN operand is ignored (NaN only when both are)."""
    return a if (a < b or b != b) else b


cdef inline double c_fmax(double a, double b) noexcept nogil:
    return a if (a > b or b != b) else b


cdef void torch_columns(const real* boxes, Py_ssize_t n, int fmt, real* columns) noexcept nogil:
    """The per-box values torchvision and mmdet compute before broadcasting: the corners
    that enter max/min (the format's own), the area (``(x2 - x1) * (y2 - y1)`` for xyxy,
    ``w * h`` otherwise, never clamped) and the centre ``(x1 + x2) / 2`` (xyxy)."""
    cdef Py_ssize_t k
    cdef real a, b, c, d
    cdef real two = 2
    for k in range(n):
        a = boxes[4 * k]
        b = boxes[4 * k + 1]
        c = boxes[4 * k + 2]
        d = boxes[4 * k + 3]
        if fmt == FMT_XYXY:
            columns[X1 * n + k] = a
            columns[Y1 * n + k] = b
            columns[X2 * n + k] = c
            columns[Y2 * n + k] = d
            columns[AREA * n + k] = (c - a) * (d - b)
        elif fmt == FMT_XYWH:
            columns[X1 * n + k] = a
            columns[Y1 * n + k] = b
            columns[X2 * n + k] = a + c
            columns[Y2 * n + k] = b + d
            columns[AREA * n + k] = c * d
        else:
            columns[X1 * n + k] = a - c / two
            columns[Y1 * n + k] = b - d / two
            columns[X2 * n + k] = a + c / two
            columns[Y2 * n + k] = b + d / two
            columns[AREA * n + k] = c * d
        columns[CX * n + k] = (a + c) / two
        columns[CY * n + k] = (b + d) / two


cdef void torchvision_row(const real* row, Py_ssize_t rs, const real* cols, Py_ssize_t m,
                          int mode, real eps, real k, real angle, const real* angles,
                          real* out) noexcept nogil:
    """One box of `boxes1` (columns `row`, stride `rs`) against the `m` boxes `cols`:
    torchvision's box_iou / generalized_box_iou / distance_box_iou / complete_box_iou."""
    cdef real ax1 = row[X1 * rs], ay1 = row[Y1 * rs], ax2 = row[X2 * rs], ay2 = row[Y2 * rs]
    cdef real area = row[AREA * rs], acx = row[CX * rs], acy = row[CY * rs]
    cdef const real* x1 = cols
    cdef const real* y1 = cols + Y1 * m
    cdef const real* x2 = cols + X2 * m
    cdef const real* y2 = cols + Y2 * m
    cdef const real* areas = cols + AREA * m
    cdef const real* cx = cols + CX * m
    cdef const real* cy = cols + CY * m
    cdef real one = 1
    cdef real w, h, inter, union, iou, ew, eh, enclosed, dx, dy, diou, d, v, alpha
    cdef Py_ssize_t j
    if mode == TV_IOU:
        for j in range(m):
            w = clamp0(tmin(ax2, x2[j]) - tmax(ax1, x1[j]))
            h = clamp0(tmin(ay2, y2[j]) - tmax(ay1, y1[j]))
            inter = w * h
            out[j] = inter / (area + areas[j] - inter)
    elif mode == TV_GIOU:
        for j in range(m):
            w = clamp0(tmin(ax2, x2[j]) - tmax(ax1, x1[j]))
            h = clamp0(tmin(ay2, y2[j]) - tmax(ay1, y1[j]))
            inter = w * h
            union = area + areas[j] - inter
            iou = inter / union
            ew = clamp0(tmax(ax2, x2[j]) - tmin(ax1, x1[j]))
            eh = clamp0(tmax(ay2, y2[j]) - tmin(ay1, y1[j]))
            enclosed = ew * eh
            out[j] = iou - (enclosed - union) / enclosed
    else:
        for j in range(m):
            w = clamp0(tmin(ax2, x2[j]) - tmax(ax1, x1[j]))
            h = clamp0(tmin(ay2, y2[j]) - tmax(ay1, y1[j]))
            inter = w * h
            iou = inter / (area + areas[j] - inter)
            ew = clamp0(tmax(ax2, x2[j]) - tmin(ax1, x1[j]))
            eh = clamp0(tmax(ay2, y2[j]) - tmin(ay1, y1[j]))
            dx = acx - cx[j]
            dy = acy - cy[j]
            diou = iou - (dx * dx + dy * dy) / (ew * ew + eh * eh + eps)
            if mode == TV_DIOU:
                out[j] = diou
            else:
                d = angle - angles[j]
                v = k * (d * d)
                alpha = v / (one - iou + v + eps)
                out[j] = diou - alpha * v


def torchvision_overlaps(const real[:, :, ::1] boxes1, const real[:, :, ::1] boxes2, int fmt,
                         int mode, double eps, const real[:, ::1] angles1,
                         const real[:, ::1] angles2, real[::1] out, int n_threads):
    """torchvision's pairwise overlaps of ``(B, N, 4)`` and ``(B, M, 4)`` boxes into the
    flat ``(B * N * M)`` `out`. `fmt` only with ``mode`` IoU; `angles1`/`angles2` (the
    per-box ``atan(w / h)``, ``(B, N)`` and ``(B, M)``) only for CIoU, else None."""
    cdef Py_ssize_t n_batches = boxes1.shape[0], n = boxes1.shape[1], m = boxes2.shape[1]
    cdef Py_ssize_t r, b, i
    cdef real k = <real>(4.0 / (3.141592653589793 * 3.141592653589793))
    if n_batches * n == 0 or m == 0:
        return
    cdef real[:, ::1] rows = _scratch(boxes1)
    cdef real[:, ::1] cols = _scratch(boxes2)
    cdef bint ciou = mode == TV_CIOU
    with nogil:
        for b in range(n_batches):
            torch_columns(&boxes1[b, 0, 0], n, fmt, &rows[b, 0])
            torch_columns(&boxes2[b, 0, 0], m, fmt, &cols[b, 0])
        for r in prange(n_batches * n, num_threads=n_threads, schedule="static"):
            b = r // n
            i = r - b * n
            torchvision_row(&rows[b, i], n, &cols[b, 0], m, mode, <real>eps, k,
                            angles1[b, i] if ciou else 0,
                            &angles2[b, 0] if ciou else NULL, &out[r * m])


cdef real[:, ::1] _scratch(const real[:, :, ::1] like):
    """``(B, FIELDS * n)`` scratch columns of `like`'s dtype (one block per batch)."""
    import numpy as np
    dtype = np.float32 if real is float else np.float64
    return np.empty((like.shape[0], FIELDS * like.shape[1]), dtype=dtype)


cdef void mmdet_row(const real* row, Py_ssize_t rs, const real* cols, Py_ssize_t cs,
                    Py_ssize_t m, int mode, real eps, real* out) noexcept nogil:
    """mmdet's bbox_overlaps of one box of `bboxes1` against `m` boxes of `bboxes2`
    (column stride `cs`; for aligned pairs `m` is 1)."""
    cdef real ax1 = row[X1 * rs], ay1 = row[Y1 * rs], ax2 = row[X2 * rs], ay2 = row[Y2 * rs]
    cdef real area = row[AREA * rs]
    cdef const real* x1 = cols
    cdef const real* y1 = cols + Y1 * cs
    cdef const real* x2 = cols + X2 * cs
    cdef const real* y2 = cols + Y2 * cs
    cdef const real* areas = cols + AREA * cs
    cdef real w, h, overlap, union, ious, ew, eh, enclosed
    cdef Py_ssize_t j
    for j in range(m):
        w = clamp0(tmin(ax2, x2[j]) - tmax(ax1, x1[j]))
        h = clamp0(tmin(ay2, y2[j]) - tmax(ay1, y1[j]))
        overlap = w * h
        if mode == MM_IOF:
            union = tmax(area, eps)
        else:
            union = tmax(area + areas[j] - overlap, eps)
        ious = overlap / union
        if mode == MM_GIOU:
            ew = clamp0(tmax(ax2, x2[j]) - tmin(ax1, x1[j]))
            eh = clamp0(tmax(ay2, y2[j]) - tmin(ay1, y1[j]))
            enclosed = tmax(ew * eh, eps)
            out[j] = ious - (enclosed - union) / enclosed
        else:
            out[j] = ious


def mmdet_overlaps(const real[:, :, ::1] boxes1, const real[:, :, ::1] boxes2, int mode,
                   bint aligned, double eps, real[::1] out, int n_threads):
    """mmdet's bbox_overlaps of ``(B, N, 4)`` and ``(B, M, 4)`` boxes into the flat `out`
    (``B * N * M`` values, or ``B * N`` when `aligned`)."""
    cdef Py_ssize_t n_batches = boxes1.shape[0], n = boxes1.shape[1], m = boxes2.shape[1]
    cdef Py_ssize_t r, b, i
    if n_batches * n == 0 or m == 0:
        return
    cdef real[:, ::1] rows = _scratch(boxes1)
    cdef real[:, ::1] cols = _scratch(boxes2)
    with nogil:
        for b in range(n_batches):
            torch_columns(&boxes1[b, 0, 0], n, FMT_XYXY, &rows[b, 0])
            torch_columns(&boxes2[b, 0, 0], m, FMT_XYXY, &cols[b, 0])
        for r in prange(n_batches * n, num_threads=n_threads, schedule="static"):
            b = r // n
            i = r - b * n
            if aligned:
                mmdet_row(&rows[b, i], n, &cols[b, i], m, 1, mode, <real>eps, &out[r])
            else:
                mmdet_row(&rows[b, i], n, &cols[b, 0], m, m, mode, <real>eps, &out[r * m])


def cython_bbox_overlaps(const double[:, ::1] boxes, const double[:, ::1] query_boxes,
                         double[:, ::1] out, int n_threads):
    """cython_bbox's bbox_overlaps (``w = x2 - x1 + 1``) of ``(N, 4)`` boxes and ``(K, 4)``
    query boxes into the ``(N, K)`` `out`. Returns True when a pair would divide by a
    zero union (cython_bbox raises ZeroDivisionError there)."""
    cdef Py_ssize_t n = boxes.shape[0], m = query_boxes.shape[0], i, j
    cdef double[:, ::1] cols = _cython_bbox_columns(query_boxes)
    cdef double bx1, by1, bx2, by2, area, iw, ih, inter, ua
    cdef const double* qx1
    cdef const double* qy1
    cdef const double* qx2
    cdef const double* qy2
    cdef const double* qarea
    cdef int zero_union = 0
    if n == 0 or m == 0:
        return False
    qx1 = &cols[0, 0]
    qy1 = &cols[1, 0]
    qx2 = &cols[2, 0]
    qy2 = &cols[3, 0]
    qarea = &cols[4, 0]
    with nogil:
        for i in prange(n, num_threads=n_threads, schedule="static"):
            bx1 = boxes[i, 0]
            by1 = boxes[i, 1]
            bx2 = boxes[i, 2]
            by2 = boxes[i, 3]
            area = (bx2 - bx1 + 1) * (by2 - by1 + 1)
            for j in range(m):
                iw = cython_min(bx2, qx2[j]) - cython_max(bx1, qx1[j]) + 1
                ih = cython_min(by2, qy2[j]) - cython_max(by1, qy1[j]) + 1
                inter = iw * ih
                ua = area + qarea[j] - inter
                zero_union |= iw > 0 and ih > 0 and ua == 0
                out[i, j] = inter / ua if (iw > 0 and ih > 0) else 0
    return zero_union != 0


cdef double[:, ::1] _cython_bbox_columns(const double[:, ::1] boxes):
    import numpy as np
    cdef Py_ssize_t m = boxes.shape[0], j
    cdef double[:, ::1] cols = np.empty((5, m), dtype=np.float64)
    for j in range(m):
        cols[0, j] = boxes[j, 0]
        cols[1, j] = boxes[j, 1]
        cols[2, j] = boxes[j, 2]
        cols[3, j] = boxes[j, 3]
        cols[4, j] = (boxes[j, 2] - boxes[j, 0] + 1) * (boxes[j, 3] - boxes[j, 1] + 1)
    return cols


def coco_box_overlaps(const double[:, ::1] dt, const double[:, ::1] gt, const uint8_t[::1] iscrowd,
                      double[:, ::1] out, int n_threads):
    """pycocotools' bbIou of ``(m, 4)`` detections and ``(n, 4)`` ground truths (xywh) with
    one crowd flag per ground truth, into the ``(m, n)`` `out`."""
    cdef Py_ssize_t m = dt.shape[0], n = gt.shape[0], i, j
    cdef double[:, ::1] cols
    cdef double dx1, dy1, dx2, dy2, da, w, h, inter, union
    cdef const double* gx1
    cdef const double* gy1
    cdef const double* gx2
    cdef const double* gy2
    cdef const double* ga
    if m == 0 or n == 0:
        return
    import numpy as np
    cols = np.empty((5, n), dtype=np.float64)
    for j in range(n):
        cols[0, j] = gt[j, 0]
        cols[1, j] = gt[j, 1]
        cols[2, j] = gt[j, 2] + gt[j, 0]
        cols[3, j] = gt[j, 3] + gt[j, 1]
        cols[4, j] = gt[j, 2] * gt[j, 3]
    gx1 = &cols[0, 0]
    gy1 = &cols[1, 0]
    gx2 = &cols[2, 0]
    gy2 = &cols[3, 0]
    ga = &cols[4, 0]
    with nogil:
        for i in prange(m, num_threads=n_threads, schedule="static"):
            dx1 = dt[i, 0]
            dy1 = dt[i, 1]
            dx2 = dt[i, 2] + dt[i, 0]
            dy2 = dt[i, 3] + dt[i, 1]
            da = dt[i, 2] * dt[i, 3]
            for j in range(n):
                w = c_fmin(dx2, gx2[j]) - c_fmax(dx1, gx1[j])
                h = c_fmin(dy2, gy2[j]) - c_fmax(dy1, gy1[j])
                inter = w * h
                union = da if iscrowd[j] != 0 else da + ga[j] - inter
                out[i, j] = 0 if (w <= 0 or h <= 0) else inter / union
