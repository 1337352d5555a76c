"""The command line: `fastiou bench`, `fastiou config`, `python -m fastiou`."""

import subprocess
import sys

import pytest

from fastiou import __version__
from fastiou.cli import main


def test_bench_quick_run_prints_exact_table_with_the_shapes_it_runs(capsys):
    assert main(["bench", "--quick", "--repeat", "1", "--workloads", "ades"]) == 0
    out = capsys.readouterr().out
    assert "NumPy ref" in out and "(a) 19 classes + ignore 255, uint8, 1x1024x2048 " in out
    assert "(d) 19 classes, int64, 1x1024x1024 " in out
    assert "(e) (a) on smooth maps, errors along boundaries, 1x1024x2048 " in out and "SIMD " in out
    assert "8x1024x2048" not in out and "16M" not in out
    assert "cores" in out and "NO" not in out.split("exact", 1)[1]
    assert "(d) fastiou reads" in out and "% of it" in out
    assert "(s) 256x256 uint8 confusion_matrix" in out and "x the sum" in out


@pytest.mark.parametrize("key", "abcde")
def test_bench_maps_are_what_the_kernel_takes_without_a_copy(key):
    """A copy inside the timed call would be measured as kernel time."""
    from fastiou.evaluate._bench import WORKLOADS, make_label_maps

    workload = next(w for w in WORKLOADS if w.key == key)
    for labels in make_label_maps(workload, scale=0.01):
        assert labels.flags.c_contiguous and labels.dtype == workload.dtype
        assert labels.shape == (1, *workload.shape[1:])


def test_interleaved_medians_time_the_calls_in_turn():
    from fastiou.evaluate._bench import interleaved_medians

    order = []
    medians = interleaved_medians({"a": lambda: order.append("a"), "b": lambda: order.append("b")}, 3)
    assert order == ["a", "b"] * 4  # one untimed round, then three timed ones
    assert set(medians) == {"a", "b"} and all(0 <= m < 1 for m in medians.values())
    order.clear()
    interleaved_medians({"a": lambda: order.append("a")}, 2, before=lambda: order.append("-"))
    assert order == ["a", "-", "a", "-", "a"]  # `before` only before the timed calls


def test_read_calls_read_every_array_with_each_numpy_kernel():
    import numpy as np
    from concurrent.futures import ThreadPoolExecutor

    from fastiou.evaluate._bench import READ_KERNELS, read_calls

    arrays = (np.arange(10, dtype=np.int64), np.arange(7, dtype=np.int32))
    with ThreadPoolExecutor(2) as pool:
        calls = read_calls(arrays, 2, pool)
        assert set(calls) == set(READ_KERNELS)
        assert sum(int(part) for part in calls["sum"]()) == 45 + 21
        assert sum(int(part) for part in calls["count_nonzero"]()) == 9 + 6


def test_bench_markdown_table(capsys):
    assert main(["bench", "--quick", "--repeat", "1", "--workloads", "b", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| (b) 150 classes, uint8, 1x512x512 |" in out and "(s) 256x256" not in out


def test_workload_descriptions_name_the_full_shape():
    from fastiou.evaluate._bench import WORKLOADS

    assert [w.description for w in WORKLOADS] == [
        "19 classes + ignore 255, uint8, 8x1024x2048", "150 classes, uint8, 64x512x512",
        "1000 classes, int32, 16x1024x1024", "19 classes, int64, 16x1024x1024",
        "(a) on smooth maps, errors along boundaries, 8x1024x2048"]


@pytest.mark.parametrize("argv,message", [
    (["bench", "--workloads", "az"],
     "fastiou bench: error: --workloads 'az' names unknown workload(s) z; choose from abcdes\n"),
    (["bench", "--repeat", "0"], "fastiou bench: error: --repeat must be at least 1, got 0\n"),
])
def test_bench_rejects_bad_options_with_exit_2(capsys, argv, message):
    assert main(argv) == 2
    assert capsys.readouterr().err == message


def test_no_command_prints_help_and_fails(capsys):
    assert main([]) == 2
    assert "bench" in capsys.readouterr().out


def test_config_command(capsys):
    assert main(["config"]) == 0
    assert "openmp" in capsys.readouterr().out


def test_python_dash_m_reports_version():
    out = subprocess.run([sys.executable, "-m", "fastiou", "--version"], capture_output=True,
                         text=True, check=True).stdout
    assert out.strip() == f"fastiou {__version__}"


@pytest.mark.parametrize("argv", [["config"], ["eval", "--demo"]])
def test_a_reader_that_goes_away_ends_the_command_quietly(argv):
    """`fastiou ... | head`: stdout's reader closes the pipe before the command writes; the
    command stops with exit 141 and no traceback (it used to print BrokenPipeError's)."""
    process = subprocess.Popen([sys.executable, "-m", "fastiou", *argv], stdout=subprocess.PIPE,
                               stderr=subprocess.PIPE, stdin=subprocess.DEVNULL)
    process.stdout.close()  # before the interpreter has even started
    _, stderr = process.communicate(timeout=120)
    assert process.returncode == 141, stderr.decode()
    assert b"Traceback" not in stderr and b"BrokenPipeError" not in stderr, stderr.decode()
