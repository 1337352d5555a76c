"""Thread-count semantics shared by every public function that takes ``n_threads``."""

import numbers
import os

from fastiou._openmp_info import openmp_max_threads


def available_cpus():
    """Return the number of CPUs this process may run on (affinity-aware)."""
    if hasattr(os, "process_cpu_count"):  # Python >= 3.13
        count = os.process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return max(1, count or 1)


def resolve_n_threads(n_threads):
    """Turn the public ``n_threads`` argument into a positive thread count.

    ``None`` is the OpenMP default read now (it follows ``OMP_NUM_THREADS`` and
    threadpoolctl limits), ``-1`` is every available CPU, ``-k`` all but ``k - 1``
    of them (at least one), a positive value is used as given, and ``0`` is an error.
    """
    if n_threads is None:
        return max(1, openmp_max_threads())
    if isinstance(n_threads, bool) or not isinstance(n_threads, numbers.Integral):
        raise TypeError(
            f"`n_threads` must be None or an int, got {type(n_threads).__name__} {n_threads!r}"
        )
    n_threads = int(n_threads)
    if n_threads == 0:
        raise ValueError(
            "`n_threads` must be None, a positive int, or a negative int (-1 = all CPUs), got 0"
        )
    if n_threads < 0:
        return max(1, available_cpus() + 1 + n_threads)
    return n_threads


def threads_for_size(n_threads, n_items, min_items_per_thread):
    """Cap a resolved thread count so that each thread gets at least `min_items_per_thread` items."""
    return max(1, min(n_threads, n_items // min_items_per_thread))
