"""Per-image intersection and union of two batches of 0/1 byte masks.

Private: ``fastiou.binary`` validates the masks and calls :func:`mask_counts` with two
C-contiguous uint8 arrays of shape (B, N). Eight bytes are combined per step (``a & b``,
``a | b`` as 64-bit words) and summed in byte lanes for up to 255 steps before the lanes
are folded, so no byte lane overflows. A byte other than 0 or 1 is reported, not counted
as anything.
"""

from cython.parallel cimport parallel, prange
from libc.stdint cimport int64_t, uint8_t, uint64_t
from libc.string cimport memcpy

from fastiou._shared._team cimport TeamClock, team_close, team_open, team_stamp

import numpy as np

cdef uint64_t LOW_BITS_CLEAR = 0xFEFEFEFEFEFEFEFE
cdef uint64_t EVEN_BYTES = 0x00FF00FF00FF00FF
cdef uint64_t EVEN_SHORTS = 0x0000FFFF0000FFFF
cdef uint64_t LOW_WORD = 0xFFFFFFFF


cdef inline uint64_t byte_sum(uint64_t lanes) noexcept nogil:
    """Sum of the eight byte lanes of `lanes`."""
    lanes = (lanes & EVEN_BYTES) + ((lanes >> 8) & EVEN_BYTES)
    lanes = (lanes & EVEN_SHORTS) + ((lanes >> 16) & EVEN_SHORTS)
    return (lanes & LOW_WORD) + (lanes >> 32)


cdef inline uint64_t load_word(const uint8_t* p) noexcept nogil:
    cdef uint64_t word
    memcpy(&word, p, 8)
    return word


cdef void count_image(const uint8_t* a, const uint8_t* b, Py_ssize_t n, int64_t* inter,
                      int64_t* union_, int64_t* invalid) noexcept nogil:
    cdef Py_ssize_t i = 0
    cdef Py_ssize_t stop
    cdef uint64_t wa, wb, lanes_and, lanes_or, seen = 0
    cdef int64_t total_and = 0, total_or = 0
    while i + 8 <= n:
        stop = i + 8 * 255
        if stop > n:
            stop = n
        lanes_and = 0
        lanes_or = 0
        while i + 8 <= stop:
            wa = load_word(a + i)
            wb = load_word(b + i)
            lanes_and += wa & wb
            lanes_or += wa | wb
            seen |= wa | wb
            i += 8
        total_and += byte_sum(lanes_and)
        total_or += byte_sum(lanes_or)
    while i < n:
        total_and += a[i] & b[i]
        total_or += a[i] | b[i]
        seen |= a[i] | b[i]
        i += 1
    inter[0] = total_and
    union_[0] = total_or
    invalid[0] = (seen & LOW_BITS_CLEAR) != 0


def mask_counts(const uint8_t[:, ::1] pred, const uint8_t[:, ::1] true, int n_threads):
    """Return (intersection, union, invalid) int64 arrays of shape (B,) for 0/1 bytes;
    `invalid[b]` is 1 when image b holds a byte other than 0 and 1."""
    cdef Py_ssize_t n_images = pred.shape[0]
    cdef Py_ssize_t n = pred.shape[1]
    cdef Py_ssize_t image
    inter = np.zeros(n_images, dtype=np.int64)
    union_ = np.zeros(n_images, dtype=np.int64)
    invalid = np.zeros(n_images, dtype=np.int64)
    cdef int64_t[::1] inter_v = inter
    cdef int64_t[::1] union_v = union_
    cdef int64_t[::1] invalid_v = invalid
    if n_images == 0 or n == 0:
        return inter, union_, invalid
    cdef TeamClock clock = team_open(n_threads)
    with nogil, parallel(num_threads=n_threads):
        team_stamp(&clock)
        for image in prange(n_images, schedule="static"):
            count_image(&pred[image, 0], &true[image, 0], n, &inter_v[image], &union_v[image],
                        &invalid_v[image])
            team_stamp(&clock)
    team_close(&clock)
    return inter, union_, invalid
