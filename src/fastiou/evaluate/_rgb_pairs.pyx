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
from libc.string cimport memset

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


def compact_rows(uint8_t[::1] data, Py_ssize_t height, Py_ssize_t width, Py_ssize_t bpp):
    """``(status, offsets, size)``: the rows of one inflated 8-bit RGB(A) image (`height`
    rows of `width` pixels, `bpp` bytes each, each row after its filter byte) unfiltered in
    place, with the GIL released, each row that repeats the row above (filter Up or Paeth,
    all bytes zero) left out: the distinct rows follow each other from the start of `data`,
    row ``y`` is the ``width * bpp`` bytes at ``offsets[y]`` (int64), and the first ``size``
    bytes of `data` hold them all (the rest of `data` is no longer needed). `status` is -1,
    or the index of the first row whose filter byte is not 0..4 (the rows are then
    unfinished).

    Decoding in place is safe as in ``_unfilter.unfilter``: the k-th distinct row (k <= y)
    is written at least ``y + 1`` bytes before the filtered row y it comes from.
    """
    cdef Py_ssize_t n = width * bpp, y, k = 0, status = STATUS_COUNTED
    if height < 1 or width < 1 or bpp not in (3, 4) or data.shape[0] < height * (n + 1):
        raise ValueError(f"{data.shape[0]} bytes do not fit {height} filtered rows of "
                         f"{width} pixels of {bpp} bytes")
    offsets = np.empty(height, dtype=np.int64)
    cdef int64_t[::1] offsets_v = offsets
    cdef int level = simd_level()
    cdef uint8_t* base = &data[0]
    cdef const uint8_t* filtered
    with nogil:
        for y in range(height):
            filtered = base + y * (n + 1)
            if y > 0 and repeats_above(level, filtered, n):
                offsets_v[y] = offsets_v[y - 1]
                continue
            if unfilter_rows(filtered, base + k * n, 1, n, bpp,
                             NULL if k == 0 else base + (k - 1) * n) >= 0:
                status = y
                break
            offsets_v[y] = k * n
            k += 1
    return status, offsets, k * n


def count_rgb_png_pair(const uint8_t[::1] gt, const int64_t[::1] gt_offsets,
                       const uint8_t[::1] pred, Py_ssize_t height, Py_ssize_t width,
                       Py_ssize_t gt_bpp, Py_ssize_t pred_bpp, Py_ssize_t capacity):
    """``(status, keys, counts)``: the pixels each pair ``gt_id << 32 | pred_id`` of two
    8-bit RGB(A) images covers, on one thread with the GIL released.

    `gt` holds the ground truth's decoded rows (:func:`compact_rows`: row y is the
    ``width * gt_bpp`` bytes at ``gt_offsets[y]``; rows with one offset are equal); `pred`
    is the prediction's inflated, still filtered data: `height` rows of `width` pixels,
    `pred_bpp` (3 for RGB, 4 for RGBA) bytes a pixel, each row after its filter byte. The
    pairs are counted in an open-addressing table of `capacity` slots (a power of two),
    whose occupied slots are returned: `keys` (uint64) and `counts` (int64, all positive),
    in no particular order. `status` is ``COUNTED`` (-1) when every row was counted,
    ``TABLE_FULL`` (-2) when the images hold more than ``capacity // 2`` pairs (call again
    with a larger `capacity`), or the index of the first row whose filter byte is not 0..4
    in the prediction (a decode of the file says what is wrong).
    """
    cdef Py_ssize_t gn = width * gt_bpp, pn = width * pred_bpp, y, shift = 64, k, used = 0
    if height < 1 or width < 1 or gt_bpp not in (3, 4) or pred_bpp not in (3, 4) or \
            gt_offsets.shape[0] != height or pred.shape[0] != height * (pn + 1):
        raise ValueError(f"{pred.shape[0]} filtered bytes and {gt_offsets.shape[0]} row "
                         f"offsets do not fit {height} rows of {width} pixels")
    for y in range(height):
        if gt_offsets[y] < 0 or gt_offsets[y] + gn > gt.shape[0]:
            raise ValueError(f"row {y} of the ground truth lies outside its {gt.shape[0]} bytes")
    if capacity < 2 or capacity & (capacity - 1):
        raise ValueError(f"capacity {capacity} is not a power of two >= 2")
    while (<Py_ssize_t>1 << (64 - shift)) < capacity:
        shift -= 1
    keys = np.empty(capacity, dtype=np.uint64)
    counts = np.empty(capacity, dtype=np.int64)
    rows = np.empty(2 * pn, dtype=np.uint8)  # the prediction's row and the row above
    cdef uint64_t[::1] keys_v = keys
    cdef int64_t[::1] counts_v = counts
    cdef uint8_t[::1] rows_v = rows
    cdef fiou_pair_table table
    table.keys, table.counts, table.capacity = &keys_v[0], &counts_v[0], capacity
    table.shift, table.used, table.full = <int>shift, 0, 0
    cdef uint8_t* p_buffers[2]
    p_buffers[0], p_buffers[1] = &rows_v[0], &rows_v[pn]
    cdef const uint8_t* p_filtered
    cdef const uint8_t* g_row
    cdef const uint8_t* g_above = NULL
    cdef uint8_t* p_row = NULL
    cdef uint8_t* p_above = NULL
    cdef bint g_same, p_same
    cdef Py_ssize_t status = STATUS_COUNTED
    cdef int level = simd_level()
    with nogil:
        memset(&keys_v[0], 0xFF, capacity * sizeof(uint64_t))  # FIOU_EMPTY_KEY
        for y in range(height):
            g_row = &gt[0] + gt_offsets[y]
            p_filtered = &pred[0] + y * (pn + 1)
            g_same = y > 0 and g_row == g_above
            p_same = y > 0 and repeats_above(level, p_filtered, pn)
            if g_same and p_same:
                continue
            if p_same:
                p_row = p_above
            else:
                p_row = p_buffers[1] if p_above == p_buffers[0] else p_buffers[0]
                if unfilter_rows(p_filtered, p_row, 1, pn, pred_bpp, p_above) >= 0:
                    status = y
                    break
            if y == 0:
                fiou_count_rgb_row(level, g_row, gt_bpp, p_row, pred_bpp, width, height,
                                   &table)
            else:
                fiou_count_rgb_changes(level, g_row, g_above, gt_bpp, p_row, p_above,
                                       pred_bpp, width, height - y, &table)
            if table.full:
                status = STATUS_TABLE_FULL
                break
            g_above, p_above = g_row, p_row
        if status == STATUS_COUNTED:  # the occupied slots to the front
            for k in range(capacity):
                if keys_v[k] != FIOU_EMPTY_KEY:
                    keys_v[used], counts_v[used] = keys_v[k], counts_v[k]
                    used += 1
    return status, keys[:used], counts[:used]
