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
from cython.parallel cimport prange
from libc.math cimport isfinite
from libc.stdint cimport uint8_t

import numpy as np

from fastiou.detection import _boxes

cnp.import_array()

cdef extern from *:
    """
    #include <stddef.h>
    #include <stdint.h>
    /* Comparisons may be assumed not to trap (lets GCC vectorise the selects); no fused
       multiply-add contraction, so every product and sum is rounded as the peers round
       them, in every clone below. Values are unchanged by the first and kept exact by
       the second. */
    #if defined(__GNUC__) && !defined(__clang__)
    #pragma GCC optimize ("no-trapping-math")
    #pragma GCC optimize ("fp-contract=off")
    #endif
    #if defined(__clang__)
    #pragma clang fp contract(off)
    #endif
    /* AVX-512, AVX2 and baseline copies of each row loop, picked at load time (GCC,
       x86-64, glibc); one baseline build elsewhere. Same values in every copy. */
    #if defined(__GNUC__) && !defined(__clang__) && defined(__x86_64__) && defined(__GLIBC__)
    #define FASTIOU_CB_CLONES __attribute__((target_clones("avx512f", "avx2", "default")))
    #else
    #define FASTIOU_CB_CLONES
    #endif

    /* The peers' min/max, written with `|` rather than `||` so that GCC turns each into
       compare-and-blend instructions (a branch per pair costs ~20x more on random boxes).
       x != x is NaN.
       torch.max / torch.min (torchvision, mmdet): NaN if either operand is NaN. */
    #define FASTIOU_TMAX(a, b) ((((a) > (b)) | ((a) != (a))) ? (a) : (b))
    #define FASTIOU_TMIN(a, b) ((((a) < (b)) | ((a) != (a))) ? (a) : (b))
    /* torch's clamp(min=0): NaN stays NaN */
    #define FASTIOU_CLAMP0(a, ZERO) ((a) < (ZERO) ? (ZERO) : (a))
    /* Cython's min(a, b) / max(a, b) on C doubles (cython_bbox) */
    #define FASTIOU_CYMIN(a, b) ((b) < (a) ? (b) : (a))
    #define FASTIOU_CYMAX(a, b) ((b) > (a) ? (b) : (a))
    /* C's fmin / fmax (pycocotools): a NaN operand is ignored */
    #define FASTIOU_FMIN(a, b) ((((a) < (b)) | ((b) != (b))) ? (a) : (b))
    #define FASTIOU_FMAX(a, b) ((((a) > (b)) | ((b) != (b))) ? (a) : (b))

    /* Per-box columns, each n long: X1, Y1, X2, Y2 (the corners that enter max/min), the
       area and the centre (xyxy: (x1 + x2) / 2). */
    enum { FASTIOU_CB_X1, FASTIOU_CB_Y1, FASTIOU_CB_X2, FASTIOU_CB_Y2, FASTIOU_CB_AREA,
           FASTIOU_CB_CX, FASTIOU_CB_CY, FASTIOU_CB_FIELDS };

    /* torchvision, one pair: MODE 0 IoU, 1 GIoU, 2 DIoU, 3 CIoU (ANGLE, ANGLE_J: atan(w / h)
       of the two boxes) */
    #define FASTIOU_TV_PAIR(T, MODE, J, ANGLE_J, RESULT)                                   \
        {                                                                                  \
            T w = FASTIOU_TMIN(ax2, x2[J]) - FASTIOU_TMAX(ax1, x1[J]);                     \
            T h = FASTIOU_TMIN(ay2, y2[J]) - FASTIOU_TMAX(ay1, y1[J]);                     \
            T inter = FASTIOU_CLAMP0(w, zero) * FASTIOU_CLAMP0(h, zero);                   \
            T uni = area + areas[J] - inter;                                               \
            T iou = inter / uni;                                                           \
            if ((MODE) == 0) {                                                             \
                RESULT = iou;                                                              \
            } else {                                                                       \
                T ew = FASTIOU_TMAX(ax2, x2[J]) - FASTIOU_TMIN(ax1, x1[J]);                \
                T eh = FASTIOU_TMAX(ay2, y2[J]) - FASTIOU_TMIN(ay1, y1[J]);                \
                ew = FASTIOU_CLAMP0(ew, zero);                                             \
                eh = FASTIOU_CLAMP0(eh, zero);                                             \
                if ((MODE) == 1) {                                                         \
                    T enclosed = ew * eh;                                                  \
                    RESULT = iou - (enclosed - uni) / enclosed;                            \
                } else {                                                                   \
                    T dx = acx - cx[J], dy = acy - cy[J];                                  \
                    T diou = iou - (dx * dx + dy * dy) / (ew * ew + eh * eh + eps);        \
                    if ((MODE) == 2) {                                                     \
                        RESULT = diou;                                                     \
                    } else {                                                               \
                        T d = angle - (ANGLE_J);                                           \
                        T v = k * (d * d);                                                 \
                        T alpha = v / (one - iou + v + eps);                               \
                        RESULT = diou - alpha * v;                                         \
                    }                                                                      \
                }                                                                          \
            }                                                                              \
        }
    /* row box (columns `row`, stride rs) against m column boxes; one loop per mode, each
       with the mode a constant, so that each vectorises */
    #define FASTIOU_TV_ROW(NAME, T)                                                        \
    FASTIOU_CB_CLONES static void NAME(const T* row, ptrdiff_t rs, const T* cols, ptrdiff_t m, \
                                       int mode, T eps, T k, T angle, const T* angles,     \
                                       T* out) {                                          \
        const T ax1 = row[0], ay1 = row[rs], ax2 = row[2 * rs], ay2 = row[3 * rs];        \
        const T area = row[4 * rs], acx = row[5 * rs], acy = row[6 * rs];                  \
        const T* x1 = cols;                                                                \
        const T* y1 = cols + m;                                                            \
        const T* x2 = cols + 2 * m;                                                        \
        const T* y2 = cols + 3 * m;                                                        \
        const T* areas = cols + 4 * m;                                                     \
        const T* cx = cols + 5 * m;                                                        \
        const T* cy = cols + 6 * m;                                                        \
        const T zero = 0, one = 1;                                                         \
        ptrdiff_t j;                                                                       \
        if (mode == 0) {                                                                   \
            for (j = 0; j < m; j++) FASTIOU_TV_PAIR(T, 0, j, zero, out[j])                 \
        } else if (mode == 1) {                                                            \
            for (j = 0; j < m; j++) FASTIOU_TV_PAIR(T, 1, j, zero, out[j])                 \
        } else if (mode == 2) {                                                            \
            for (j = 0; j < m; j++) FASTIOU_TV_PAIR(T, 2, j, zero, out[j])                 \
        } else {                                                                           \
            for (j = 0; j < m; j++) FASTIOU_TV_PAIR(T, 3, j, angles[j], out[j])            \
        }                                                                                  \
    }
    FASTIOU_TV_ROW(fastiou_tv_row_f32, float)
    FASTIOU_TV_ROW(fastiou_tv_row_f64, double)

    /* mmdet's bbox_overlaps of one pair: mode 0 IoU, 1 IoF, 2 GIoU */
    #define FASTIOU_MM_PAIR(T, MODE, AX1, AY1, AX2, AY2, AREA, BX1, BY1, BX2, BY2, BAREA, RESULT)    \
        {                                                                                  \
            T w = FASTIOU_TMIN(AX2, BX2) - FASTIOU_TMAX(AX1, BX1);                         \
            T h = FASTIOU_TMIN(AY2, BY2) - FASTIOU_TMAX(AY1, BY1);                         \
            T overlap = FASTIOU_CLAMP0(w, zero) * FASTIOU_CLAMP0(h, zero);                 \
            T uni = (MODE) == 1 ? (AREA) : (AREA) + (BAREA) - overlap;                     \
            uni = FASTIOU_TMAX(uni, eps);                                                  \
            T ious = overlap / uni;                                                        \
            if ((MODE) == 2) {                                                             \
                T ew = FASTIOU_TMAX(AX2, BX2) - FASTIOU_TMIN(AX1, BX1);                    \
                T eh = FASTIOU_TMAX(AY2, BY2) - FASTIOU_TMIN(AY1, BY1);                    \
                T enclosed = FASTIOU_CLAMP0(ew, zero) * FASTIOU_CLAMP0(eh, zero);          \
                enclosed = FASTIOU_TMAX(enclosed, eps);                                    \
                ious = ious - (enclosed - uni) / enclosed;                                 \
            }                                                                              \
            RESULT = ious;                                                                 \
        }
    /* one box of bboxes1 (columns `row`, stride rs) against the m boxes `cols` */
    #define FASTIOU_MM_ROW(NAME, T)                                                        \
    FASTIOU_CB_CLONES static void NAME(const T* row, ptrdiff_t rs, const T* cols, ptrdiff_t m, \
                                       int mode, T eps, T* out) {                         \
        const T ax1 = row[0], ay1 = row[rs], ax2 = row[2 * rs], ay2 = row[3 * rs];        \
        const T area = row[4 * rs];                                                        \
        const T* x1 = cols;                                                                \
        const T* y1 = cols + m;                                                            \
        const T* x2 = cols + 2 * m;                                                        \
        const T* y2 = cols + 3 * m;                                                        \
        const T* areas = cols + 4 * m;                                                     \
        const T zero = 0;                                                                  \
        if (mode == 0) {                                                                   \
            for (ptrdiff_t j = 0; j < m; j++)                                              \
                FASTIOU_MM_PAIR(T, 0, ax1, ay1, ax2, ay2, area, x1[j], y1[j], x2[j], y2[j], \
                                areas[j], out[j])                                          \
        } else if (mode == 1) {                                                            \
            for (ptrdiff_t j = 0; j < m; j++)                                              \
                FASTIOU_MM_PAIR(T, 1, ax1, ay1, ax2, ay2, area, x1[j], y1[j], x2[j], y2[j], \
                                areas[j], out[j])                                          \
        } else {                                                                           \
            for (ptrdiff_t j = 0; j < m; j++)                                              \
                FASTIOU_MM_PAIR(T, 2, ax1, ay1, ax2, ay2, area, x1[j], y1[j], x2[j], y2[j], \
                                areas[j], out[j])                                          \
        }                                                                                  \
    }                                                                                      \
    /* pairs first..last-1 of aligned boxes (both column blocks n long) */                 \
    FASTIOU_CB_CLONES static void NAME##_aligned(const T* rows, const T* cols, ptrdiff_t n, \
                                                 ptrdiff_t first, ptrdiff_t last, int mode, \
                                                 T eps, T* out) {                          \
        const T zero = 0;                                                                  \
        for (ptrdiff_t i = first; i < last; i++)                                           \
            FASTIOU_MM_PAIR(T, mode, rows[i], rows[n + i], rows[2 * n + i], rows[3 * n + i],     \
                            rows[4 * n + i], cols[i], cols[n + i], cols[2 * n + i],        \
                            cols[3 * n + i], cols[4 * n + i], out[i])                      \
    }
    FASTIOU_MM_ROW(fastiou_mm_row_f32, float)
    FASTIOU_MM_ROW(fastiou_mm_row_f64, double)

    /* cython_bbox: returns 1 when an overlapping pair has a zero union */
    FASTIOU_CB_CLONES static int fastiou_cython_bbox_row(
            double bx1, double by1, double bx2, double by2, const double* cols, ptrdiff_t m,
            double* out) {
        const double area = (bx2 - bx1 + 1) * (by2 - by1 + 1);
        const double* qx1 = cols;
        const double* qy1 = cols + m;
        const double* qx2 = cols + 2 * m;
        const double* qy2 = cols + 3 * m;
        const double* qarea = cols + 4 * m;
        int zero_union = 0;
        for (ptrdiff_t j = 0; j < m; j++) {
            double iw = FASTIOU_CYMIN(bx2, qx2[j]) - FASTIOU_CYMAX(bx1, qx1[j]) + 1;
            double ih = FASTIOU_CYMIN(by2, qy2[j]) - FASTIOU_CYMAX(by1, qy1[j]) + 1;
            double inter = iw * ih;
            double ua = area + qarea[j] - inter;
            int overlapping = (iw > 0) & (ih > 0);
            zero_union |= overlapping & (ua == 0);
            out[j] = overlapping ? inter / ua : 0.0;
        }
        return zero_union;
    }

    /* pycocotools' bbIou: one detection against m ground truths (columns x1, y1, x1 + w,
       y1 + h, w * h) with their crowd flags */
    FASTIOU_CB_CLONES static void fastiou_coco_row(
            double dx1, double dy1, double dw, double dh, const double* cols,
            const uint8_t* crowd, ptrdiff_t m, double* out) {
        const double dx2 = dw + dx1, dy2 = dh + dy1, da = dw * dh;
        const double* gx1 = cols;
        const double* gy1 = cols + m;
        const double* gx2 = cols + 2 * m;
        const double* gy2 = cols + 3 * m;
        const double* ga = cols + 4 * m;
        for (ptrdiff_t j = 0; j < m; j++) {
            double w = FASTIOU_FMIN(dx2, gx2[j]) - FASTIOU_FMAX(dx1, gx1[j]);
            double h = FASTIOU_FMIN(dy2, gy2[j]) - FASTIOU_FMAX(dy1, gy1[j]);
            double inter = w * h;
            double uni = crowd[j] ? da : da + ga[j] - inter;
            out[j] = ((w <= 0) | (h <= 0)) ? 0.0 : inter / uni;
        }
    }
    """
    void fastiou_tv_row_f32(const float* row, Py_ssize_t rs, const float* cols, Py_ssize_t m,
                            int mode, float eps, float k, float angle, const float* angles,
                            float* out) noexcept nogil
    void fastiou_tv_row_f64(const double* row, Py_ssize_t rs, const double* cols, Py_ssize_t m,
                            int mode, double eps, double k, double angle, const double* angles,
                            double* out) noexcept nogil
    void fastiou_mm_row_f32(const float* row, Py_ssize_t rs, const float* cols, Py_ssize_t m,
                            int mode, float eps, float* out) noexcept nogil
    void fastiou_mm_row_f64(const double* row, Py_ssize_t rs, const double* cols, Py_ssize_t m,
                            int mode, double eps, double* out) noexcept nogil
    void fastiou_mm_row_f32_aligned(const float* rows, const float* cols, Py_ssize_t n,
                                    Py_ssize_t first, Py_ssize_t last, int mode, float eps,
                                    float* out) noexcept nogil
    void fastiou_mm_row_f64_aligned(const double* rows, const double* cols, Py_ssize_t n,
                                    Py_ssize_t first, Py_ssize_t last, int mode, double eps,
                                    double* out) noexcept nogil
    int fastiou_cython_bbox_row(double bx1, double by1, double bx2, double by2,
                                const double* cols, Py_ssize_t m, double* out) noexcept nogil
    void fastiou_coco_row(double dx1, double dy1, double dw, double dh, const double* cols,
                          const uint8_t* crowd, Py_ssize_t m, double* out) noexcept nogil

ctypedef fused real:
    float
    double

cdef enum:
    FMT_XYXY = 0
    FMT_XYWH = 1
    FMT_CXCYWH = 2

cdef enum:
    X1 = 0
    Y1 = 1
    X2 = 2
    Y2 = 3
    AREA = 4
    CX = 5
    CY = 6
    FIELDS = 7

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
    with nogil:
        for b in range(n_batches):
            torch_columns(&boxes1[b, 0, 0], n, fmt, row_data + b * FIELDS * n)
            torch_columns(&boxes2[b, 0, 0], m, fmt, col_data + b * FIELDS * m)
        for r in prange(n_batches * n, num_threads=n_threads, schedule="static"):
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
    with nogil:
        for b in range(n_batches):
            torch_columns(&boxes1[b, 0, 0], n, FMT_XYXY, row_data + b * FIELDS * n)
            torch_columns(&boxes2[b, 0, 0], m, FMT_XYXY, col_data + b * FIELDS * m)
        if aligned:
            for b in range(n_batches):
                for t in prange(threads, num_threads=threads, schedule="static"):
                    if real is float:
                        fastiou_mm_row_f32_aligned(row_data + b * FIELDS * n, col_data + b * FIELDS * n,
                                                   n, n * t // threads, n * (t + 1) // threads, mode,
                                                   <float>eps, out_data + b * n)
                    else:
                        fastiou_mm_row_f64_aligned(row_data + b * FIELDS * n, col_data + b * FIELDS * n,
                                                   n, n * t // threads, n * (t + 1) // threads, mode,
                                                   eps, out_data + b * n)
        else:
            for r in prange(n_batches * n, num_threads=n_threads, schedule="static"):
                b = r // n
                i = r - b * n
                if real is float:
                    fastiou_mm_row_f32(row_data + b * FIELDS * n + i, n, col_data + b * FIELDS * m,
                                       m, mode, <float>eps, out_data + r * m)
                else:
                    fastiou_mm_row_f64(row_data + b * FIELDS * n + i, n, col_data + b * FIELDS * m,
                                       m, mode, eps, out_data + r * m)


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
    with nogil:
        for i in prange(m, num_threads=n_threads, schedule="static"):
            fastiou_coco_row(dt_data[4 * i], dt_data[4 * i + 1], dt_data[4 * i + 2],
                             dt_data[4 * i + 3], col_data, crowd, n, out_data + i * n)


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
