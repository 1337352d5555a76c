"""The command line: `fastiou bench`, `fastiou config`, `python -m fastiou`."""

import subprocess
import sys

import pytest

from fastiou import __version__
from fastiou.cli import main


def test_bench_quick_run_prints_exact_table(capsys):
    assert main(["bench", "--quick", "--repeat", "1", "--workloads", "ades"]) == 0
    out = capsys.readouterr().out
    assert "NumPy ref" in out and "(a) 19 classes" in out and "(d) 19 classes" in out
    assert "(e) (a) on smooth maps" in out and "SIMD " in out
    assert "cores" in out and "NO" not in out.split("exact", 1)[1]
    assert "(d) fastiou reads" in out and "% of it" in out
    assert "(s) 256x256 uint8 confusion_matrix" in out and "x the sum" in out


@pytest.mark.parametrize("key", "abcde")
def test_bench_maps_are_what_the_kernel_takes_without_a_copy(key):
    """A copy inside the timed call would be measured as kernel time."""
    from fastiou._bench import WORKLOADS, make_label_maps

    workload = next(w for w in WORKLOADS if w.key == key)
    for labels in make_label_maps(workload, scale=0.01):
        assert labels.flags.c_contiguous and labels.dtype == workload.dtype
        assert labels.shape == (1, *workload.shape[1:])


def test_bench_markdown_table(capsys):
    assert main(["bench", "--quick", "--repeat", "1", "--workloads", "b", "--markdown"]) == 0
    out = capsys.readouterr().out
    assert "| (b) 150 classes" in out and "(s) 256x256" not in out


@pytest.mark.parametrize("argv,message", [
    (["bench", "--workloads", "az"], "unknown workload"),
    (["bench", "--repeat", "0"], "--repeat must be at least 1"),
])
def test_bench_rejects_bad_options(argv, message):
    with pytest.raises(SystemExit, match=message):
        main(argv)


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
