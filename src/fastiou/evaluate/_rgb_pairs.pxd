# The row loops of _rgb_pairs.pyx (include/fastiou_rgb_rows.h).

from libc.stdint cimport int64_t, uint8_t, uint64_t

cdef extern from "fastiou_rgb_rows.h":
    ctypedef struct fiou_pair_table:
        uint64_t* keys
        int64_t* counts
        Py_ssize_t capacity
        int shift
        Py_ssize_t used
        int full
    uint64_t FIOU_EMPTY_KEY
    bint fiou_all_zero(int level, const uint8_t* bytes, Py_ssize_t n) noexcept nogil
    void fiou_count_rgb_row(int level, const uint8_t* g, Py_ssize_t gb, const uint8_t* p, Py_ssize_t pb,
                            Py_ssize_t width, int64_t weight,
                            fiou_pair_table* table) noexcept nogil
    void fiou_count_rgb_changes(int level, const uint8_t* g, const uint8_t* g_above, Py_ssize_t gb,
                                const uint8_t* p, const uint8_t* p_above, Py_ssize_t pb,
                                Py_ssize_t width, int64_t weight,
                                fiou_pair_table* table) noexcept nogil
