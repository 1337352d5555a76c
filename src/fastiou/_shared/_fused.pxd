# Fused types shared by the kernels: ``from fastiou._shared._fused cimport label_t``.

from libc.stdint cimport int8_t, int16_t, int32_t, int64_t, uint8_t, uint16_t, uint32_t, uint64_t

# every integer label dtype the wrappers pass (bool arrives viewed as uint8)
ctypedef fused label_t:
    uint8_t
    int8_t
    uint16_t
    int16_t
    uint32_t
    int32_t
    uint64_t
    int64_t

# what a confusion matrix accumulates: counts, or sums of float64 weights
ctypedef fused acc_t:
    int64_t
    double
