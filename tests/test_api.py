"""IoU semantics, build facts, thread-count resolution and the package surface."""

import contextlib
import doctest
import re
import importlib
import inspect
import os
import subprocess
import sys
import types

import numpy as np
import pytest

import fastiou
from fastiou._shared import _threads


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
    for key in ("fastiou", "numpy", "openmp", "openmp_max_threads", "simd", "label_prefetch",
                "png_inflate", "png_pairs_inflate", "compile_flags"):
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
    code = ("import fastiou._shared._threads as t; print(t.resolve_n_threads(None))")
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


# --------------------------------------------------------------------------- the public surface

PUBLIC_MODULES = ["fastiou", "fastiou.metrics", "fastiou.binary", "fastiou.plot", "fastiou.dask",
                  "fastiou.compat.sklearn", "fastiou.compat.torchmetrics", "fastiou.compat.keras",
                  "fastiou.compat.mmseg", "fastiou.compat.cityscapes", "fastiou.compat.torchvision",
                  "fastiou.compat.mmdet", "fastiou.compat.pycocotools", "fastiou.compat.cython_bbox"]


def _public_objects():
    """(qualified name, object) of every public function, class, method and property: the
    names in each public module's ``__all__`` and the public members of those classes.
    (matplotlib and dask are imported only when used, so every module imports.)"""
    seen = {}
    for module_name in PUBLIC_MODULES:
        module = importlib.import_module(module_name)
        for name in module.__all__:
            obj = getattr(module, name)
            if isinstance(obj, types.ModuleType) or not callable(obj):
                continue
            seen.setdefault(id(obj), (f"{module_name}.{name}", obj))
            if isinstance(obj, type):
                for member_name, member in vars(obj).items():
                    if member_name.startswith("_") or not (callable(member) or isinstance(
                            member, (property, classmethod, staticmethod))):
                        continue  # a class constant (torchmetrics' higher_is_better, ...)
                    if isinstance(member, (classmethod, staticmethod)):
                        member = member.__func__
                    seen.setdefault(id(member), (f"{module_name}.{name}.{member_name}", member))
    return sorted(seen.values(), key=lambda item: item[0])


def _sections(doc):
    """The numpydoc section headers of a docstring (a title underlined with dashes)."""
    lines = [line.strip() for line in inspect.cleandoc(doc).splitlines()]
    return {title for title, rule in zip(lines, lines[1:]) if rule and set(rule) == {"-"}
            and len(rule) >= len(title) > 0}


def _has_parameters(function):
    try:
        parameters = inspect.signature(function).parameters
    except (TypeError, ValueError):  # a compiled function without a signature
        return True
    return any(name not in ("self", "cls") for name in parameters)


def _returns_none(function):
    try:
        annotation = inspect.signature(function).return_annotation
    except (TypeError, ValueError):
        return False
    return annotation in (None, "None")


PUBLIC = _public_objects()


@pytest.mark.parametrize("name, obj", PUBLIC, ids=[name for name, _ in PUBLIC])
def test_public_docstrings_have_numpydoc_sections(name, obj):
    """Parameters (when there are any), Returns or Yields (unless it returns None) and
    Examples; a class documents its constructor's parameters (or its attributes, for a
    dataclass) and has examples; a property says what it holds."""
    doc = obj.__doc__ or ""
    if isinstance(obj, property):
        assert doc.strip(), f"{name} has no docstring"
        return
    sections = _sections(doc)
    if isinstance(obj, type) and issubclass(obj, (BaseException, Warning)):
        assert doc.strip(), f"{name} has no docstring"  # raised, never called: no example
        return
    assert "Examples" in sections, f"{name} lacks an Examples section"
    if isinstance(obj, type):
        if _has_parameters(obj.__init__):
            assert sections & {"Parameters", "Attributes"}, f"{name} lacks a Parameters section"
        return
    if _has_parameters(obj):
        assert "Parameters" in sections, f"{name} lacks a Parameters section"
    if not _returns_none(obj):
        assert sections & {"Returns", "Yields"}, f"{name} lacks a Returns section"


def test_every_public_function_is_covered():
    names = {name for name, _ in PUBLIC}
    for expected in ("fastiou.mean_iou", "fastiou.per_class_iou", "fastiou.accuracy_score",
                     "fastiou.cohen_kappa_score", "fastiou.SegmentationMetrics",
                     "fastiou.SegmentationMetrics.as_dict", "fastiou.ConfusionMatrix.update",
                     "fastiou.metrics.iou", "fastiou.plot.per_class", "fastiou.dask.evaluate_files",
                     "fastiou.compat.keras.IoU.update_state", "fastiou.compat.mmseg.eval_metrics"):
        assert expected in names, expected


class _ScalarReprChecker(doctest.OutputChecker):
    """NumPy 2 shows a scalar as ``np.float32(0.5)``, NumPy 1 as ``0.5``: the examples are
    written for NumPy 2 and checked on both (the packaging check runs NumPy 1.26)."""

    SCALAR = re.compile(r"np\.(?:float|int|uint|bool)\w*\(([^()]*)\)")

    def check_output(self, want: str, got: str, optionflags: int) -> bool:
        return super().check_output(self.SCALAR.sub(r"\1", want), self.SCALAR.sub(r"\1", got),
                                    optionflags)


def _doctest_modules():
    """Every module that defines a public function or class (where its docstring lives)."""
    names = {getattr(obj, "__module__", None) for _, obj in PUBLIC if not isinstance(obj, property)}
    return sorted(name for name in names if name and name.startswith("fastiou"))


@pytest.mark.parametrize("module_name", _doctest_modules())
def test_docstring_examples_run(module_name):
    module = importlib.import_module(module_name)
    context = contextlib.ExitStack()
    if module_name == "fastiou.evaluate.plot":
        pytest.importorskip("matplotlib")
    if module_name == "fastiou.evaluate.dask":
        dask = pytest.importorskip("dask")
        pytest.importorskip("dask.array")
        context.enter_context(dask.config.set(scheduler="synchronous"))
    with context:
        finder, runner = doctest.DocTestFinder(), doctest.DocTestRunner(
            checker=_ScalarReprChecker(), optionflags=doctest.NORMALIZE_WHITESPACE)
        for test in finder.find(module, module.__name__):
            runner.run(test)
        result = runner.summarize(verbose=False)
    if "matplotlib.pyplot" in sys.modules:
        sys.modules["matplotlib.pyplot"].close("all")
    assert result.failed == 0, module_name
    assert result.attempted > 0, f"{module_name} has no example that runs"


def test_core_functions_take_the_ground_truth_first():
    """One argument order in the core: ``(y_true, y_pred, ...)``; the compat layers keep
    their peer's order (torchmetrics ``preds, target``, mmseg ``pred_label, label``)."""
    checked = 0
    for name, obj in PUBLIC:
        if name.startswith("fastiou.compat") or isinstance(obj, (type, property)):
            continue
        try:
            parameters = [p for p in inspect.signature(obj).parameters if p not in ("self", "cls")]
        except (TypeError, ValueError):
            continue
        if "y_pred" in parameters or "y_prob" in parameters:
            assert parameters[0] == "y_true" and parameters[1] in ("y_pred", "y_prob"), (name, parameters)
            checked += 1
    assert checked >= 15
