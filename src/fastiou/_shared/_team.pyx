"""Whether this machine's cores are busy right now, learned from fastiou's own thread teams.

A parallel region ends only when every thread of its team has arrived at the closing
barrier, so a thread the OS keeps waiting (every core busy with other processes) holds the
whole call up: on a 2-core machine with both cores busy, a 3 ms ``box_iou`` took 25 ms on
two threads. Scheduling inside the region cannot help a thread that has not started yet.

So every kernel times its team (``team_close`` of ``_team.pxd`` calls
:func:`note_team`): how long its threads waited to start, how far apart they finished, and
(after regions of a millisecond or more, on POSIX) how much of the region the calling thread
did not run. The counting kernels, whose threads each take one fixed share or chunks in
turn, time their threads with every thread's CPU clock instead (``team_enter``/``team_leave``):
a thread that finished early is no loss there, only a late start or time a thread with work
was not run (with chunks taken in turn the others take over part of that work, so the loss
counts against the cores sooner than it held the call up).
When that lost time exceeds both ``LOST_FLOOR`` seconds (a wake-up on an idle core takes
tens of microseconds) and ``LOST_SHARE`` of the region, and the tasks of other processes
running right then leave the team fewer cores than it has threads, with one task of slack
for the system's own short-lived threads (Linux: ``/proc/loadavg`` less this process's
running threads; elsewhere this is not known and the loss alone decides), the cores count
as busy and the *default* thread count (``n_threads=None``) is one for ``BACKOFF_START`` seconds. The next
default call after that tries the full team again: when it is still kept waiting, the
pause doubles (up to ``BACKOFF_MAX``), when not, the cores count as free again. An explicit
``n_threads`` is always used as given. Results never depend on the thread count, so this
changes only the speed.
"""

from fastiou._shared._openmp cimport fiou_other_running_tasks, omp_get_num_procs, omp_get_wtime

# a wake-up on an idle core takes tens of microseconds (in a virtual machine whose idle
# virtual CPU the host descheduled, sometimes milliseconds: hence the count of other tasks);
# a thread waiting for a busy core waits for a scheduler time slice (milliseconds)
cdef double LOST_FLOOR = 1e-3
cdef double LOST_SHARE = 0.2
cdef double BACKOFF_START = 0.25
cdef double BACKOFF_MAX = 4.0

# plain doubles written without a lock: a race can only delay or repeat one probe
cdef double busy_until = 0.0
cdef double backoff = BACKOFF_START
# how long the last timed region took: below LOST_FLOOR no loss can count, and the kernels
# then skip reading the thread's CPU clock (a system call, about 1 us)
cdef double last_length = 0.0


cdef enum:
    OTHERS_UNREAD = -2  # note_team_with reads the count of other processes' tasks itself
    SHORT_LIVED_TASKS = 1  # other tasks a team tolerates: the system's own threads come and go


cdef void note_team(double lost, double length, int team) noexcept nogil:
    """Record that a team of `team` > 1 threads lost `lost` of the `length` seconds of its
    parallel region to threads that started late or finished apart."""
    note_team_with(lost, length, OTHERS_UNREAD, team)


cdef void note_team_with(double lost, double length, int others, int team) noexcept nogil:
    """`note_team`, with `others` the count of other processes' tasks running or ready to
    run (-1 not known, OTHERS_UNREAD: read it, only when the loss is large enough to
    matter)."""
    global busy_until, backoff, last_length
    cdef double now
    last_length = length
    if lost > LOST_FLOOR and lost > LOST_SHARE * length:
        if others == OTHERS_UNREAD:
            others = fiou_other_running_tasks()
        if others < 0 or others + team > omp_get_num_procs() + SHORT_LIVED_TASKS:
            now = omp_get_wtime()
            if busy_until > 0.0:  # a probe after a pause: still busy, pause longer
                backoff = backoff * 2.0 if backoff * 2.0 < BACKOFF_MAX else BACKOFF_MAX
            busy_until = now + backoff
            return
    busy_until = 0.0
    backoff = BACKOFF_START


cdef bint long_regions() noexcept nogil:
    """Whether the last timed region was long enough for a loss to count."""
    return last_length >= LOST_FLOOR


def cores_busy():
    """Whether the last thread team fastiou ran was kept waiting by busy cores and the
    pause before the next try has not run out: the default thread count is then one.

    Returns
    -------
    bool

    Examples
    --------
    >>> from fastiou._shared._team import cores_busy
    >>> cores_busy() in (True, False)
    True
    """
    return busy_until > 0.0 and omp_get_wtime() < busy_until


def _note_team(double lost, double length, int others=1 << 20, int team=2):
    """Test hook: record a team of `team` threads as the kernels do (`lost` of `length`
    seconds) while `others` tasks of other processes want to run (by default more than any
    machine's cores; -1: not known)."""
    note_team_with(lost, length, others, team)


def _other_running_tasks():
    """Test hook: the other processes' tasks running or ready to run now, as the kernels
    read it (-1: not known here)."""
    return fiou_other_running_tasks()


def _team_lost(double start, stamps, double length, double cpu_start=-1.0, double cpu=-1.0):
    """Test hook: the time :func:`team_lost` finds in a region begun at `start` whose
    threads stamped ``stamps[t] = (first, last)`` (0: the thread never ran), or
    ``(first, last, cpu at team_enter, cpu at team_leave)``."""
    cdef TeamClock clock
    cdef double buffer[8 * CLOCK_STRIDE]
    cdef Py_ssize_t t
    if len(stamps) > 8:
        raise ValueError(f"at most 8 threads, got {len(stamps)}")
    clock.start = start
    clock.cpu_start = cpu_start
    clock.use_cpu = cpu_start >= 0.0
    clock.n_threads = len(stamps)
    clock.stamps = buffer
    for t in range(len(stamps)):
        buffer[t * CLOCK_STRIDE] = stamps[t][0]
        buffer[t * CLOCK_STRIDE + 1] = stamps[t][1]
        buffer[t * CLOCK_STRIDE + 2] = stamps[t][2] if len(stamps[t]) > 2 else 0.0
        buffer[t * CLOCK_STRIDE + 3] = stamps[t][3] if len(stamps[t]) > 2 else 0.0
    return team_lost(&clock, length, cpu)


def _forget():
    """Test hook: count the cores as free again."""
    global busy_until, backoff
    busy_until = 0.0
    backoff = BACKOFF_START
