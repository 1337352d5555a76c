# Binary search over ascending integer arrays, shared by kernels of several jobs (the BF
# score's contour columns, the panoptic tables' segment and category ids): inline, no module.

from libc.stdint cimport int32_t, int64_t

ctypedef fused sorted_t:
    int32_t
    int64_t


cdef inline Py_ssize_t first_at_least(const sorted_t* values, Py_ssize_t n,
                                      int64_t value) noexcept nogil:
    """The index of the first of the ascending `values[0:n]` that is >= `value` (n if none)."""
    cdef Py_ssize_t low = 0, high = n, middle
    while low < high:
        middle = (low + high) >> 1
        if values[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low


cdef inline Py_ssize_t find_sorted(const int64_t* ids, Py_ssize_t n, int64_t value) noexcept nogil:
    """The index of `value` in the ascending `ids[0:n]`, or -1."""
    cdef Py_ssize_t k = first_at_least(ids, n, value)
    return k if k < n and ids[k] == value else -1
