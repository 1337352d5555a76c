# The run-aware SIMD loops of _confusion.pyx (include/fastiou_label_kernels.h).

from libc.stdint cimport int64_t, uint16_t, uint64_t

cdef extern from "fastiou_label_kernels.h":
    int fiou_uses_narrow_tables(int level, uint64_t n_classes, int size) noexcept nogil
    int fiou_count_labels(int level, int size, int is_signed, const void* t, const void* p,
                          Py_ssize_t start, Py_ssize_t end, uint64_t n_classes,
                          const void* ignore, Py_ssize_t n_ignore, int64_t* hist,
                          uint16_t* narrow, int64_t* miss, int64_t* bad,
                          Py_ssize_t ahead) noexcept nogil
