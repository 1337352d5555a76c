"""The package layout keeps its promises (docs/architecture.md): every public name the
documentation mentions imports from the path it is documented under, every top-level public
module only re-exports its job package's names, and the shared helpers depend on no job."""

import ast
import importlib
import pkgutil
import re
import subprocess
import sys
from pathlib import Path

import pytest

import fastiou
import fastiou.compat

ROOT = Path(__file__).resolve().parents[1]
# the source tree (the installed package may hold no .pyx, .pxd or .h files: a wheel does not)
SOURCE = ROOT / "src" / "fastiou"
DOCS = [ROOT / "README.md", ROOT / "benchmarks" / "README.md", *sorted((ROOT / "docs").rglob("*.md"))]

# top-level public module -> the module that holds its code
REEXPORTS = {
    "fastiou.metrics": "fastiou.segmentation.metrics",
    "fastiou.binary": "fastiou.segmentation.binary",
    "fastiou.boxes": "fastiou.detection.boxes",
    "fastiou.masks": "fastiou.detection.masks",
    "fastiou.cli": "fastiou.evaluate.cli",
    "fastiou.demo": "fastiou.evaluate.demo",
    "fastiou.dask": "fastiou.evaluate.dask",
    "fastiou.plot": "fastiou.evaluate.plot",
}
JOBS = ("segmentation", "detection", "panoptic", "evaluate", "compat")


def _resolve(dotted):
    """The object a dotted name documented as ``fastiou.a.b.c`` names: the longest prefix
    that imports as a module, then attributes."""
    parts = dotted.split(".")
    for split in range(len(parts), 0, -1):
        try:
            obj = importlib.import_module(".".join(parts[:split]))
        except ModuleNotFoundError:
            continue
        for attribute in parts[split:]:
            obj = getattr(obj, attribute)
        return obj
    raise ModuleNotFoundError(dotted)


def _documented_names():
    """(where, dotted name) of every ``fastiou.x.y`` and ``from fastiou.x import y, z`` of the
    documentation (Cython ``cimport`` paths and the ``fastiou.eval/1`` schema name left out)."""
    found = set()
    for path in DOCS:
        for number, line in enumerate(path.read_text().splitlines(), 1):
            where = f"{path.relative_to(ROOT)}:{number}"
            for module, names in re.findall(r"from (fastiou[\w.]*) import ([\w, ]+)", line):
                found.update((where, f"{module}.{name.strip()}") for name in names.split(",")
                             if name.strip())
            line = re.sub(r"from fastiou[\w.]* (?:c?import [\w, ]+|cimport)", "", line)
            for dotted in re.findall(r"\b(fastiou(?:\.\w+)+)(?![\w/])", line):
                found.add((where, dotted))
    return sorted(found)


DOCUMENTED = _documented_names()


def test_the_documentation_names_many_public_paths():
    names = {name for _, name in DOCUMENTED}
    for expected in ("fastiou.confusion_matrix", "fastiou.metrics.iou", "fastiou.dask.evaluate_files",
                     "fastiou.demo.make_dataset", "fastiou.compat.sklearn"):
        assert expected in names
    assert len(names) > 30


@pytest.mark.parametrize("where, name", DOCUMENTED, ids=[f"{w} {n}" for w, n in DOCUMENTED])
def test_every_documented_name_imports(where, name):
    assert _resolve(name) is not None, f"{where}: {name}"


def _public_modules():
    compat = [f"fastiou.compat.{info.name}" for info in pkgutil.iter_modules(fastiou.compat.__path__)
              if not info.name.startswith("_")]
    return ["fastiou", *REEXPORTS, *compat]


@pytest.mark.parametrize("module_name", _public_modules())
def test_every_name_of_every_public_all_imports(module_name):
    module = importlib.import_module(module_name)
    names = getattr(module, "__all__", None)
    assert names, f"{module_name} has no __all__"
    missing = [name for name in names if not hasattr(module, name)]
    assert not missing, f"{module_name}.__all__ names missing attributes: {missing}"
    namespace = {}
    exec(f"from {module_name} import *", namespace)  # noqa: S102 - the star import users may write
    assert set(names) <= set(namespace)


@pytest.mark.parametrize("public, implementation", REEXPORTS.items())
def test_a_public_path_re_exports_its_job_module(public, implementation):
    """The top-level module holds no code of its own: exactly the names of the module that
    does the work, as the same objects."""
    shim, module = importlib.import_module(public), importlib.import_module(implementation)
    assert sorted(shim.__all__) == sorted(module.__all__)
    for name in module.__all__:
        assert getattr(shim, name) is getattr(module, name), f"{public}.{name}"
    tree = ast.parse(Path(shim.__file__).read_text())
    definitions = [node for node in tree.body if isinstance(node, (ast.FunctionDef, ast.ClassDef))]
    assert not definitions, f"{public} defines {[d.name for d in definitions]}"
    assert implementation in (shim.__doc__ or ""), f"{public}'s docstring does not name {implementation}"


def test_import_fastiou_keeps_the_public_modules_as_attributes():
    """``import fastiou`` alone gives ``fastiou.metrics.iou``, ``fastiou.boxes.box_iou``...,
    as before the layout (the top-level modules it imported then)."""
    for name in ("metrics", "binary", "boxes", "masks"):
        assert getattr(fastiou, name) is importlib.import_module(f"fastiou.{name}")


def _fastiou_imports(path):
    """The fastiou modules a source file imports (``import``, ``from``, ``cimport``)."""
    text = path.read_text()
    if path.suffix == ".py":
        modules = set()
        for node in ast.walk(ast.parse(text)):
            if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
                modules.add(node.module)
            elif isinstance(node, ast.Import):
                modules.update(alias.name for alias in node.names)
        return {m for m in modules if m == "fastiou" or m.startswith("fastiou.")}
    return set(re.findall(r"^\s*(?:from|cimport)\s+(fastiou[\w.]*)", text, flags=re.M))


def _sources(folder):
    return sorted(p for p in (SOURCE / folder).rglob("*") if p.suffix in (".py", ".pyx", ".pxd", ".pyi"))


def test_shared_helpers_import_no_job():
    for path in _sources("_shared"):
        for module in _fastiou_imports(path):
            assert module.startswith(("fastiou._shared", "fastiou._version")), \
                f"{path.relative_to(SOURCE)} imports {module}"


@pytest.mark.parametrize("job, allowed", [
    ("segmentation", ("fastiou._shared", "fastiou.segmentation")),
    ("detection", ("fastiou._shared", "fastiou.detection")),
    ("panoptic", ("fastiou._shared", "fastiou.panoptic")),
])
def test_label_map_and_detection_code_import_only_their_own_job_and_shared(job, allowed):
    """Python imports and Cython cimports alike."""
    for path in _sources(job):
        for module in _fastiou_imports(path):
            assert module.startswith(allowed), f"{path.relative_to(SOURCE)} imports {module}"


def test_import_fastiou_loads_neither_the_evaluation_tool_nor_its_codecs():
    """``import fastiou`` (array API only) loads no module of ``fastiou.evaluate``, no PNG
    decoder and none of the compression or image libraries behind it; ``show_config()``
    imports the PNG decoder when it is called."""
    code = ("import io, sys, fastiou; print(' '.join(sorted(sys.modules))); "
            "fastiou.show_config(file=io.StringIO()); print(' '.join(sorted(sys.modules)))")
    before, after = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                                   check=True).stdout.splitlines()
    loaded = set(before.split())
    evaluate = {m for m in loaded if m == "fastiou.evaluate" or m.startswith("fastiou.evaluate.")}
    assert not evaluate, sorted(evaluate)
    libraries = ("zlib", "deflate", "zlib_ng", "imagecodecs", "PIL", "tqdm", "matplotlib", "dask", "distributed")
    codecs = {m for m in loaded if m.split(".")[0] in libraries}
    assert not codecs, sorted(codecs)
    assert not any(m.startswith("fastiou.compat") for m in loaded)
    assert "fastiou.evaluate._png" in after.split()


COMPILED_FILE_LINE_LIMIT = 600


def test_every_compiled_file_holds_one_job_of_modest_size():
    """One job per kernel file, each under about 600 lines, and no C hidden in a Cython
    string: hand-written C lives in ``include/*.h``, declared from a ``.pxd``."""
    compiled = sorted(SOURCE.rglob("_*.pyx")) + sorted(SOURCE.rglob("_*.pxd"))
    assert len(compiled) >= 20
    for path in compiled:
        text = path.read_text()
        n_lines = len(text.splitlines())
        assert n_lines <= COMPILED_FILE_LINE_LIMIT, f"{path.relative_to(SOURCE)}: {n_lines} lines"
        assert "cdef extern from *" not in text, f"{path.relative_to(SOURCE)} carries verbatim C"
    headers = sorted((SOURCE / "include").glob("*.h"))
    declared = {m for path in compiled for m in re.findall(r'cdef extern from "([^"]+\.h)"',
                                                           path.read_text())}
    assert {h.name for h in headers} <= declared, "a header no .pxd declares"
