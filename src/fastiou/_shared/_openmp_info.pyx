"""What the compiled extensions were built with, read from the C side."""

from fastiou._shared._openmp cimport (
    FASTIOU_COMPILE_FLAGS,
    FASTIOU_OPENMP_ENABLED,
    omp_get_max_threads,
)


def openmp_enabled():
    """Tell whether fastiou's kernels were compiled with OpenMP (multithreaded).

    Returns
    -------
    bool
        False for a serial build (no OpenMP found at build time, or
        ``FASTIOU_DISABLE_OPENMP=1``): every kernel then runs on one thread.

    Examples
    --------
    >>> import fastiou
    >>> fastiou.openmp_enabled()  # doctest: +SKIP
    True
    """
    return bool(FASTIOU_OPENMP_ENABLED)


def openmp_max_threads():
    """Return ``omp_get_max_threads()`` now (1 in a serial build)."""
    return omp_get_max_threads()


def compile_flags():
    """Return the C compiler flags the extensions were built with."""
    return FASTIOU_COMPILE_FLAGS.decode()
