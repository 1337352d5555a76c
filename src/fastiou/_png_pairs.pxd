# The C parts of _png_pairs.pyx (include/fastiou_png_rows.h): the row loops and the reading
# of an image's filtered rows a stretch at a time.

from libc.stdint cimport int32_t, uint8_t, uint32_t

cdef extern from "fastiou_png_rows.h":
    void fiou_count_row_changes(int level, const uint8_t* t, const uint8_t* p,
                                const uint8_t* t_above, const uint8_t* p_above, Py_ssize_t n,
                                uint32_t weight, uint32_t* table, uint8_t* seen) noexcept nogil
    void fiou_count_row_weighted(const uint8_t* t, const uint8_t* p, Py_ssize_t n,
                                 uint32_t weight, uint32_t* table, uint8_t* seen) noexcept nogil
    ctypedef struct fiou_zng_stream:
        const uint8_t* next_in
        uint32_t avail_in
    ctypedef int32_t (*fiou_zng_init)(fiou_zng_stream*, int32_t) noexcept nogil
    ctypedef int32_t (*fiou_zng_inflate)(fiou_zng_stream*, int32_t) noexcept nogil
    ctypedef int32_t (*fiou_zng_end)(fiou_zng_stream*) noexcept nogil
    ctypedef struct fiou_png_rows:
        const uint8_t* data
        fiou_zng_stream stream
        fiou_zng_inflate inflate
        uint8_t* buffer
        int32_t status
    const uint8_t* fiou_next_rows(fiou_png_rows* rows, Py_ssize_t first, Py_ssize_t n_rows,
                                  Py_ssize_t width) noexcept nogil
    int fiou_rows_end(fiou_png_rows* rows) noexcept nogil
