# A parallel region's clock (see _team.pyx): the kernels open it before the region, stamp
# each thread's start and (last) finish inside it and close it after it, which tells
# `note_team` how long the team was kept waiting by threads the OS had not run. A kernel
# whose threads each do one share of fixed size (which may take them unequal times) marks
# the share with team_enter/team_leave instead: after long regions these also read the
# thread's CPU clock, so that a thread that finished early does not count as a loss, only
# the time a thread waited to start or was not run while it had work.

from libc.stdlib cimport calloc, free

from fastiou._shared._openmp cimport fiou_thread_cpu_seconds, omp_get_thread_num, omp_get_wtime

cdef void note_team(double lost, double length, int team) noexcept nogil
cdef bint long_regions() noexcept nogil

cdef enum:
    # doubles per thread: a cache line, so the stamps of two threads never share one
    CLOCK_STRIDE = 8


cdef struct TeamClock:
    double start  # when the region was entered
    double cpu_start  # the calling thread's CPU time then (negative: not known)
    # per thread: [first stamp, last stamp, CPU clock at team_enter, at team_leave], 0 = not
    # taken; NULL: one thread
    double* stamps
    int n_threads
    bint use_cpu  # read the CPU clocks (the last region was long enough for a loss to count)


cdef inline TeamClock team_open(int n_threads) noexcept nogil:
    """A clock for a region of `n_threads` threads (a one-thread region is not timed)."""
    cdef TeamClock clock
    clock.stamps = NULL
    clock.n_threads = n_threads
    if n_threads > 1:
        clock.stamps = <double*>calloc(n_threads * CLOCK_STRIDE, sizeof(double))
    clock.start = omp_get_wtime() if clock.stamps != NULL else 0.0
    clock.use_cpu = clock.stamps != NULL and long_regions()
    clock.cpu_start = fiou_thread_cpu_seconds() if clock.use_cpu else -1.0
    return clock


cdef inline void team_stamp(TeamClock* clock) noexcept nogil:
    """Inside the region: the calling thread runs now. Call it on entering the region (its
    start) and after each piece of work (its finish so far)."""
    cdef double* mine
    if clock.stamps != NULL:
        mine = clock.stamps + omp_get_thread_num() * CLOCK_STRIDE
        mine[1] = omp_get_wtime()
        if mine[0] == 0.0:
            mine[0] = mine[1]


cdef inline void team_enter(TeamClock* clock) noexcept nogil:
    """Inside the region, before the calling thread's share: its start (and CPU clock)."""
    if clock.stamps != NULL:
        team_stamp(clock)
        if clock.use_cpu:
            clock.stamps[omp_get_thread_num() * CLOCK_STRIDE + 2] = fiou_thread_cpu_seconds()


cdef inline void team_leave(TeamClock* clock) noexcept nogil:
    """Inside the region, after the calling thread's share: its finish (and CPU clock)."""
    if clock.stamps != NULL:
        team_stamp(clock)
        if clock.use_cpu:
            clock.stamps[omp_get_thread_num() * CLOCK_STRIDE + 3] = fiou_thread_cpu_seconds()


cdef inline double team_lost(const TeamClock* clock, double length, double cpu) noexcept nogil:
    """The time a region of `length` seconds lost. With the CPU clocks of every thread's
    share (team_enter/team_leave): the most any thread lost, waiting to start plus the wall
    time of its share it did not run. Else: the latest start after the region began, plus
    the spread of the finishes of the threads that did some work, plus the wall time the
    calling thread did not run (`cpu`: its CPU clock at the end, negative if unknown)."""
    cdef const double* mine
    cdef double last_start = clock.start, first_end = 0.0, last_end = 0.0
    cdef double worst = 0.0, idle
    cdef int timed = 0, untimed = 0
    cdef Py_ssize_t t
    for t in range(clock.n_threads):
        mine = clock.stamps + t * CLOCK_STRIDE
        if mine[0] == 0.0:  # the team had fewer threads
            continue
        if mine[2] > 0.0 and mine[3] > 0.0:
            idle = (mine[1] - mine[0]) - (mine[3] - mine[2])
            idle = mine[0] - clock.start + (idle if idle > 0.0 else 0.0)
            worst = idle if idle > worst else worst
            timed += 1
        else:
            untimed += 1
        if mine[0] > last_start:
            last_start = mine[0]
        if mine[1] == mine[0]:  # found no work left: it held nothing up once there
            continue
        if first_end == 0.0 or mine[1] < first_end:
            first_end = mine[1]
        if mine[1] > last_end:
            last_end = mine[1]
    if timed > 0 and untimed == 0:
        return worst
    if cpu >= 0.0 and clock.cpu_start >= 0.0 and length > cpu - clock.cpu_start:
        last_start += length - (cpu - clock.cpu_start)
    return last_start - clock.start + (last_end - first_end if first_end > 0.0 else 0.0)


cdef inline void team_close(TeamClock* clock) noexcept nogil:
    """After the region: report the time it lost (:func:`team_lost`) to `note_team` and
    free the stamps."""
    cdef double length, cpu
    if clock.stamps == NULL:
        return
    cpu = fiou_thread_cpu_seconds() if clock.cpu_start >= 0.0 else -1.0
    length = omp_get_wtime() - clock.start
    note_team(team_lost(clock, length, cpu), length, clock.n_threads)
    free(clock.stamps)
    clock.stamps = NULL
