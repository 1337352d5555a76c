# Which SIMD loops the counting kernels run (_simd.pyx owns the level; include/fastiou_simd.h
# holds the loops' shared parts). Kernels call `simd_level()` once per call and pass it on.

cdef extern from "fastiou_simd.h":
    int fiou_detect_simd() noexcept nogil
    int fiou_detect_label_prefetch() noexcept nogil
    # ignore values a block compare can drop (more go the one-by-one way)
    int FIOU_MASKED_IGNORES

cdef int simd_level() noexcept nogil
cdef Py_ssize_t label_prefetch() noexcept nogil
