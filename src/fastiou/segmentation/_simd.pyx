"""Which SIMD loops fastiou's counting kernels run: detected once, when this module is
imported, from what the CPU has (``include/fastiou_simd.h``); a test hook caps it so that
the tests run every level this machine has. The kernels (``_confusion``, ``_byte_tables``,
``_png_pairs``) read it through ``simd_level()`` (``_simd.pxd``) once per call. It also
holds how far ahead ``_confusion``'s keyed loops ask for their labels (``label_prefetch()``:
on Intel CPUs only, see ``fiou_detect_label_prefetch``), with a test hook too."""

# 0 = scalar, 1 = AVX2, 2 = AVX-512 F/BW, 3 = AVX-512 F/BW + VBMI2 (the one-byte kernels
# compress 16-bit codes)
SIMD_PATHS = ("scalar", "AVX2", "AVX-512", "AVX-512 VBMI2")

cdef int available = fiou_detect_simd()
cdef int cap = 3
cdef Py_ssize_t ahead = fiou_detect_label_prefetch()


cdef int simd_level() noexcept nogil:
    """The level the kernels run: what the CPU has, at most the test hook's cap."""
    return available if available < cap else cap


cdef Py_ssize_t label_prefetch() noexcept nogil:
    """How many bytes ahead the keyed label loops ask for their labels (0: not at all, the
    hardware prefetchers alone; see ``fiou_detect_label_prefetch``)."""
    return ahead


def label_prefetch_path():
    """What the keyed label loops do about reading their labels ahead on this machine."""
    return f"{ahead} bytes ahead" if ahead else "hardware prefetchers only"


def simd_path():
    """Name of the SIMD loops the kernels run on this machine."""
    return SIMD_PATHS[simd_level()]


def _simd_levels():
    """The SIMD levels this machine can run (see ``SIMD_PATHS``)."""
    return list(range(available + 1))


def _set_label_prefetch(Py_ssize_t bytes_ahead):
    """Test hook: ask for labels `bytes_ahead` bytes ahead (0: not at all); returns the old
    distance."""
    global ahead
    if bytes_ahead < 0:
        raise ValueError(f"bytes_ahead must be >= 0, got {bytes_ahead}")
    old, ahead = ahead, bytes_ahead
    return old


def _set_simd_cap(int level):
    """Test hook: use at most SIMD `level` (see `_simd_levels`); returns the old cap."""
    global cap
    old, cap = cap, level
    return old
