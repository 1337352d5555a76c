"""Instance-mask kernels: bit packing, popcount IoU and COCO run-length encoding.

Private: ``fastiou.masks`` validates the input and calls these with C-contiguous arrays
and a resolved thread count.

A mask of ``P`` pixels becomes ``ceil(P / 64)`` uint64 words; pixel ``p`` is bit
``p % 64`` of word ``p // 64`` (any pixel order works as long as both sides of a pair use
the same one). Unused bits of the last word are 0. For each packed mask we keep its pixel
count and the range ``[first, end)`` of its non-zero words, so a pair only ANDs the words
both masks may occupy: small instances are cheap even in large images.
"""

from cython.parallel cimport parallel, prange
from libc.stdint cimport int64_t, uint8_t, uint32_t, uint64_t

from fastiou._shared._team cimport TeamClock, team_close, team_open, team_stamp

import numpy as np

cdef bint HAS_POPCNT = fastiou_cpu_has_popcnt() != 0


cdef inline uint64_t and_count(const uint64_t* a, const uint64_t* b,
                               Py_ssize_t n) noexcept nogil:
    if HAS_POPCNT:
        return fastiou_and_count_popcnt(a, b, n)
    return fastiou_and_count_portable(a, b, n)


cdef void summarize(const uint64_t* words, Py_ssize_t n_words, int64_t* count,
                    int64_t* first, int64_t* end) noexcept nogil:
    """Pixel count and the range of non-zero words of one packed mask ([0, 0) if empty)."""
    cdef Py_ssize_t k, lo = -1, hi = -1
    cdef int64_t total = 0
    for k in range(n_words):
        if words[k] != 0:
            total += <int64_t>fastiou_popcount_portable(words[k])
            if lo < 0:
                lo = k
            hi = k
    count[0] = total
    first[0] = lo if lo >= 0 else 0
    end[0] = hi + 1 if lo >= 0 else 0


def pack_masks(const uint8_t[:, ::1] masks, uint64_t[:, ::1] packed, int64_t[:, ::1] stats,
               int n_threads):
    """Pack ``(N, P)`` masks (non-zero byte = foreground) into ``(N, ceil(P / 64))`` words
    and write ``stats[i] = (pixel count, first word, end word)``."""
    cdef Py_ssize_t n = masks.shape[0]
    cdef Py_ssize_t n_pixels = masks.shape[1]
    cdef Py_ssize_t n_words = packed.shape[1]
    cdef Py_ssize_t full = n_pixels // 64
    cdef Py_ssize_t i, k, p
    cdef uint64_t word
    cdef const uint8_t* src
    cdef uint64_t* dst
    cdef TeamClock clock = team_open(n_threads)
    with nogil, parallel(num_threads=n_threads):
        team_stamp(&clock)
        for i in prange(n, schedule="dynamic"):
            src = &masks[i, 0] if n_pixels > 0 else NULL
            dst = &packed[i, 0] if n_words > 0 else NULL
            for k in range(full):
                dst[k] = fastiou_pack64(src + 64 * k)
            if full < n_words:
                word = 0
                for p in range(64 * full, n_pixels):
                    word = word | (<uint64_t>(src[p] != 0) << (p - 64 * full))
                dst[full] = word
            summarize(dst, n_words, &stats[i, 0], &stats[i, 1], &stats[i, 2])
            team_stamp(&clock)
    team_close(&clock)


def runs_to_words(const uint32_t[::1] counts, uint64_t[::1] words):
    """Set the bits of the foreground runs of COCO `counts` (background first) in `words`
    (zeroed by the caller); the counts must sum to at most 64 * len(words)."""
    cdef Py_ssize_t k, n = counts.shape[0]
    cdef uint64_t start = 0, stop, first_word, last_word, w
    with nogil:
        for k in range(n):
            stop = start + counts[k]
            if k % 2 == 1 and stop > start:
                first_word = start >> 6
                last_word = (stop - 1) >> 6
                if first_word == last_word:
                    words[first_word] |= ((~<uint64_t>0) >> (64 - (stop - start))) << (start & 63)
                else:
                    words[first_word] |= (~<uint64_t>0) << (start & 63)
                    for w in range(first_word + 1, last_word):
                        words[w] = ~<uint64_t>0
                    words[last_word] |= (~<uint64_t>0) >> (63 - ((stop - 1) & 63))
            start = stop


def summarize_packed(const uint64_t[:, ::1] packed, int64_t[:, ::1] stats):
    """``stats[i] = (pixel count, first word, end word)`` of already packed masks."""
    cdef Py_ssize_t i
    with nogil:
        for i in range(packed.shape[0]):
            summarize(&packed[i, 0], packed.shape[1], &stats[i, 0], &stats[i, 1],
                      &stats[i, 2])


def packed_iou(const uint64_t[:, ::1] packed1, const int64_t[:, ::1] stats1,
               const uint64_t[:, ::1] packed2, const int64_t[:, ::1] stats2,
               const uint8_t[::1] crowd, bint use_crowd, double[:, ::1] out, int n_threads):
    """``out[i, j]`` = IoU of packed masks i and j; a crowd column j divides by the area
    of mask i (pycocotools); an empty union gives 0."""
    cdef Py_ssize_t n = packed1.shape[0]
    cdef Py_ssize_t m = packed2.shape[0]
    cdef Py_ssize_t i, j
    cdef int64_t lo, hi, inter, union
    cdef TeamClock clock = team_open(n_threads)
    with nogil, parallel(num_threads=n_threads):
        team_stamp(&clock)
        for i in prange(n, schedule="dynamic"):
            for j in range(m):
                lo = stats1[i, 1] if stats1[i, 1] > stats2[j, 1] else stats2[j, 1]
                hi = stats1[i, 2] if stats1[i, 2] < stats2[j, 2] else stats2[j, 2]
                inter = 0
                if lo < hi:
                    inter = <int64_t>and_count(&packed1[i, lo], &packed2[j, lo], hi - lo)
                if use_crowd and crowd[j]:
                    union = stats1[i, 0]
                else:
                    union = stats1[i, 0] + stats2[j, 0] - inter
                out[i, j] = <double>inter / <double>union if union > 0 else 0.0
            team_stamp(&clock)
    team_close(&clock)


def mask_runs(const uint8_t[::1] pixels):
    """COCO run lengths (background run first, possibly 0) of one mask's pixels, in the
    order given (the caller passes column-major order), as a uint32 array."""
    cdef Py_ssize_t n = pixels.shape[0]
    cdef Py_ssize_t k, n_runs = 0
    cdef uint8_t current = 0, value
    cdef uint32_t length = 0
    runs = np.empty(n + 1, dtype=np.uint32)
    cdef uint32_t[::1] runs_v = runs
    with nogil:
        for k in range(n):
            value = pixels[k] != 0
            if value != current:
                runs_v[n_runs] = length
                n_runs += 1
                length = 0
                current = value
            length += 1
        runs_v[n_runs] = length
        n_runs += 1
    return runs[:n_runs].copy()


def counts_to_string(const uint32_t[::1] counts):
    """COCO's compressed counts string (``bytes``) of `counts`."""
    cdef Py_ssize_t k, m = 0, n = counts.shape[0]
    cdef int64_t x
    cdef int c
    cdef bint more
    # a 64-bit difference takes at most 13 characters of 5 bits
    buffer = np.empty(13 * n, dtype=np.uint8)
    cdef uint8_t[::1] out = buffer
    for k in range(n):
        x = <int64_t>counts[k]
        if k > 2:
            x -= <int64_t>counts[k - 2]
        more = True
        while more:
            c = <int>(x & 0x1f)
            x >>= 5
            more = (x != -1) if (c & 0x10) else (x != 0)
            if more:
                c |= 0x20
            out[m] = <uint8_t>(c + 48)
            m += 1
    return buffer[:m].tobytes()


def string_to_counts(const uint8_t[::1] text):
    """Parse COCO's compressed counts string. Return ``(counts int64 array, error)``: the
    error is ``None`` or a message (bad character, truncated value, negative run)."""
    cdef Py_ssize_t p = 0, n = text.shape[0], m = 0, k
    cdef int64_t x, value
    cdef int c
    cdef bint more
    counts = np.empty(n, dtype=np.int64)
    cdef int64_t[::1] counts_v = counts
    while p < n:
        x = 0
        k = 0
        more = True
        while more:
            if p >= n:
                return counts[:m], "the string ends inside a run length"
            c = text[p] - 48
            if c < 0 or c > 63:
                return counts[:m], f"byte {p} ({text[p]!r}) is not a COCO RLE character"
            if k > 11:
                return counts[:m], f"the run length ending at byte {p} is too long"
            x |= <int64_t>(<uint64_t>(c & 0x1f) << (5 * k))
            more = (c & 0x20) != 0
            p += 1
            k += 1
            if not more and (c & 0x10):
                x |= -(<int64_t>1 << (5 * k))
        value = x + counts_v[m - 2] if m > 2 else x
        if value < 0:
            return counts[:m], f"run {m} has the negative length {value}"
        counts_v[m] = value
        m += 1
    return counts[:m], None
