/* The box profiles' peer-exact row loops of compat/_compat_boxes.pyx: torchvision, mmdet,
   cython_bbox and pycocotools arithmetic, one row of pairs at a time.
   Declared from _compat_boxes.pxd; compiled into that module only. */
#ifndef FASTIOU_COMPAT_BOX_ROWS_H
#define FASTIOU_COMPAT_BOX_ROWS_H

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

#endif /* FASTIOU_COMPAT_BOX_ROWS_H */
