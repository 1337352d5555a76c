"""What the compiled extensions were built with, read from the C side."""

from fastiou._openmp cimport (
    FASTIOU_COMPILE_FLAGS,
    FASTIOU_OPENMP_ENABLED,
    omp_get_max_threads,
)


def openmp_enabled():
    """Return True when the extensions were compiled with OpenMP."""
    return bool(FASTIOU_OPENMP_ENABLED)


def openmp_max_threads():
    """Return ``omp_get_max_threads()`` now (1 in a serial build)."""
    return omp_get_max_threads()


def compile_flags():
    """Return the C compiler flags the extensions were built with."""
    return FASTIOU_COMPILE_FLAGS.decode()
