# Shared by the pairwise box kernels (_boxes.pyx, _rotated.pyx, compat/_compat_boxes.pyx):
# the float types, the numbers of the box formats, and the non-finite rule: a box with a NaN
# or infinite value gives NaN in every pair it belongs to, whatever the arithmetic made of it.

from libc.math cimport NAN, isfinite
from libc.stdint cimport uint8_t
from libc.stdlib cimport free, malloc

ctypedef fused real:
    float
    double

# box formats, as the wrappers number them (detection/boxes.py, the compat box profiles)
cdef enum:
    FMT_XYXY = 0
    FMT_XYWH = 1
    FMT_CXCYWH = 2


cdef inline bint flag_non_finite(const real* boxes, Py_ssize_t n, Py_ssize_t width,
                                 uint8_t* flags) noexcept nogil:
    """flags[k] = 1 when box k (of `width` values) holds a NaN or an infinity; return
    whether any box does."""
    cdef Py_ssize_t k, c
    cdef bint any_flagged = False
    for k in range(n):
        flags[k] = 0
        for c in range(width):
            if not isfinite(boxes[width * k + c]):
                flags[k] = 1
        any_flagged |= flags[k]
    return any_flagged


cdef inline bint any_non_finite(const real* values, Py_ssize_t count) noexcept nogil:
    """Whether any of `count` values is a NaN or an infinity (a loop the compiler vectorises)."""
    cdef Py_ssize_t k
    cdef bint found = False
    for k in range(count):
        found |= not isfinite(values[k])
    return found


cdef inline int mark_non_finite_pairs(const real* boxes1, const real* boxes2,
                                      Py_ssize_t n_batches, Py_ssize_t n, Py_ssize_t m,
                                      Py_ssize_t width, bint aligned, real* out) noexcept nogil:
    """Write NaN into every result of a pair with a non-finite box. ``boxes1`` is
    ``(B, n, width)``, ``boxes2`` ``(B, m, width)``, ``out`` ``(B, n, m)`` or ``(B, n)``
    when aligned. Return -1 when the scratch flags cannot be allocated, else 0."""
    cdef uint8_t* flags1
    cdef uint8_t* flags2
    cdef Py_ssize_t b, i, j
    cdef bint flagged
    cdef real* block
    if not (any_non_finite(boxes1, n_batches * n * width)
            or any_non_finite(boxes2, n_batches * m * width)):
        return 0
    flags1 = <uint8_t*>malloc(n + m + 1)
    if flags1 == NULL:
        return -1
    flags2 = flags1 + n
    for b in range(n_batches):
        flagged = flag_non_finite(boxes1 + b * n * width, n, width, flags1)
        flagged |= flag_non_finite(boxes2 + b * m * width, m, width, flags2)
        if not flagged:
            continue
        block = out + b * n * (1 if aligned else m)
        for i in range(n):
            if aligned:
                if flags1[i] or flags2[i]:
                    block[i] = NAN
            else:
                for j in range(m):
                    if flags1[i] or flags2[j]:
                        block[i * m + j] = NAN
    free(flags1)
    return 0
