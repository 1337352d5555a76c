# One-byte labels counted into 65536-bin tables of pair codes (t << 8) | p, and the fold of
# such tables into a (C, C) matrix through per-byte class tables (_byte_tables.pyx; its SIMD
# loops are include/fastiou_byte_kernels.h). Used by _confusion.pyx (uint8 and int8 labels)
# and _png_pairs.pyx (PNG pairs).

from libc.stdint cimport int64_t, uint8_t, uint32_t

cdef extern from "fastiou_byte_kernels.h":
    int fiou_byte_tables(int level) noexcept nogil
    int fiou_count_bytes(int level, const uint8_t* t, const uint8_t* p, Py_ssize_t start,
                         Py_ssize_t end, const uint8_t* ignore, int n_ignore,
                         uint32_t* table) noexcept nogil

cdef enum:
    # the bins of one table: a pair (t, p) of bytes is the 16-bit code (t << 8) | p
    BYTE_TABLE = 65536

cdef Py_ssize_t flush_interval() noexcept nogil
cdef object reusable_array(str name, Py_ssize_t size, dtype, bint zeroed)
cdef object byte_tables(Py_ssize_t n_threads, Py_ssize_t copies)
cdef object flushed_byte_tables(Py_ssize_t n_threads, Py_ssize_t n)
cdef void flush_byte_table(uint32_t* table, Py_ssize_t copies, int64_t* total) noexcept nogil
cdef void fold_byte_tables(uint32_t* tables, Py_ssize_t n_tables, Py_ssize_t stride,
                           Py_ssize_t copies, const int64_t* rows, Py_ssize_t n_rows,
                           Py_ssize_t row_stride, const uint8_t* seen,
                           const int64_t* truth_classes, const int64_t* pred_classes,
                           Py_ssize_t num_classes, int64_t* matrix, int64_t* miss,
                           int64_t* bad) noexcept nogil
cdef tuple mapped_outputs(Py_ssize_t num_classes)
cdef tuple count_byte_labels(const uint8_t* y_true, const uint8_t* y_pred, Py_ssize_t n,
                             bint is_signed, Py_ssize_t num_classes, const uint8_t* ignore,
                             Py_ssize_t n_ignore, int n_threads, Py_ssize_t chunk_pairs)
