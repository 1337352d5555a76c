"""IoU semantics, build facts, thread-count resolution and the package surface."""

import os
import subprocess
import sys

import numpy as np
import pytest

import fastiou
from fastiou import _threads


def test_readme_example_value():
    assert fastiou.mean_iou(np.array([0, 1, 1]), np.array([0, 1, 0]), num_classes=2) == 0.5


def test_iou_definition_and_absent_class_is_nan():
    cm = np.array([[3, 1, 0], [2, 4, 0], [0, 0, 0]])
    iou = fastiou.iou_from_confusion(cm)
    np.testing.assert_allclose(iou[:2], [3 / (3 + 1 + 2), 4 / (4 + 2 + 1)])
    assert np.isnan(iou[2]) and iou.dtype == np.float64


def test_mean_iou_leaves_absent_classes_out_and_is_nan_when_nothing_is_present():
    truth = np.array([0, 0, 1])
    assert fastiou.mean_iou(truth, truth, 5) == 1.0
    assert np.isnan(fastiou.mean_iou(np.array([255]), np.array([0]), 3, ignore_index=255))


def test_ignored_truth_drops_the_pair_whatever_the_prediction():
    truth = np.array([255, 255, 1, 0])
    pred = np.array([77, 1, 1, 0])
    np.testing.assert_array_equal(fastiou.confusion_matrix(truth, pred, 2, ignore_index=255), np.eye(2))
    # an ignore value inside the class range removes that row only
    np.testing.assert_array_equal(fastiou.confusion_matrix(truth, pred, 2, ignore_index=[255, 0]),
                                  [[0, 0], [0, 1]])


def test_rows_are_truth_and_columns_prediction():
    matrix = fastiou.confusion_matrix([0, 0, 0], [1, 1, 2], 3)
    assert matrix[0, 1] == 2 and matrix[0, 2] == 1 and matrix[1:].sum() == 0


def test_weights_are_not_truncated():
    matrix = fastiou.confusion_matrix([0, 1, 1], [0, 1, 0], 2, sample_weight=[0.3, 0.1, 0.2])
    np.testing.assert_allclose(matrix, [[0.3, 0.0], [0.2, 0.1]])


def test_empty_input_gives_zero_matrix():
    matrix = fastiou.confusion_matrix(np.zeros((0, 4), np.uint8), np.zeros((0, 4), np.uint8), 3)
    assert matrix.shape == (3, 3) and matrix.sum() == 0 and matrix.dtype == np.int64


def test_openmp_is_compiled_in_on_linux():
    """Fails if a Linux build silently lost OpenMP (unless it was disabled on purpose)."""
    if not sys.platform.startswith("linux") or os.environ.get("FASTIOU_DISABLE_OPENMP"):
        pytest.skip("OpenMP is only required of Linux builds that did not disable it")
    assert fastiou.openmp_enabled()
    assert "-fopenmp" in fastiou._config.config_info()["compile_flags"]


def test_show_config_prints_the_facts(capsys):
    fastiou.show_config()
    out = capsys.readouterr().out
    for key in ("fastiou", "numpy", "openmp", "openmp_max_threads", "png_inflate",
                "png_pairs_inflate", "compile_flags"):
        assert key in out
    assert fastiou.__version__ in out


@pytest.mark.parametrize("requested,expected", [(1, 1), (3, 3), (64, 64)])
def test_positive_thread_counts_are_used_as_given(requested, expected):
    assert _threads.resolve_n_threads(requested) == expected


def test_negative_thread_counts_count_from_all_cpus():
    cpus = _threads.available_cpus()
    assert _threads.resolve_n_threads(-1) == cpus
    assert _threads.resolve_n_threads(-2) == max(1, cpus - 1)
    assert _threads.resolve_n_threads(-1000) == 1


def test_none_follows_omp_num_threads_at_call_time():
    """A serial build (no OpenMP) always resolves None to one thread."""
    code = ("import fastiou._threads as t; print(t.resolve_n_threads(None))")
    for value in ("1", "3"):
        out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True,
                             env={**os.environ, "OMP_NUM_THREADS": value}).stdout
        assert out.strip() == (value if fastiou.openmp_enabled() else "1")


def test_none_follows_threadpoolctl():
    threadpoolctl = pytest.importorskip("threadpoolctl")
    with threadpoolctl.threadpool_limits(limits=1, user_api="openmp"):
        assert _threads.resolve_n_threads(None) == 1


def test_small_inputs_run_serially():
    assert _threads.threads_for_size(8, 1000, 2 ** 16) == 1
    assert _threads.threads_for_size(8, 3 * 2 ** 16, 2 ** 16) == 3


def test_public_names_have_numpydoc_docstrings():
    for name in fastiou.__all__:
        obj = getattr(fastiou, name)
        if callable(obj):
            doc = obj.__doc__ or ""
            assert "Examples" in doc, name
            assert "Returns" in doc or name == "show_config" or isinstance(obj, type), name
