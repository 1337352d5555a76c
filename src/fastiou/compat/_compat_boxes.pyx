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

cimport numpy as cnp
from cython.parallel cimport parallel, prange
from libc.math cimport isfinite
from libc.stdint cimport uint8_t

import numpy as np

from fastiou.detection import _boxes
from fastiou._shared._team cimport TeamClock, team_close, team_open, team_stamp
from fastiou.detection._pairs cimport FMT_XYXY, FMT_XYWH, FMT_CXCYWH, real

cnp.import_array()

TV_CIOU = 3


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


cdef real[:, ::1] _scratch(const real[:, :, ::1] like):
    """``(B, FIELDS * n)`` scratch columns of the dtype of `like` (``(B, n, 4)``)."""
    return np.empty((like.shape[0], FIELDS * like.shape[1]),
                    dtype=np.float32 if real is float else np.float64)


def torchvision_overlaps(const real[:, :, ::1] boxes1, const real[:, :, ::1] boxes2, int fmt,
                         int mode, double eps, const real[:, ::1] angles1,
                         const real[:, ::1] angles2, real[::1] out, int n_threads):
    """torchvision's pairwise overlaps of ``(B, N, 4)`` and ``(B, M, 4)`` boxes into the
    flat ``(B * N * M)`` `out`. `fmt` only with ``mode`` IoU (0); `angles1`/`angles2` (the
    per-box ``atan(w / h)``, ``(B, N)`` and ``(B, M)``) only for CIoU (3), else None."""
    cdef Py_ssize_t n_batches = boxes1.shape[0], n = boxes1.shape[1], m = boxes2.shape[1]
    cdef Py_ssize_t r, b, i
    cdef real k = <real>(4.0 / (3.141592653589793 * 3.141592653589793))
    if n_batches * n == 0 or m == 0:
        return
    cdef real[:, ::1] rows = _scratch(boxes1)
    cdef real[:, ::1] cols = _scratch(boxes2)
    cdef bint ciou = mode == TV_CIOU
    cdef real* row_data = &rows[0, 0]
    cdef real* col_data = &cols[0, 0]
    cdef real* out_data = &out[0]
    cdef const real* angle_rows = &angles1[0, 0] if ciou else NULL
    cdef const real* angle_cols = &angles2[0, 0] if ciou else NULL
    cdef TeamClock clock = team_open(n_threads)
    with nogil:
        for b in range(n_batches):
            torch_columns(&boxes1[b, 0, 0], n, fmt, row_data + b * FIELDS * n)
            torch_columns(&boxes2[b, 0, 0], m, fmt, col_data + b * FIELDS * m)
        with parallel(num_threads=n_threads):
            team_stamp(&clock)
            for r in prange(n_batches * n, schedule="static"):
                b = r // n
                i = r - b * n
                if real is float:
                    fastiou_tv_row_f32(row_data + b * FIELDS * n + i, n, col_data + b * FIELDS * m,
                                       m, mode, <float>eps, k,
                                       angle_rows[r] if ciou else 0,
                                       angle_cols + b * m if ciou else NULL, out_data + r * m)
                else:
                    fastiou_tv_row_f64(row_data + b * FIELDS * n + i, n, col_data + b * FIELDS * m,
                                       m, mode, eps, k,
                                       angle_rows[r] if ciou else 0,
                                       angle_cols + b * m if ciou else NULL, out_data + r * m)
                team_stamp(&clock)
        team_close(&clock)


cdef inline void mm_aligned_slice(const real* rows, const real* cols, Py_ssize_t n,
                                  Py_ssize_t first, Py_ssize_t last, int mode, double eps,
                                  real* out) noexcept nogil:
    """mmdet's aligned overlaps of pairs ``first .. last - 1`` (eps in the boxes' dtype)."""
    if real is float:
        fastiou_mm_row_f32_aligned(rows, cols, n, first, last, mode, <float>eps, out)
    else:
        fastiou_mm_row_f64_aligned(rows, cols, n, first, last, mode, eps, out)


def mmdet_overlaps(const real[:, :, ::1] boxes1, const real[:, :, ::1] boxes2, int mode,
                   bint aligned, double eps, real[::1] out, int n_threads):
    """mmdet's bbox_overlaps (mode 0 IoU, 1 IoF, 2 GIoU) of ``(B, N, 4)`` and ``(B, M, 4)``
    boxes into the flat `out` (``B * N * M`` values, or ``B * N`` when `aligned`)."""
    cdef Py_ssize_t n_batches = boxes1.shape[0], n = boxes1.shape[1], m = boxes2.shape[1]
    cdef Py_ssize_t r, b, i
    if n_batches * n == 0 or m == 0:
        return
    cdef real[:, ::1] rows = _scratch(boxes1)
    cdef real[:, ::1] cols = _scratch(boxes2)
    cdef real* row_data = &rows[0, 0]
    cdef real* col_data = &cols[0, 0]
    cdef real* out_data = &out[0]
    cdef int t, threads = n_threads
    cdef TeamClock clock
    with nogil:
        for b in range(n_batches):
            torch_columns(&boxes1[b, 0, 0], n, FMT_XYXY, row_data + b * FIELDS * n)
            torch_columns(&boxes2[b, 0, 0], m, FMT_XYXY, col_data + b * FIELDS * m)
        if aligned:
            for b in range(n_batches):
                if threads == 1:  # no parallel region for a small call
                    mm_aligned_slice(row_data + b * FIELDS * n, col_data + b * FIELDS * n, n, 0, n,
                                     mode, eps, out_data + b * n)
                    continue
                for t in prange(threads, num_threads=threads, schedule="static"):
                    mm_aligned_slice(row_data + b * FIELDS * n, col_data + b * FIELDS * n, n,
                                     n * t // threads, n * (t + 1) // threads, mode, eps,
                                     out_data + b * n)
        else:
            clock = team_open(n_threads)
            with parallel(num_threads=n_threads):
                team_stamp(&clock)
                for r in prange(n_batches * n, schedule="static"):
                    b = r // n
                    i = r - b * n
                    if real is float:
                        fastiou_mm_row_f32(row_data + b * FIELDS * n + i, n,
                                           col_data + b * FIELDS * m, m, mode, <float>eps,
                                           out_data + r * m)
                    else:
                        fastiou_mm_row_f64(row_data + b * FIELDS * n + i, n,
                                           col_data + b * FIELDS * m, m, mode, eps,
                                           out_data + r * m)
                    team_stamp(&clock)
            team_close(&clock)


def cython_bbox_overlaps(const double[:, ::1] boxes, const double[:, ::1] query_boxes,
                         double[:, ::1] out, int n_threads):
    """cython_bbox's bbox_overlaps (``w = x2 - x1 + 1``) of ``(N, 4)`` boxes and ``(K, 4)``
    query boxes into the ``(N, K)`` `out`. Returns True when a pair would divide by a
    zero union (cython_bbox raises ZeroDivisionError there)."""
    cdef Py_ssize_t n = boxes.shape[0], m = query_boxes.shape[0], i, j
    cdef int zero_union = 0
    if n == 0 or m == 0:
        return False
    cdef double[:, ::1] cols = np.empty((5, m), dtype=np.float64)
    for j in range(m):
        cols[0, j] = query_boxes[j, 0]
        cols[1, j] = query_boxes[j, 1]
        cols[2, j] = query_boxes[j, 2]
        cols[3, j] = query_boxes[j, 3]
        cols[4, j] = (query_boxes[j, 2] - query_boxes[j, 0] + 1) * (query_boxes[j, 3] - query_boxes[j, 1] + 1)
    cdef const double* box_data = &boxes[0, 0]
    cdef const double* col_data = &cols[0, 0]
    cdef double* out_data = &out[0, 0]
    with nogil:
        for i in prange(n, num_threads=n_threads, schedule="static"):
            zero_union |= fastiou_cython_bbox_row(box_data[4 * i], box_data[4 * i + 1],
                                                  box_data[4 * i + 2], box_data[4 * i + 3],
                                                  col_data, m, out_data + i * m)
    return zero_union != 0


def coco_box_overlaps(const double[:, ::1] dt, const double[:, ::1] gt, const uint8_t[::1] iscrowd,
                      double[:, ::1] out, int n_threads):
    """pycocotools' bbIou of ``(m, 4)`` detections and ``(n, 4)`` ground truths (xywh) with
    one crowd flag per ground truth, into the ``(m, n)`` `out`."""
    cdef Py_ssize_t m = dt.shape[0], n = gt.shape[0], i, j
    if m == 0 or n == 0:
        return
    cdef double[:, ::1] cols = np.empty((5, n), dtype=np.float64)
    for j in range(n):
        cols[0, j] = gt[j, 0]
        cols[1, j] = gt[j, 1]
        cols[2, j] = gt[j, 2] + gt[j, 0]
        cols[3, j] = gt[j, 3] + gt[j, 1]
        cols[4, j] = gt[j, 2] * gt[j, 3]
    cdef const double* dt_data = &dt[0, 0]
    cdef const double* col_data = &cols[0, 0]
    cdef const uint8_t* crowd = &iscrowd[0]
    cdef double* out_data = &out[0, 0]
    cdef TeamClock clock = team_open(n_threads)
    with nogil:
        with parallel(num_threads=n_threads):
            team_stamp(&clock)
            for i in prange(m, schedule="static"):
                fastiou_coco_row(dt_data[4 * i], dt_data[4 * i + 1], dt_data[4 * i + 2],
                                 dt_data[4 * i + 3], col_data, crowd, n, out_data + i * n)
                team_stamp(&clock)
        team_close(&clock)


cdef bint regular(const real* boxes, Py_ssize_t n, real offset, real least) noexcept nogil:
    """Whether every box is finite with ``w = x2 - x1 + offset > 0``, ``h > 0`` likewise
    and a finite area ``w * h >= least`` (and > 0), all in the boxes' dtype."""
    cdef Py_ssize_t k
    cdef real w, h, area
    cdef bint ok = True
    for k in range(n):
        w = boxes[4 * k + 2] - boxes[4 * k] + offset
        h = boxes[4 * k + 3] - boxes[4 * k + 1] + offset
        area = w * h
        ok &= (isfinite(boxes[4 * k]) and isfinite(boxes[4 * k + 1]) and isfinite(boxes[4 * k + 2])
               and isfinite(boxes[4 * k + 3]) and w > 0 and h > 0 and isfinite(area)
               and area > 0 and area >= least)
    return ok


def regular_iou(cnp.ndarray boxes1, cnp.ndarray boxes2, double offset, double min_area,
                int n_threads):
    """fastiou's own IoU (``_boxes.plain_iou`` with `offset`) of two C-contiguous
    ``(N, 4)`` / ``(M, 4)`` arrays of one native float dtype (N, M > 0) when every box is
    regular: finite, ``x2 - x1 + offset > 0``, ``y2 - y1 + offset > 0`` and a finite area
    of at least `min_area`, in the boxes' dtype. For such boxes that kernel gives the
    peers' IoU bit for bit (its clamps and its 0/0 and NaN rules never apply, and its cap
    at 1 never binds in xyxy), faster. None for any other input (the caller then runs the
    peer-exact kernel)."""
    cdef int kind = cnp.PyArray_TYPE(boxes1)
    if (cnp.PyArray_NDIM(boxes1) != 2 or cnp.PyArray_NDIM(boxes2) != 2
            or cnp.PyArray_DIM(boxes1, 1) != 4 or cnp.PyArray_DIM(boxes2, 1) != 4
            or cnp.PyArray_DIM(boxes1, 0) == 0 or cnp.PyArray_DIM(boxes2, 0) == 0
            or (kind != cnp.NPY_FLOAT32 and kind != cnp.NPY_FLOAT64)
            or cnp.PyArray_TYPE(boxes2) != kind
            or not cnp.PyArray_ISCARRAY_RO(boxes1) or not cnp.PyArray_ISCARRAY_RO(boxes2)):
        return None
    cdef Py_ssize_t n = cnp.PyArray_DIM(boxes1, 0), m = cnp.PyArray_DIM(boxes2, 0)
    cdef const void* first = cnp.PyArray_DATA(boxes1)
    cdef const void* second = cnp.PyArray_DATA(boxes2)
    cdef bint ok
    with nogil:
        if kind == cnp.NPY_FLOAT32:
            ok = (regular(<const float*>first, n, <float>offset, <float>min_area)
                  and regular(<const float*>second, m, <float>offset, <float>min_area))
        else:
            ok = (regular(<const double*>first, n, offset, min_area)
                  and regular(<const double*>second, m, offset, min_area))
    if not ok:
        return None
    return _boxes.plain_iou(boxes1, boxes2, offset, n_threads)


cdef void convert_rows(const real* boxes, Py_ssize_t n, int in_fmt, int out_fmt,
                       real* out) noexcept nogil:
    """torchvision's box_convert of `n` boxes, operation for operation in the boxes' dtype:
    to corners ``x + w`` (xywh) or ``cx -/+ 0.5 * w`` (cxcywh), then from corners
    ``x2 - x1`` (xywh) or ``(x1 + x2) / 2`` and ``x2 - x1`` (cxcywh)."""
    cdef Py_ssize_t k
    cdef real a, b, c, d, x1, y1, x2, y2
    cdef real half = 0.5, two = 2
    for k in range(n):
        a = boxes[4 * k]
        b = boxes[4 * k + 1]
        c = boxes[4 * k + 2]
        d = boxes[4 * k + 3]
        if in_fmt == FMT_XYWH:
            x1, y1, x2, y2 = a, b, a + c, b + d
        elif in_fmt == FMT_CXCYWH:
            x1, y1, x2, y2 = a - half * c, b - half * d, a + half * c, b + half * d
        else:
            x1, y1, x2, y2 = a, b, c, d
        if out_fmt == FMT_XYWH:
            out[4 * k], out[4 * k + 1], out[4 * k + 2], out[4 * k + 3] = x1, y1, x2 - x1, y2 - y1
        elif out_fmt == FMT_CXCYWH:
            out[4 * k] = (x1 + x2) / two
            out[4 * k + 1] = (y1 + y2) / two
            out[4 * k + 2] = x2 - x1
            out[4 * k + 3] = y2 - y1
        else:
            out[4 * k], out[4 * k + 1], out[4 * k + 2], out[4 * k + 3] = x1, y1, x2, y2


cdef void area_rows(const real* boxes, Py_ssize_t n, int fmt, real* out) noexcept nogil:
    """torchvision's box_area of `n` boxes: ``(x2 - x1) * (y2 - y1)`` (xyxy) or ``w * h``,
    in the boxes' dtype, never clamped."""
    cdef Py_ssize_t k
    for k in range(n):
        if fmt == FMT_XYXY:
            out[k] = (boxes[4 * k + 2] - boxes[4 * k]) * (boxes[4 * k + 3] - boxes[4 * k + 1])
        else:
            out[k] = boxes[4 * k + 2] * boxes[4 * k + 3]


cdef bint plain_float_boxes(cnp.ndarray boxes):
    """Whether `boxes` is a C-contiguous ``(..., 4)`` array of native float32 or float64
    (what :func:`convert` and :func:`area` take; the callers compute anything else)."""
    cdef int kind = cnp.PyArray_TYPE(boxes)
    cdef int ndim = cnp.PyArray_NDIM(boxes)
    return (ndim >= 1 and cnp.PyArray_DIM(boxes, ndim - 1) == 4
            and (kind == cnp.NPY_FLOAT32 or kind == cnp.NPY_FLOAT64)
            and cnp.PyArray_ISCARRAY_RO(boxes) and cnp.PyArray_ISNOTSWAPPED(boxes))


def convert(cnp.ndarray boxes, int in_fmt, int out_fmt):
    """torchvision's box_convert (formats numbered as ``_pairs.pxd``) of a C-contiguous
    ``(..., 4)`` float32 or float64 array into a new array of its shape and dtype; None for
    any other array. No NumPy ufunc runs, so an overflow to infinity warns nowhere (torch
    does not warn either)."""
    if not plain_float_boxes(boxes):
        return None
    out = np.empty_like(boxes)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(boxes) // 4
    cdef const void* data = cnp.PyArray_DATA(boxes)
    cdef void* result = cnp.PyArray_DATA(out)
    with nogil:
        if cnp.PyArray_TYPE(boxes) == cnp.NPY_FLOAT32:
            convert_rows(<const float*>data, n, in_fmt, out_fmt, <float*>result)
        else:
            convert_rows(<const double*>data, n, in_fmt, out_fmt, <double*>result)
    return out


def area(cnp.ndarray boxes, int fmt):
    """torchvision's box_area (xyxy, or w * h for xywh and cxcywh) of a C-contiguous
    ``(..., 4)`` float32 or float64 array: a new ``(...)`` array of its dtype; None for any
    other array."""
    if not plain_float_boxes(boxes):
        return None
    out = np.empty((<object>boxes).shape[:-1], dtype=boxes.dtype)
    cdef Py_ssize_t n = cnp.PyArray_SIZE(boxes) // 4
    cdef const void* data = cnp.PyArray_DATA(boxes)
    cdef void* result = cnp.PyArray_DATA(out)
    with nogil:
        if cnp.PyArray_TYPE(boxes) == cnp.NPY_FLOAT32:
            area_rows(<const float*>data, n, fmt, <float*>result)
        else:
            area_rows(<const double*>data, n, fmt, <double*>result)
    return out
