# Inline helpers of the boundary-band kernels (segmentation/_boundary.pyx, detection/_mask_bands.pyx).
#
# A pixel of label c lies in the inner boundary band of c, for a depth d, unless its
# (2d+1) x (2d+1) window lies inside the image and holds only c. (That is c's mask minus its
# erosion by a 3x3 square repeated d times with a zero border, as boundary-iou-api's
# `mask_to_boundary` computes with OpenCV, for every label at once.) The test is separable:
# `uniform_row` marks the pixels whose row window [x-d, x+d] is inside the row and uniform;
# `column_runs` then keeps, per column, the length of the run of consecutive marked rows
# with the same label ending at the current row. The pixel d rows above the current one is
# inside its band's interior exactly when that run reaches 2d + 1 rows. One pass over the
# rows, O(pixels), whatever d and the number of labels.

from libc.stdint cimport INT32_MAX, int32_t, uint8_t, uint64_t
from libc.string cimport memcpy

from fastiou._shared._fused cimport label_t


cdef inline Py_ssize_t next_change(const uint8_t* changed, Py_ssize_t x,
                                   Py_ssize_t width) noexcept nogil:
    """The first index after `x` where changed[] is not 0, else `width` (eight bytes at a
    time over the long stretches without a change)."""
    cdef uint64_t word
    x += 1
    while x + 8 <= width:
        memcpy(&word, changed + x, 8)
        if word:
            break
        x += 8
    while x < width and not changed[x]:
        x += 1
    return x


cdef inline void uniform_row(const label_t* row, Py_ssize_t width, Py_ssize_t depth,
                             uint8_t* marked, uint8_t* changed) noexcept nogil:
    """marked[x] = 1 when row[x - depth .. x + depth] lies inside the row and is uniform
    (`changed` is scratch of `width` bytes: where the label differs from its left one)."""
    cdef Py_ssize_t start = 0, stop, x
    for x in range(1, width):  # branch-free: vectorised
        changed[x] = row[x] != row[x - 1]
    for x in range(width):
        marked[x] = 0
    while start < width:
        stop = next_change(changed, start, width)
        for x in range(start + depth, stop - depth):  # empty unless the run spans a window
            marked[x] = 1
        start = stop


cdef inline void column_runs(const label_t* row, const label_t* above, const uint8_t* marked,
                             int32_t* runs, Py_ssize_t width, int32_t cap) noexcept nogil:
    """runs[x] = length (at most `cap`) of the run of marked rows with row[x]'s label ending
    at this row; `above` is the previous row, or NULL for the first row scanned."""
    cdef Py_ssize_t x
    cdef int32_t run
    if above == NULL:
        for x in range(width):
            runs[x] = marked[x]
        return
    for x in range(width):  # branch-free 32-bit lanes, so that the compiler vectorises it
        run = (runs[x] & -<int32_t>(row[x] == above[x])) + 1
        run = run if run < cap else cap
        runs[x] = run & -<int32_t>marked[x]


cdef inline bint has_interior(Py_ssize_t height, Py_ssize_t width, Py_ssize_t depth) noexcept nogil:
    """Whether any window of an image this size lies inside it (else every pixel is band)."""
    return 2 * depth + 1 <= height and 2 * depth + 1 <= width and 2 * depth + 1 <= INT32_MAX


cdef inline void scan_row(const label_t* image, Py_ssize_t width, Py_ssize_t depth, Py_ssize_t y,
                          Py_ssize_t first_row, uint8_t* marked, uint8_t* changed,
                          int32_t* runs) noexcept nogil:
    """Advance the column runs of `image` (row-major, `width` columns) to row `y`; the scan
    of a block of rows [r0, r1) runs y from `first_row` = max(0, r0 - depth) to
    min(height, r1 + depth) - 1, and row y - depth (when >= r0) is then complete: its pixel
    x is interior exactly when runs[x] == 2 * depth + 1 (which `has_interior` keeps within
    int32)."""
    cdef const label_t* row = image + y * width
    uniform_row(row, width, depth, marked, changed)
    column_runs(row, row - width if y > first_row else NULL, marked, runs, width,
                <int32_t>(2 * depth + 1))
