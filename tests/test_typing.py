"""The public API is typed: ``mypy --strict`` accepts tests/typing/usage.py with every result
of the exact type asserted there (a result typed ``Any`` fails), rejects each misuse in
tests/typing/misuse.py, and passes on the core modules themselves; the ``Literal`` types
hold exactly the values the runtime checks accept."""

import re
import runpy
import site
import sysconfig
import typing
import warnings
from pathlib import Path

import pytest

import fastiou
from fastiou._shared import _typing
from fastiou.detection import boxes
from fastiou.segmentation import _core, metrics
from fastiou.segmentation.binary import SOFT_MODES

TYPING = Path(__file__).resolve().parent / "typing"
PACKAGE = Path(fastiou.__file__).resolve().parent
# modules whose own code passes mypy --strict (the rest still has errors to fix; see the
# project's issue 19)
STRICT_MODULES = ["__init__.py", "_shared/_typing.py", "segmentation/_core.py", "_shared/_validation.py",
                  "_shared/_threads.py", "segmentation/metrics.py", "segmentation/_accumulator.py",
                  "segmentation/binary.py", "segmentation/_value_maps.py", "detection/boxes.py",
                  "detection/masks.py", "reference.py", "_config.py",
                  "segmentation/boundary.py", "segmentation/bfscore.py", "_shared/_band_depth.py", "compat/detectron2.py",
                  "compat/__init__.py", "compat/sklearn.py", "compat/_tensors.py", "compat/cython_bbox.py",
                  "compat/keras.py", "compat/mmdet.py", "compat/mmseg.py", "compat/pycocotools.py",
                  "compat/torchvision.py",
                  # the public paths that re-export a subpackage's names
                  "metrics.py", "binary.py", "boxes.py", "masks.py", "cli.py", "demo.py", "dask.py",
                  "plot.py"]


def _installed():
    """True when fastiou is imported from site-packages (not a source checkout)."""
    roots = {Path(p).resolve() for p in site.getsitepackages() + [site.getusersitepackages()]}
    roots |= {Path(sysconfig.get_paths()[key]).resolve() for key in ("purelib", "platlib")}
    return PACKAGE.parent in roots


@pytest.fixture(scope="module")
def mypy(tmp_path_factory):
    """Run mypy --strict (imports followed silently: only the given files report) on the
    fastiou that the tests import, with one cache for the module's runs."""
    api = pytest.importorskip("mypy.api")
    folder = tmp_path_factory.mktemp("mypy")
    config = folder / "mypy.ini"
    # dask's own functions are unannotated: calling them is not an error of the caller
    config.write_text("[mypy]\nstrict = True\nfollow_imports = silent\nuntyped_calls_exclude = dask\n")

    def run(*targets):
        with pytest.MonkeyPatch.context() as patch:
            if not _installed():  # a source checkout (editable install or PYTHONPATH) comes first
                patch.setenv("MYPYPATH", str(PACKAGE.parent))
            with warnings.catch_warnings():
                warnings.simplefilter("ignore")  # mypy's own import-time warnings are not ours
                stdout, stderr, status = api.run(["--config-file", str(config), "--cache-dir",
                                                  str(folder / "cache"), "--no-error-summary",
                                                  *map(str, targets)])
        assert not stderr, stderr
        return stdout, status
    return run


def test_usage_file_type_checks_with_exact_types(mypy):
    # the box profiles' overloads tell tensors from arrays through torch's own types: without
    # torch installed mypy reads `Tensor` as Any (the README's test command installs it)
    pytest.importorskip("torch")
    stdout, status = mypy(TYPING / "usage.py")
    assert status == 0, stdout
    usage = (TYPING / "usage.py").read_text()
    for name in fastiou.__all__:
        if name not in ("metrics", "__version__"):
            assert re.search(rf"fastiou\.{name}\b", usage), f"usage.py never uses fastiou.{name}"
    for name in metrics.__all__:
        assert f"{name}(" in usage, f"usage.py never calls metrics.{name}"


def test_usage_file_runs_and_its_types_hold_at_run_time():
    pytest.importorskip("matplotlib")
    pytest.importorskip("dask.array")
    if not hasattr(typing, "assert_type"):  # Python 3.10: usage.py imports it from there
        pytest.importorskip("typing_extensions")
    runpy.run_path(str(TYPING / "usage.py"), run_name="__main__")


def test_misuse_is_rejected_line_by_line(mypy):
    stdout, status = mypy(TYPING / "misuse.py")
    lines = (TYPING / "misuse.py").read_text().splitlines()
    expected = {number for number, line in enumerate(lines, 1) if "# E:" in line}
    reported = {int(line.split(":")[1]) for line in stdout.splitlines() if ": error:" in line}
    assert status == 1 and len(expected) >= 20
    assert reported == expected, stdout


def test_core_modules_pass_mypy_strict(mypy):
    if _installed():
        pytest.skip("checks the package's own sources from a source checkout")
    stdout, status = mypy(*(PACKAGE / name for name in STRICT_MODULES))
    assert status == 0, stdout


def _literal(function, parameter):
    return set(typing.get_args(typing.get_type_hints(function)[parameter]))


def test_literal_types_list_what_the_runtime_accepts():
    assert typing.get_args(_typing.OutOfRange) == _core.OUT_OF_RANGE_POLICIES
    assert typing.get_args(_typing.Average) == metrics.AVERAGES
    assert typing.get_args(_typing.BoxFormat) == boxes.FORMATS
    assert typing.get_args(_typing.BoxMode) == boxes.MODES
    assert _literal(fastiou.soft_iou, "mode") == set(SOFT_MODES)
    assert _literal(fastiou.rotated_box_iou, "angle_unit") == set(boxes.ANGLE_UNITS)
    assert _literal(fastiou.thresholded_iou, "rounding") == {"exact", "snippet"}
    with pytest.raises(ValueError, match="`rounding` must be 'exact' or 'snippet'"):
        fastiou.thresholded_iou([[1]], [[1]], rounding="ceil")
    assert _literal(fastiou.ConfusionMatrix.report, "format") == {"text", "markdown"}
    with pytest.raises(ValueError, match="`format` must be 'text' or 'markdown'"):
        fastiou.ConfusionMatrix(2).report(format="html")


def test_public_annotations_resolve_at_run_time():
    """``typing.get_type_hints`` works on the core's public functions (no name that exists
    only for the type checker)."""
    for name in fastiou.__all__:
        obj = getattr(fastiou, name)
        if callable(obj) and not isinstance(obj, type) and name != "openmp_enabled":
            assert "return" in typing.get_type_hints(obj), name
