"""Two 8-bit PNG images decoded and counted together, a few rows at a time.

Private: the wrapper ``fastiou.evaluate._byte_classes.count_png_pair`` prepares the input (the
images inflated, the class of each byte value) and calls :func:`count_png_pairs`; ``fastiou
eval`` counts its 8-bit PNG pairs with it.

The images' inflated, still filtered rows are unfiltered by ``fastiou.evaluate._unfilter`` a
stretch at a time into a small buffer, then counted at once while in cache: each row from
the row above it, weighting the pairs that changed by the rows left below, into the byte
tables of ``fastiou.segmentation._byte_tables``, folded through per-byte class tables (label maps,
ignores). The row loops are C (``include/fastiou_png_rows.h``).
"""

from libc.stdint cimport int64_t, uint8_t, uint32_t
from libc.string cimport memset

import numpy as np

from fastiou.segmentation._byte_tables cimport (
    BYTE_TABLE, byte_tables, flush_byte_table, flush_interval, flushed_byte_tables,
    fold_byte_tables, mapped_outputs, reusable_array,
)
from fastiou.segmentation._simd cimport simd_level
from fastiou.evaluate._unfilter cimport unfilter_rows

cdef enum:
    # count_png_pairs unfilters about this many bytes of each image before counting them:
    # both images' two stretches (8 KiB) then stay in L1 beside the inflated data streaming
    # through it. 1024x2048 label maps, thread CPU time a pair of the kernel alone on data
    # inflated beforehand (out of cache): 2 KiB 0.59 ms, 4 KiB 0.75, 8 KiB 0.83, 16 KiB
    # 0.80 (unfiltering both images whole: 0.47-0.50); in `fastiou eval`, where the data
    # was just inflated and is still in cache, 2 KiB gains 1-2 % over 16 KiB.
    PNG_STRETCH_BYTES = 2048


def count_png_pairs(const uint8_t[::1] truth, const uint8_t[::1] pred,
                    Py_ssize_t height, Py_ssize_t width, const int64_t[::1] truth_classes,
                    const int64_t[::1] pred_classes, Py_ssize_t num_classes):
    """Unweighted (C, C) counts of two 8-bit, one-channel PNG images of `height` rows of
    `width` pixels, on one thread; each pixel value v counts as class ``truth_classes[v]``
    or ``pred_classes[v]`` (256 values each, as ``_byte_tables.add_mapped_row`` takes them: label
    maps and ignore values applied at once). `truth` and `pred` are the images' inflated,
    still filtered data.

    A few rows of each image are unfiltered into a small buffer and counted while in cache,
    each row from the row above it: the image's first row adds ``height`` to the code of
    each of its pairs, and row ``y`` then moves ``height - y`` from the code of the pair
    above to its own wherever the pair changed (about 1 % of a label map's pixels), so that
    every pair is counted once for each row down to the last (the uint32 counters may wrap
    on the way; they are whole counts again at the end). Bands of rows are counted this way
    between flushes into int64 when an image holds more pairs than a uint32 counter.
    Returns what ``_confusion.confusion_counts`` returns for the mapped pixels, or None when a
    row's filter byte is not 0..4 (the caller then decodes the images the usual way, which
    says what is wrong).
    """
    cdef Py_ssize_t size = height * (width + 1)
    if height < 1 or width < 1 or truth.shape[0] != size or pred.shape[0] != size:
        raise ValueError(f"{truth.shape[0]} and {pred.shape[0]} filtered bytes do not both fit "
                         f"{height} rows of {width} pixels")
    if truth_classes.shape[0] != 256 or pred_classes.shape[0] != 256:
        raise ValueError(f"the classes of the 256 byte values are needed, got "
                         f"{truth_classes.shape[0]} and {pred_classes.shape[0]}")
    cdef Py_ssize_t n = height * width
    cdef Py_ssize_t stretch = max(1, PNG_STRETCH_BYTES // width)
    # rows counted between flushes: a counter then holds at most band * width pairs
    cdef Py_ssize_t band = max(1, flush_interval() // width)
    cdef Py_ssize_t first, n_rows, r, y, band_start = 0, band_end = min(band, height)
    cdef int level = simd_level()
    cdef uint32_t[:, ::1] narrow_v = byte_tables(1, 2)
    cdef int64_t[:, ::1] flushed_v = flushed_byte_tables(1, n)
    # each image's buffer: two halves of `stretch` rows, filled in turn, so that the row
    # above a stretch is still in the other half (no copy)
    cdef uint8_t[::1] rows_v = reusable_array("png_rows", 4 * stretch * width + 64, np.uint8,
                                              False)
    cdef uint8_t* true_half[2]
    cdef uint8_t* pred_half[2]
    true_half[0] = &rows_v[0] + ((-<Py_ssize_t>&rows_v[0]) & 63)  # 64-byte aligned
    true_half[1] = true_half[0] + stretch * width
    pred_half[0] = true_half[1] + stretch * width
    pred_half[1] = pred_half[0] + stretch * width
    cdef uint8_t* true_rows
    cdef uint8_t* pred_rows
    cdef const uint8_t* true_above = NULL  # the row above the stretch (NULL above the first)
    cdef const uint8_t* pred_above = NULL
    cdef int half = 0
    cdef const uint8_t* filtered_true
    cdef const uint8_t* filtered_pred
    cdef uint32_t* table = &narrow_v[0, 0]
    cdef uint8_t seen[256]  # the truth bytes counted: the fold looks at their rows only
    cdef bint corrupt = False
    matrix, miss, bad = mapped_outputs(num_classes)
    cdef int64_t[:, ::1] matrix_v = matrix
    cdef int64_t[::1] miss_v = miss
    cdef int64_t[::1] bad_v = bad
    memset(seen, 0, sizeof(seen))
    with nogil:
        first = 0
        while first < height and not corrupt:
            n_rows = min(stretch, height - first)
            true_rows, pred_rows = true_half[half], pred_half[half]
            filtered_true = &truth[0] + first * (width + 1)
            filtered_pred = &pred[0] + first * (width + 1)
            if unfilter_rows(filtered_true, true_rows, n_rows, width, 1, true_above) >= 0 or \
                    unfilter_rows(filtered_pred, pred_rows, n_rows, width, 1, pred_above) >= 0:
                corrupt = True
                break
            for r in range(n_rows):
                y = first + r
                if y == band_end:  # the band's counts are whole again: flush, start the next
                    flush_byte_table(table, 2, &flushed_v[0, 0])
                    band_start, band_end = y, min(y + band, height)
                if y == band_start:
                    fiou_count_row_weighted(true_rows + r * width, pred_rows + r * width, width,
                                            <uint32_t>(band_end - y), table, seen)
                else:
                    fiou_count_row_changes(level, true_rows + r * width, pred_rows + r * width,
                                           true_rows + (r - 1) * width if r else true_above,
                                           pred_rows + (r - 1) * width if r else pred_above,
                                           width, <uint32_t>(band_end - y), table, seen)
            true_above = true_rows + (n_rows - 1) * width
            pred_above = pred_rows + (n_rows - 1) * width
            half ^= 1
            first += n_rows
        if corrupt:  # leave the tables zero, as the fold would
            memset(table, 0, 2 * BYTE_TABLE * sizeof(uint32_t))
        else:
            fold_byte_tables(table, 1, narrow_v.shape[1], 2, &flushed_v[0, 0],
                             1 if n > flush_interval() else 0, flushed_v.shape[1], seen,
                             &truth_classes[0], &pred_classes[0], num_classes,
                             &matrix_v[0, 0], &miss_v[0], &bad_v[0])
    if corrupt:
        return None
    return matrix, miss, int(bad_v[0]), int(bad_v[1])
