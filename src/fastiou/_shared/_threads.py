"""Thread-count semantics shared by every public function that takes ``n_threads``."""

from __future__ import annotations

import numbers
import os
import sys
import warnings
from collections.abc import Iterator
from types import FrameType

from fastiou._shared._openmp_info import openmp_enabled, openmp_max_threads
from fastiou._shared._team import cores_busy


class ForkedThreadsWarning(RuntimeWarning):
    """fastiou runs on one thread in a process forked after it used OpenMP threads."""


class _ForkState:
    """GNU OpenMP's thread pool does not survive ``fork()``: a child that starts a thread team
    after its parent used one hangs. So a child forked after fastiou asked for more than one
    thread runs every kernel on one thread, and says so once."""

    team_used = False        # this process asked for more than one thread
    forked_after_team = False
    warned = False

    @classmethod
    def after_fork_in_child(cls) -> None:
        cls.forked_after_team = cls.team_used
        cls.warned = False


if hasattr(os, "register_at_fork"):
    os.register_at_fork(after_in_child=_ForkState.after_fork_in_child)


def _caller_stacklevel() -> int:
    """The `stacklevel` that points a warning at the first frame outside fastiou."""
    package_dir = os.path.dirname(__file__)
    frame: FrameType | None = sys._getframe(1)
    level = 1
    while frame is not None and os.path.dirname(frame.f_code.co_filename) == package_dir:
        frame, level = frame.f_back, level + 1
    return level


def _single_thread_after_fork(n_threads: int) -> int:
    if n_threads > 1 and _ForkState.forked_after_team:
        if not _ForkState.warned:
            _ForkState.warned = True
            warnings.warn(
                "fastiou: this process was forked after fastiou used OpenMP threads, and the "
                "OpenMP runtime cannot start threads in such a child; running on one thread. "
                "Use the 'spawn' or 'forkserver' start method to keep multithreading.",
                ForkedThreadsWarning, stacklevel=_caller_stacklevel(),
            )
        return 1
    if n_threads > 1 and openmp_enabled():
        _ForkState.team_used = True
    return n_threads


def available_cpus() -> int:
    """Return the number of CPUs this process may run on (affinity-aware)."""
    if hasattr(os, "process_cpu_count"):  # Python >= 3.13
        count = os.process_cpu_count()
    elif hasattr(os, "sched_getaffinity"):
        count = len(os.sched_getaffinity(0))
    else:
        count = os.cpu_count()
    return max(1, count or 1)


def resolve_n_threads(n_threads: object) -> int:
    """Turn the public ``n_threads`` argument into a positive thread count.

    ``None`` is the OpenMP default read now (it follows ``OMP_NUM_THREADS`` and
    threadpoolctl limits), or one thread while the cores are busy with other work (the
    last thread team fastiou ran was kept waiting, :mod:`fastiou._shared._team`), ``-1`` is every available CPU, ``-k`` all but ``k - 1``
    of them (at least one), a positive value is used as given, and ``0`` is an error.
    """
    if n_threads is None:
        if cores_busy():
            return 1
        return _single_thread_after_fork(max(1, openmp_max_threads()))
    if type(n_threads) is not int:  # a Python int skips the slower abstract-type checks
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
        n_threads = max(1, available_cpus() + 1 + n_threads)
    return _single_thread_after_fork(n_threads)


# Long calls run in chunks of about this much work (label pairs, score values, words of
# packed masks): tens of milliseconds each. The kernels release the GIL, and between two
# chunks Python raises a pending KeyboardInterrupt, so Ctrl-C stops a huge call within one
# chunk. Counts add up exactly, so chunking never changes a result.
CHUNK_WORK = 1 << 26


def row_chunks(n_rows: int, work_per_row: int, rows_multiple: int = 1) -> Iterator[slice]:
    """Slices covering ``range(n_rows)`` of about `CHUNK_WORK` work each, every one a whole
    multiple of `rows_multiple` rows; one (empty) slice when there are no rows."""
    rows = max(1, CHUNK_WORK // max(work_per_row, 1))
    rows = max(1, rows // rows_multiple) * rows_multiple
    for start in range(0, max(n_rows, 1), rows):
        yield slice(start, min(start + rows, n_rows))


def threads_for_size(n_threads: int, n_items: int, min_items_per_thread: int) -> int:
    """Cap a resolved thread count so that each thread gets at least `min_items_per_thread` items."""
    return max(1, min(n_threads, n_items // min_items_per_thread))


def default_threads_for_size(n_items: int, min_items_per_thread: int) -> int:
    """Threads for `n_items` with ``n_threads=None``: one below two threads' worth of items
    (what :func:`threads_for_size` gives then, without reading the OpenMP default: small
    calls are common and that read is a large share of their cost)."""
    if n_items < 2 * min_items_per_thread:
        return 1
    return threads_for_size(resolve_n_threads(None), n_items, min_items_per_thread)
