# The PNG row unfilter, for kernels that decode rows as they count them (``_png_pairs.pyx``).

from libc.stdint cimport uint8_t


cdef Py_ssize_t unfilter_rows(const uint8_t* filtered, uint8_t* pixels, Py_ssize_t height,
                              Py_ssize_t n, Py_ssize_t step, const uint8_t* above) noexcept nogil
