# Helpers shared by the pairwise box kernels (_boxes.pyx, _rotated.pyx): the non-finite
# rule. A box with a NaN or infinite value gives NaN in every pair it belongs to, whatever
# the arithmetic made of it.

from libc.math cimport NAN, isfinite
from libc.stdint cimport uint8_t

ctypedef fused real:
    float
    double


cdef inline Py_ssize_t flag_non_finite(const real* boxes, Py_ssize_t n, Py_ssize_t width,
                                       uint8_t* flags) noexcept nogil:
    """flags[k] = 1 when box k (of `width` values) holds a NaN or an infinity; return how many."""
    cdef Py_ssize_t k, c, count = 0
    for k in range(n):
        flags[k] = 0
        for c in range(width):
            if not isfinite(boxes[width * k + c]):
                flags[k] = 1
        count += flags[k]
    return count


cdef inline void fill_nan_pairs(real* out, const uint8_t* flags1, const uint8_t* flags2,
                                Py_ssize_t n, Py_ssize_t m, bint aligned) noexcept nogil:
    """Write NaN into the flagged rows and columns of an (n, m) result (n values if aligned)."""
    cdef Py_ssize_t i, j
    for i in range(n):
        if aligned:
            if flags1[i] or flags2[i]:
                out[i] = NAN
        else:
            for j in range(m):
                if flags1[i] or flags2[j]:
                    out[i * m + j] = NAN
