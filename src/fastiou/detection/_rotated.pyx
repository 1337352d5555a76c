"""Rotated-box IoU: exact area of the intersection of two convex quadrilaterals.

Private: ``fastiou.boxes.rotated_box_iou`` validates the input, converts it once to
C-contiguous ``(B, N, 5)`` float64 ``(cx, cy, w, h, angle)`` arrays, resolves the thread
count and calls ``rotated_overlaps`` with the factor that turns an angle into radians
(negative for clockwise angles).

Geometry. With ``t`` the angle in radians, a box's half axes are
``u = (cos t, -sin t) * w / 2`` and ``v = (sin t, cos t) * h / 2`` (detectron2's
vertices: counter-clockwise on screen, where y points down) and its corners
``c + u + v, c - u + v, c - u - v, c + u - v``, a counter-clockwise walk in the (x, y)
plane. The intersection is box A clipped successively by the four edge half-planes of box
B (Sutherland-Hodgman, exact for convex polygons), computed in coordinates centred on
A so that large coordinates lose no precision; its area is the shoelace sum, clamped to
``[0, min(area A, area B)]``. A box with ``w <= 0`` or ``h <= 0`` has area 0 and meets
nothing. A box with a NaN or infinite value gives NaN in all its pairs. A pair whose
axis-aligned extents do not overlap is 0 without clipping.
"""

from cython.parallel cimport parallel, prange
from libc.math cimport cos, fabs, sin

from fastiou._shared._team cimport TeamClock, team_close, team_open, team_stamp
from fastiou.detection._pairs cimport mark_non_finite_pairs

import numpy as np

cdef enum:
    CX = 0
    CY = 1
    UX = 2
    UY = 3
    VX = 4
    VY = 5
    AREA = 6
    EX = 7
    EY = 8
    FIELDS = 9
    # clipping a convex polygon by a half-plane adds at most one vertex; rounding can make
    # it very slightly non-convex, where it can at most double: 4 -> 8 -> 16 -> 32 -> 64
    MAX_VERTICES = 64


cdef void fill_frames(const double* boxes, Py_ssize_t n, double to_radians,
                      double* frames) noexcept nogil:
    """Centre, half axes, area and half extents of `n` boxes (FIELDS values per box)."""
    cdef Py_ssize_t k
    cdef double w, h, t, c, s
    cdef double* f
    for k in range(n):
        f = frames + FIELDS * k
        w = boxes[5 * k + 2]
        h = boxes[5 * k + 3]
        w = w if w > 0 else 0
        h = h if h > 0 else 0
        t = boxes[5 * k + 4] * to_radians
        c = cos(t)
        s = sin(t)
        f[CX] = boxes[5 * k]
        f[CY] = boxes[5 * k + 1]
        f[UX] = c * w / 2
        f[UY] = -s * w / 2
        f[VX] = s * h / 2
        f[VY] = c * h / 2
        f[AREA] = w * h
        f[EX] = fabs(f[UX]) + fabs(f[VX])
        f[EY] = fabs(f[UY]) + fabs(f[VY])


cdef inline void corners(const double* f, double dx, double dy, double* xs,
                         double* ys) noexcept nogil:
    """The four corners of frame `f`, counter-clockwise, shifted by (dx, dy)."""
    xs[0] = dx + f[UX] + f[VX]
    ys[0] = dy + f[UY] + f[VY]
    xs[1] = dx - f[UX] + f[VX]
    ys[1] = dy - f[UY] + f[VY]
    xs[2] = dx - f[UX] - f[VX]
    ys[2] = dy - f[UY] - f[VY]
    xs[3] = dx + f[UX] - f[VX]
    ys[3] = dy + f[UY] - f[VY]


cdef int clip(const double* xs, const double* ys, int count, double ax, double ay,
              double bx, double by, double* out_x, double* out_y) noexcept nogil:
    """Keep the part of polygon (xs, ys) left of the directed line a -> b; return its size."""
    cdef double ex = bx - ax, ey = by - ay
    cdef double d_prev, d_here, t
    cdef int k, prev, kept = 0
    if count == 0:
        return 0
    prev = count - 1
    d_prev = ex * (ys[prev] - ay) - ey * (xs[prev] - ax)
    for k in range(count):
        d_here = ex * (ys[k] - ay) - ey * (xs[k] - ax)
        if (d_prev > 0 and d_here < 0) or (d_prev < 0 and d_here > 0):
            t = d_prev / (d_prev - d_here)
            out_x[kept] = xs[prev] + t * (xs[k] - xs[prev])
            out_y[kept] = ys[prev] + t * (ys[k] - ys[prev])
            kept += 1
        if d_here >= 0:
            out_x[kept] = xs[k]
            out_y[kept] = ys[k]
            kept += 1
        prev = k
        d_prev = d_here
        if kept > MAX_VERTICES - 2:
            break
    return kept


cdef double intersection_area(const double* a, const double* b) noexcept nogil:
    """Area of the intersection of the boxes with frames `a` and `b`."""
    cdef double dx = b[CX] - a[CX]
    cdef double dy = b[CY] - a[CY]
    cdef double px[MAX_VERTICES]
    cdef double py[MAX_VERTICES]
    cdef double qx[MAX_VERTICES]
    cdef double qy[MAX_VERTICES]
    cdef double bxs[4]
    cdef double bys[4]
    cdef double area = 0, limit
    cdef int count = 4, edge, k, nxt
    if a[AREA] <= 0 or b[AREA] <= 0:
        return 0
    if fabs(dx) >= a[EX] + b[EX] or fabs(dy) >= a[EY] + b[EY]:
        return 0
    corners(a, 0, 0, px, py)
    corners(b, dx, dy, bxs, bys)
    for edge in range(4):
        nxt = (edge + 1) & 3
        if edge % 2 == 0:
            count = clip(px, py, count, bxs[edge], bys[edge], bxs[nxt], bys[nxt], qx, qy)
        else:
            count = clip(qx, qy, count, bxs[edge], bys[edge], bxs[nxt], bys[nxt], px, py)
    # four clips: the result is back in (px, py)
    for k in range(count):
        nxt = k + 1 if k + 1 < count else 0
        area += px[k] * py[nxt] - px[nxt] * py[k]
    area = area / 2
    limit = a[AREA] if a[AREA] < b[AREA] else b[AREA]
    if area < 0:
        return 0
    return area if area < limit else limit


cdef inline double pair_iou(const double* a, const double* b) noexcept nogil:
    cdef double inter = intersection_area(a, b)
    cdef double union = a[AREA] + b[AREA] - inter
    return inter / union if union > 0 else 0


def rotated_overlaps(const double[:, :, ::1] boxes1, const double[:, :, ::1] boxes2,
                     double to_radians, bint aligned, double[::1] out, int n_threads):
    """Fill `out` (flat, C order) with the IoU of every pair (or aligned pair) per batch.

    ``boxes1`` is ``(B, N, 5)``, ``boxes2`` ``(B, M, 5)``; ``out`` holds ``B * N * M``
    values (``B * N`` when aligned).
    """
    cdef Py_ssize_t n_batches = boxes1.shape[0]
    cdef Py_ssize_t n = boxes1.shape[1]
    cdef Py_ssize_t m = boxes2.shape[1]
    cdef Py_ssize_t n_rows = n_batches * n
    if n_rows == 0 or m == 0:
        return
    frames1 = np.empty((n_batches, n, FIELDS), dtype=np.float64)
    frames2 = np.empty((n_batches, m, FIELDS), dtype=np.float64)
    cdef double[:, :, ::1] f1 = frames1
    cdef double[:, :, ::1] f2 = frames2
    cdef int status
    cdef Py_ssize_t b, r, i, j
    cdef TeamClock clock = team_open(n_threads)
    with nogil:
        for b in range(n_batches):
            fill_frames(&boxes1[b, 0, 0], n, to_radians, &f1[b, 0, 0])
            fill_frames(&boxes2[b, 0, 0], m, to_radians, &f2[b, 0, 0])
        if aligned:
            with parallel(num_threads=n_threads):
                team_stamp(&clock)
                for r in prange(n_rows, schedule="dynamic", chunksize=64):
                    b = r // n
                    i = r - b * n
                    out[r] = pair_iou(&f1[b, i, 0], &f2[b, i, 0])
                    if r % 64 == 63:
                        team_stamp(&clock)
        else:
            with parallel(num_threads=n_threads):
                team_stamp(&clock)
                for r in prange(n_rows, schedule="dynamic", chunksize=4):
                    b = r // n
                    i = r - b * n
                    for j in range(m):
                        out[r * m + j] = pair_iou(&f1[b, i, 0], &f2[b, j, 0])
                    team_stamp(&clock)
        team_close(&clock)
        status = mark_non_finite_pairs(&boxes1[0, 0, 0], &boxes2[0, 0, 0], n_batches, n, m,
                                       5, aligned, &out[0])
    if status != 0:
        raise MemoryError("no memory for the non-finite box flags")
