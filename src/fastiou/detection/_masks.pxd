# The word-level C helpers of _masks.pyx (include/fastiou_mask_words.h).

from libc.stdint cimport uint8_t, uint64_t

cdef extern from "fastiou_mask_words.h":
    uint64_t fastiou_pack64(const uint8_t* src) noexcept nogil
    uint64_t fastiou_popcount_portable(uint64_t x) noexcept nogil
    uint64_t fastiou_and_count_portable(const uint64_t* a, const uint64_t* b,
                                        Py_ssize_t n) noexcept nogil
    uint64_t fastiou_and_count_popcnt(const uint64_t* a, const uint64_t* b,
                                      Py_ssize_t n) noexcept nogil
    int fastiou_cpu_has_popcnt() noexcept nogil
