"""Inner boundary bands of binary instance masks, for the boundary mask IoU.

Private: ``fastiou.detection.masks`` calls :func:`mask_bands` with a C-contiguous
(N, H, W) uint8 array of 0/1 masks. The band of a mask is the mask minus its erosion by a
3x3 square repeated `depth` times with a zero border (boundary-iou-api's
``mask_to_boundary``): a foreground pixel is kept unless its (2 depth + 1)-square window lies
inside the image and holds only foreground. The separable run-length scan of
``fastiou._shared._bands`` finds it in O(pixels) whatever the depth, one mask per task.
"""

from cython.parallel cimport prange
from libc.stdint cimport int32_t, uint8_t

import numpy as np

from fastiou._shared._bands cimport has_interior, scan_row
from fastiou._shared._openmp cimport omp_get_thread_num


cdef void band_of_mask(const uint8_t* mask, uint8_t* out, Py_ssize_t height, Py_ssize_t width,
                       Py_ssize_t depth, uint8_t* marked, uint8_t* changed,
                       int32_t* runs) noexcept nogil:
    cdef Py_ssize_t y, r, x, band_from = 0
    cdef int32_t full_run = <int32_t>(2 * depth + 1)
    if has_interior(height, width, depth):
        for y in range(height):
            scan_row(mask, width, depth, y, 0, marked, changed, runs)
            r = y - depth
            if r >= 0:
                for x in range(width):
                    out[r * width + x] = mask[r * width + x] != 0 and runs[x] != full_run
        band_from = height - depth
    for r in range(band_from, height):
        for x in range(width):
            out[r * width + x] = mask[r * width + x] != 0


def mask_bands(const uint8_t[:, :, ::1] masks, Py_ssize_t depth, int n_threads):
    """Return the (N, H, W) uint8 0/1 boundary bands of 0/1 `masks` at `depth`."""
    cdef Py_ssize_t n_masks = masks.shape[0], height = masks.shape[1], width = masks.shape[2]
    cdef Py_ssize_t index, tid
    bands = np.zeros((n_masks, height, width), dtype=np.uint8)
    if n_threads > n_masks:
        n_threads = max(1, n_masks)
    marked = np.empty((n_threads, 2, max(width, 1)), dtype=np.uint8)
    runs = np.empty((n_threads, max(width, 1)), dtype=np.int32)
    cdef uint8_t[:, :, ::1] bands_v = bands
    cdef uint8_t[:, :, ::1] marked_v = marked
    cdef int32_t[:, ::1] runs_v = runs
    if n_masks == 0 or height == 0 or width == 0:
        return bands
    for index in prange(n_masks, nogil=True, num_threads=n_threads, schedule="dynamic"):
        tid = omp_get_thread_num()
        band_of_mask(&masks[index, 0, 0], &bands_v[index, 0, 0], height, width, depth,
                     &marked_v[tid, 0, 0], &marked_v[tid, 1, 0], &runs_v[tid, 0])
    return bands
