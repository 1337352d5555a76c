"""The default thread count falls back to one thread while fastiou's thread teams are kept
waiting by busy cores (fastiou._shared._team), and never changes a result."""

import time

import numpy as np
import pytest

import fastiou
from fastiou._shared import _team, _threads


@pytest.fixture(autouse=True)
def _free_cores():
    _team._forget()
    yield
    _team._forget()


def test_a_team_kept_waiting_makes_the_default_one_thread(monkeypatch):
    monkeypatch.setattr(_threads, "openmp_max_threads", lambda: 4)
    assert _threads.resolve_n_threads(None) == 4
    _team._note_team(0.010, 0.020)  # 10 of 20 ms lost
    assert _team.cores_busy()
    assert _threads.resolve_n_threads(None) == 1
    # an explicit count is used as given
    assert _threads.resolve_n_threads(3) == 3
    assert _threads.resolve_n_threads(-1) == _threads.available_cpus()


@pytest.mark.parametrize("lost,length", [
    (0.0005, 0.001),  # half the region, but below the 1 ms a wake-up may take
    (0.002, 0.100),   # 2 % of a long region
])
def test_small_losses_leave_the_cores_free(lost, length):
    _team._note_team(lost, length)
    assert not _team.cores_busy()


def test_a_loss_while_other_processes_leave_the_cores_free_is_a_slow_wake_up():
    """An idle virtual CPU can take milliseconds to wake: a team kept waiting while other
    processes left it its cores (give or take one short-lived task) does not make the
    machine busy (and ends a pause)."""
    cores = _threads.available_cpus()
    team = max(2, cores)
    _team._note_team(0.010, 0.020, others=cores + 1 - team, team=team)
    assert not _team.cores_busy()
    _team._note_team(0.010, 0.020, others=cores + 2 - team, team=team)
    assert _team.cores_busy()
    _team._note_team(0.010, 0.020, others=0, team=team)
    assert not _team.cores_busy()


def test_a_loss_where_running_tasks_are_not_known_counts():
    _team._note_team(0.010, 0.020, others=-1)
    assert _team.cores_busy()


def test_the_other_running_tasks_are_read_from_the_os():
    """On Linux the count leaves this process's own running threads out (this quiet test
    process adds none); elsewhere it is unknown."""
    import sys
    others = _team._other_running_tasks()
    if sys.platform.startswith("linux"):
        assert others >= 0
    else:
        assert others == -1


def test_a_clean_team_frees_the_cores_again():
    _team._note_team(0.010, 0.020)
    assert _team.cores_busy()
    _team._note_team(0.0, 0.020)
    assert not _team.cores_busy()


def test_the_pause_runs_out_and_doubles_while_the_cores_stay_busy():
    _team._note_team(0.010, 0.020)
    time.sleep(0.3)  # the first pause is 0.25 s
    assert not _team.cores_busy()
    _team._note_team(0.010, 0.020)  # the probe was kept waiting too: 0.5 s now
    time.sleep(0.3)
    assert _team.cores_busy()


def test_results_do_not_depend_on_the_fallback():
    rng = np.random.default_rng(0)
    truth = rng.integers(0, 19, (4, 256, 256)).astype(np.int32)
    pred = rng.integers(0, 19, (4, 256, 256)).astype(np.int32)
    boxes = rng.random((300, 4)) * 50
    boxes[:, 2:] += boxes[:, :2]
    expected = (fastiou.confusion_matrix(truth, pred, 19, n_threads=2),
                fastiou.box_iou(boxes, boxes, n_threads=2))
    _team._note_team(1.0, 1.0)
    assert _threads.resolve_n_threads(None) == 1
    np.testing.assert_array_equal(fastiou.confusion_matrix(truth, pred, 19), expected[0])
    np.testing.assert_array_equal(fastiou.box_iou(boxes, boxes), expected[1])


@pytest.mark.parametrize("bad", [float("nan"), -1.0])
def test_nonsense_timings_leave_the_cores_free(bad):
    _team._note_team(bad, 0.020)
    assert not _team.cores_busy()


@pytest.mark.parametrize("stamps,cpu,lost", [
    ([(10.0, 10.5), (10.0, 10.5)], (-1.0, -1.0), 0.0),        # both started at once, finished together
    ([(10.0, 10.5), (10.2, 10.5)], (-1.0, -1.0), 0.2),        # one started late
    ([(10.0, 10.3), (10.0, 10.5)], (-1.0, -1.0), 0.2),        # finished apart
    ([(10.0, 10.5), (10.4, 10.4)], (-1.0, -1.0), 0.4),        # came late, found no work left
    ([(10.0, 10.5), (10.0, 10.0)], (-1.0, -1.0), 0.0),        # came early, found no work left
    ([(10.0, 10.0), (10.0, 10.0)], (-1.0, -1.0), 0.0),        # nobody had work
    ([(10.0, 10.5), (0.0, 0.0)], (-1.0, -1.0), 0.0),          # the team had one thread fewer
    ([(10.0, 10.5), (10.0, 10.5)], (1.0, 1.3), 0.2),          # the caller ran 0.3 of 0.5 s
    # shares timed by their threads' CPU clocks: finishing early is no loss
    ([(10.0, 10.1, 5.0, 5.1), (10.0, 10.5, 7.0, 7.5)], (-1.0, -1.0), 0.0),
    ([(10.0, 10.5, 5.0, 5.5), (10.0, 10.5, 7.0, 7.2)], (-1.0, -1.0), 0.3),   # ran 0.2 of 0.5 s
    ([(10.0, 10.5, 5.0, 5.5), (10.1, 10.5, 7.0, 7.3)], (-1.0, -1.0), 0.2),   # 0.1 late, 0.1 idle
    # one share without CPU clocks (Windows): the wall-clock rule
    ([(10.0, 10.1, 5.0, 5.1), (10.0, 10.5)], (-1.0, -1.0), 0.4),
])
def test_the_time_a_team_lost(stamps, cpu, lost):
    assert _team._team_lost(10.0, stamps, 0.5, *cpu) == pytest.approx(lost)
