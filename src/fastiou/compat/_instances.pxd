# The C of _instances.pyx (include/fastiou_instance_runs.h).

from libc.stdint cimport uint16_t, uint8_t

cdef extern from "fastiou_instance_runs.h":
    Py_ssize_t fiou_skip_run_u16_u8(const uint16_t* instances, const uint8_t* pred,
                                    Py_ssize_t i, Py_ssize_t n, uint16_t value,
                                    uint8_t label) noexcept nogil
    Py_ssize_t fiou_skip_small_u16(const uint16_t* instances, Py_ssize_t i, Py_ssize_t n,
                                   uint16_t high_bits) noexcept nogil
