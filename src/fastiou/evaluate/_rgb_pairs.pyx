"""Two COCO panoptic PNGs (8-bit RGB or RGBA) decoded and counted together, a row at a time:
the overlap table of their segment ids, without an image-sized array of pixels or ids.

Private: the wrapper ``fastiou.evaluate._rgb_overlaps.png_pair_overlaps`` prepares the input
(the two images inflated, still filtered) and calls :func:`count_rgb_png_pair`;
``fastiou.compat.panopticapi`` (``pq_compute``, ``fastiou eval --panoptic``, Dask) counts its
PNG pairs with it.

Each row of either image is unfiltered by ``fastiou.evaluate._unfilter`` into one of two
row buffers (the other holds the row above), then the pair of rows is counted from the
pair above it (``include/fastiou_rgb_rows.h``): only the pixels whose (ground truth,
prediction) pair changed from the pixel above move counts. A row stored with the filter Up
or Paeth and nothing but zero bytes repeats the row above: it is neither unfiltered nor
counted (in segment maps most rows are such).
"""

from libc.stdint cimport int64_t, uint8_t, uint64_t

import numpy as np

from fastiou.evaluate._unfilter cimport unfilter_rows
from fastiou.segmentation._simd cimport simd_level

cdef enum:
    UP = 2
    PAETH = 4
    # what count_rgb_png_pair returns besides a bad row's index
    STATUS_COUNTED = -1
    STATUS_TABLE_FULL = -2

TABLE_FULL = STATUS_TABLE_FULL
COUNTED = STATUS_COUNTED


cdef inline bint repeats_above(int level, const uint8_t* filtered, Py_ssize_t n) noexcept nogil:
    """Whether a filtered row (its filter byte, then `n` bytes) decodes to the row above."""
    return (filtered[0] == UP or filtered[0] == PAETH) and fiou_all_zero(level, filtered + 1, n)


def count_rgb_png_pair(const uint8_t[::1] gt, const uint8_t[::1] pred, Py_ssize_t height,
                       Py_ssize_t width, Py_ssize_t gt_bpp, Py_ssize_t pred_bpp,
                       Py_ssize_t capacity):
    """``(status, keys, counts)``: the pixels each pair ``gt_id << 32 | pred_id`` of two
    8-bit RGB(A) PNG images covers, on one thread with the GIL released.

    `gt` and `pred` are the images' inflated, still filtered data: `height` rows of `width`
    pixels, `gt_bpp` and `pred_bpp` (3 for RGB, 4 for RGBA) bytes a pixel, each row after
    its filter byte. `keys` (uint64) and `counts` (int64) form an open-addressing table of
    `capacity` slots (a power of two): a slot with count 0 is empty. `status` is
    ``COUNTED`` (-1) when every row was counted, ``TABLE_FULL`` (-2) when the images hold
    more than ``capacity // 2`` pairs (call again with a larger `capacity`), or the index of
    the first row whose filter byte is not 0..4 in either image (the tables are then
    unfinished; a decode of the files says what is wrong).
    """
    cdef Py_ssize_t gn = width * gt_bpp, pn = width * pred_bpp, y, shift = 64
    if height < 1 or width < 1 or gt_bpp not in (3, 4) or pred_bpp not in (3, 4) or \
            gt.shape[0] != height * (gn + 1) or pred.shape[0] != height * (pn + 1):
        raise ValueError(f"{gt.shape[0]} and {pred.shape[0]} filtered bytes do not fit "
                         f"{height} rows of {width} pixels of {gt_bpp} and {pred_bpp} bytes")
    if capacity < 2 or capacity & (capacity - 1):
        raise ValueError(f"capacity {capacity} is not a power of two >= 2")
    while (<Py_ssize_t>1 << (64 - shift)) < capacity:
        shift -= 1
    keys = np.full(capacity, FIOU_EMPTY_KEY, dtype=np.uint64)
    counts = np.zeros(capacity, dtype=np.int64)
    rows = np.empty(2 * (gn + pn), dtype=np.uint8)  # two row buffers an image
    cdef uint64_t[::1] keys_v = keys
    cdef int64_t[::1] counts_v = counts
    cdef uint8_t[::1] rows_v = rows
    cdef fiou_pair_table table
    table.keys, table.counts, table.capacity = &keys_v[0], &counts_v[0], capacity
    table.shift, table.used, table.full = <int>shift, 0, 0
    cdef uint8_t* g_buffers[2]
    cdef uint8_t* p_buffers[2]
    g_buffers[0], g_buffers[1] = &rows_v[0], &rows_v[gn]
    p_buffers[0], p_buffers[1] = &rows_v[2 * gn], &rows_v[2 * gn + pn]
    cdef const uint8_t* g_filtered
    cdef const uint8_t* p_filtered
    cdef uint8_t* g_row = NULL
    cdef uint8_t* p_row = NULL
    cdef uint8_t* g_above = NULL
    cdef uint8_t* p_above = NULL
    cdef bint g_same, p_same
    cdef Py_ssize_t status = STATUS_COUNTED
    cdef int level = simd_level()
    with nogil:
        for y in range(height):
            g_filtered = &gt[0] + y * (gn + 1)
            p_filtered = &pred[0] + y * (pn + 1)
            g_same = y > 0 and repeats_above(level, g_filtered, gn)
            p_same = y > 0 and repeats_above(level, p_filtered, pn)
            if g_same and p_same:
                continue
            if g_same:
                g_row = g_above
            else:
                g_row = g_buffers[1] if g_above == g_buffers[0] else g_buffers[0]
                if unfilter_rows(g_filtered, g_row, 1, gn, gt_bpp, g_above) >= 0:
                    status = y
                    break
            if p_same:
                p_row = p_above
            else:
                p_row = p_buffers[1] if p_above == p_buffers[0] else p_buffers[0]
                if unfilter_rows(p_filtered, p_row, 1, pn, pred_bpp, p_above) >= 0:
                    status = y
                    break
            if y == 0:
                fiou_count_rgb_row(level, g_row, gt_bpp, p_row, pred_bpp, width, height, &table)
            else:
                fiou_count_rgb_changes(level, g_row, g_above, gt_bpp, p_row, p_above, pred_bpp,
                                       width, height - y, &table)
            if table.full:
                status = STATUS_TABLE_FULL
                break
            g_above, p_above = g_row, p_row
    return status, keys, counts
