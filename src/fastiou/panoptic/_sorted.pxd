# The binary search the panoptic kernels share (_columns.pyx, _match.pyx): inline, no module.

from libc.stdint cimport int64_t


cdef inline Py_ssize_t find_sorted(const int64_t* ids, Py_ssize_t n, int64_t value) noexcept nogil:
    """The index of `value` in the ascending `ids[0:n]`, or -1."""
    cdef Py_ssize_t low = 0, high = n, middle
    while low < high:
        middle = (low + high) >> 1
        if ids[middle] < value:
            low = middle + 1
        else:
            high = middle
    return low if low < n and ids[low] == value else -1
