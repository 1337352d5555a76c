# The row loops of _png_pairs.pyx (include/fastiou_png_rows.h).

from libc.stdint cimport uint8_t, uint32_t

cdef extern from "fastiou_png_rows.h":
    void fiou_count_row_changes(int level, const uint8_t* t, const uint8_t* p,
                                const uint8_t* t_above, const uint8_t* p_above, Py_ssize_t n,
                                uint32_t weight, uint32_t* table, uint8_t* seen) noexcept nogil
    void fiou_count_row_weighted(const uint8_t* t, const uint8_t* p, Py_ssize_t n,
                                 uint32_t weight, uint32_t* table, uint8_t* seen) noexcept nogil
