"""The overlap table of two segment-id maps: how many pixels each (ground-truth id,
predicted id) pair covers, counted sparsely in one pass.

Private: the wrapper (``fastiou.panoptic._overlaps``) passes two flat, C-contiguous id maps
of one dtype, or two flat 8-bit RGB maps (three bytes a pixel, id = R + 256 G + 256^2 B,
COCO panoptic's PNG encoding), with every id below 2**32, and the width of a row. Each
chunk of rows is counted by one thread into its own open-addressing hash table of pair keys
``gt_id << 32 | pred_id``. Segment maps are piecewise constant: the pixels come in long
runs of one pair, so a pair is looked up once a run ends, and most rows repeat the row
above in both maps, so such a row adds the runs of the row above again, slot by slot. The
tables are merged and sorted by the wrapper, so the result does not depend on the number
of threads.
"""

from cython.parallel cimport prange
from libc.stdint cimport int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t
from libc.string cimport memcmp, memcpy

import numpy as np


# Fibonacci hashing: the multiplier spreads neighbouring keys over the table.
cdef uint64_t GOLDEN = 0x9E3779B97F4A7C15ULL
# pixels a chunk holds at least before the map is split over more threads
MIN_CHUNK = 1 << 16
# longest block of pixels counted as a "row" (longer rows are cut: any length is correct,
# and the per-thread run buffers stay small whatever the image's shape)
MAX_WIDTH = 1 << 16

ctypedef fused id_t:
    uint8_t
    uint16_t
    uint32_t
    int32_t
    int64_t


cdef inline Py_ssize_t add_run(uint64_t key, int64_t run, uint64_t* keys, int64_t* counts,
                               int shift, Py_ssize_t capacity, Py_ssize_t* used) noexcept nogil:
    """Add `run` pixels to the pair `key`; its slot, or -1 when the table is half full and the
    key new. A key keeps its slot (nothing is ever removed)."""
    cdef Py_ssize_t slot = <Py_ssize_t>((key * GOLDEN) >> shift)
    cdef Py_ssize_t mask = capacity - 1
    while counts[slot] != 0:
        if keys[slot] == key:
            counts[slot] += run
            return slot
        slot = (slot + 1) & mask
    if 2 * (used[0] + 1) > capacity:
        return -1
    keys[slot] = key
    counts[slot] = run
    used[0] += 1
    return slot


cdef inline bint record_run(uint64_t key, int64_t run, uint64_t* keys, int64_t* counts,
                            int shift, Py_ssize_t capacity, Py_ssize_t* used,
                            Py_ssize_t* run_slots, int64_t* run_lengths,
                            Py_ssize_t* n_runs) noexcept nogil:
    """:func:`add_run`, and the run noted as the row's next (its slot and length), for a
    repeated row to replay; False when the table is full."""
    cdef Py_ssize_t slot = add_run(key, run, keys, counts, shift, capacity, used)
    if slot < 0:
        return False
    run_slots[n_runs[0]] = slot
    run_lengths[n_runs[0]] = run
    n_runs[0] += 1
    return True


cdef inline Py_ssize_t periodic_end(const uint8_t* gt, const uint8_t* pred, Py_ssize_t q,
                                    Py_ssize_t end, Py_ssize_t period) noexcept nogil:
    """The first byte offset ``>= q`` (``q >= period``, 8 bytes at a time) where either map's
    bytes stop repeating those `period` bytes (one pixel) earlier, about; at most `end`.
    Every byte in ``[q, result)`` of both maps equals the byte one pixel before it."""
    cdef uint64_t a, b, c, d
    while q + 8 <= end:
        memcpy(&a, gt + q, 8)
        memcpy(&b, gt + q - period, 8)
        memcpy(&c, pred + q, 8)
        memcpy(&d, pred + q - period, 8)
        if (a ^ b) | (c ^ d):
            break
        q += 8
    return q


cdef inline uint64_t rgb_id(const uint8_t* rgb, Py_ssize_t i) noexcept nogil:
    return (<uint64_t>rgb[3 * i] | (<uint64_t>rgb[3 * i + 1] << 8)
            | (<uint64_t>rgb[3 * i + 2] << 16))


cdef inline uint64_t pair_key(const id_t* gt, const id_t* pred, const uint8_t* gt_bytes,
                              const uint8_t* pred_bytes, bint rgb, Py_ssize_t i) noexcept nogil:
    if rgb:
        return (rgb_id(gt_bytes, i) << 32) | rgb_id(pred_bytes, i)
    return (<uint64_t>gt[i] << 32) | <uint64_t>pred[i]


cdef bint count_pairs(const id_t* gt, const id_t* pred, bint rgb, Py_ssize_t start,
                      Py_ssize_t stop, Py_ssize_t width, uint64_t* keys, int64_t* counts,
                      int shift, Py_ssize_t capacity, Py_ssize_t* run_slots,
                      int64_t* run_lengths) noexcept nogil:
    """Count the pairs of pixels ``[start, stop)`` of two id maps (with `rgb`, of two uint8
    RGB maps), row by row (rows of `width` pixels from `start`); False if the table fills.

    A row equal to the row above in both maps (byte for byte) adds the runs of the row above
    again, slot by slot, without a look-up. Inside a run, whole words of both maps that
    repeat the pixel before them are passed over at once. `run_slots` and `run_lengths` hold
    `width` entries: the runs of the last row scanned."""
    cdef Py_ssize_t bpp = 3 if rgb else sizeof(id_t)  # bytes a pixel
    cdef const uint8_t* gt_bytes = <const uint8_t*>gt
    cdef const uint8_t* pred_bytes = <const uint8_t*>pred
    cdef Py_ssize_t row, row_end, length, previous_length = -1, n_runs = 0, i, q, k
    cdef Py_ssize_t used = 0
    cdef uint64_t key, current
    cdef int64_t run
    row = start
    while row < stop:
        row_end = row + width if row + width < stop else stop
        length = row_end - row
        if length == previous_length and \
                memcmp(gt_bytes + row * bpp, gt_bytes + (row - length) * bpp, length * bpp) == 0 and \
                memcmp(pred_bytes + row * bpp, pred_bytes + (row - length) * bpp, length * bpp) == 0:
            for k in range(n_runs):
                counts[run_slots[k]] += run_lengths[k]
            row = row_end
            continue
        n_runs = 0
        i = row
        current = pair_key(gt, pred, gt_bytes, pred_bytes, rgb, row)
        run = 0
        while i < row_end:
            key = pair_key(gt, pred, gt_bytes, pred_bytes, rgb, i)
            if key == current:
                # pixel i continues the run: so do the pixels whose bytes repeat pixel i's
                q = periodic_end(gt_bytes, pred_bytes, (i + 1) * bpp, row_end * bpp, bpp) // bpp
                run += q - i
                i = q
                continue
            if not record_run(current, run, keys, counts, shift, capacity, &used, run_slots,
                              run_lengths, &n_runs):
                return False
            current = key
            run = 1
            i += 1
        if not record_run(current, run, keys, counts, shift, capacity, &used, run_slots,
                          run_lengths, &n_runs):
            return False
        previous_length = length
        row = row_end
    return True


def _chunks(Py_ssize_t n, int n_threads):
    """How many chunks (one thread each) the `n` pixels are split into."""
    return max(1, min(n_threads, n // MIN_CHUNK))


def pair_counts(const id_t[::1] gt, const id_t[::1] pred, int rgb, Py_ssize_t width,
                int n_threads, Py_ssize_t capacity):
    """``(keys, counts)``: one ``(chunks, capacity)`` hash table a chunk of pairs
    ``gt_id << 32 | pred_id`` (uint64) and how many pixels each covers (int64; a slot
    whose count is 0 is empty; the wrapper merges the chunks), or None when some chunk met
    more than ``capacity // 2`` distinct pairs (call again with a larger power-of-two
    `capacity`).

    With ``rgb`` the maps are uint8 with three bytes a pixel (R, G, B). Ids must be below
    2**32 (the wrapper checks). `width` is the pixels of a row (any positive block length
    gives the same result; rows repeat in segment maps). The rows are split into at most
    `n_threads` chunks of at least ``MIN_CHUNK`` pixels, each counted by one thread with the
    GIL released.
    """
    cdef Py_ssize_t n = gt.shape[0], chunk, start, stop, n_pixels, n_rows
    cdef int n_chunks, shift = 64, t
    cdef bint ok = True
    check_arguments(n, pred.shape[0], rgb, id_t is uint8_t, width, capacity)
    width = min(width, MAX_WIDTH)
    n_pixels = n // 3 if rgb else n
    n_chunks = _chunks(n_pixels, n_threads)
    n_rows = (n_pixels + width - 1) // width
    if n_pixels and n_rows < n_chunks:  # fewer rows than threads: blocks of a chunk each
        width = (n_pixels + n_chunks - 1) // n_chunks
        n_rows = (n_pixels + width - 1) // width
    n_chunks = min(n_chunks, max(n_rows, 1))
    while (<Py_ssize_t>1 << (64 - shift)) < capacity:
        shift -= 1
    keys, counts, failed, slots, lengths = chunk_arrays(n_chunks, capacity, width)
    cdef Py_ssize_t[:, ::1] slots_v = slots
    cdef int64_t[:, ::1] lengths_v = lengths
    cdef uint64_t[:, ::1] keys_v = keys
    cdef int64_t[:, ::1] counts_v = counts
    cdef uint8_t[::1] failed_v = failed
    chunk = (n_rows + n_chunks - 1) // n_chunks * width  # whole rows
    if n_pixels:
        for t in prange(n_chunks, nogil=True, schedule="static", num_threads=n_chunks):
            start = t * chunk
            stop = min(start + chunk, n_pixels)
            failed_v[t] = not count_pairs(&gt[0], &pred[0], rgb != 0, start, stop, width,
                                          &keys_v[t, 0], &counts_v[t, 0], shift, capacity,
                                          &slots_v[t, 0], &lengths_v[t, 0])
    if failed.any():
        return None
    return keys, counts


# The checks and the NumPy work of pair_counts, outside it: code in a fused function is
# compiled once per id dtype, these once

cdef int check_arguments(Py_ssize_t n, Py_ssize_t n_pred, int rgb, bint uint8_ids,
                         Py_ssize_t width, Py_ssize_t capacity) except -1:
    if n_pred != n:
        raise ValueError(f"{n} ground-truth values but {n_pred} predicted values")
    if capacity < 2 or capacity & (capacity - 1):
        raise ValueError(f"capacity {capacity} is not a power of two >= 2")
    if rgb and (not uint8_ids or n % 3):
        raise ValueError("RGB maps are uint8 with three values a pixel")
    if width < 1:
        raise ValueError(f"width {width} is not positive")
    return 0


cdef tuple chunk_arrays(int n_chunks, Py_ssize_t capacity, Py_ssize_t width):
    """(keys, counts, failed, slots, lengths): each chunk's hash table, its failure flag and
    its row scratch."""
    return (np.zeros((n_chunks, capacity), dtype=np.uint64),
            np.zeros((n_chunks, capacity), dtype=np.int64),
            np.zeros(n_chunks, dtype=np.uint8),
            np.empty((n_chunks, width), dtype=np.intp),
            np.empty((n_chunks, width), dtype=np.int64))
