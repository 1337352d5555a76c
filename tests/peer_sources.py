"""The real box functions of torchvision and mmdet, for the differential tests, without
installing those packages.

torchvision's wheels pin one torch version each and carry compiled operators built for
it, and mmdet needs mmcv; neither installs beside this environment's torch. Their box
functions, though, are plain Python over torch operations: ``torchvision/ops/boxes.py``
(with ``_utils.py`` and ``_box_convert.py``) and mmdet's ``iou2d_calculator.py``. This
module downloads the published wheels once (``pip download --no-deps``, cached in
``$FASTIOU_PEER_CACHE`` or ``~/.cache/fastiou-test-peers``), reads those files from them
and executes them unchanged against the installed torch, with stand-ins for the few
names they import from the rest of their package (API-usage logging, the compiled-ops
check, mmcv's registry), none of which the box functions use for their values.

torchvision 0.28.0 is the release built for torch 2.13.0 (its wheel requires exactly that
torch); mmdet 2.28.2 is the last 2.x release (3.x moved the same function, unchanged in
its arithmetic, to ``mmdet.structures.bbox``).
"""

import importlib.util
import os
import subprocess
import sys
import types
import zipfile
from pathlib import Path

import pytest

TORCHVISION = ("torchvision", "0.28.0")
MMDET = ("mmdet", "2.28.2")


def _cache_dir():
    root = os.environ.get("FASTIOU_PEER_CACHE") or os.path.join(
        os.path.expanduser("~"), ".cache", "fastiou-test-peers")
    path = Path(root)
    path.mkdir(parents=True, exist_ok=True)
    return path


def _wheel(name, version):
    """The cached wheel of ``name==version``, downloaded with pip if needed."""
    cache = _cache_dir()
    pattern = f"{name}-{version}-*.whl"
    found = sorted(cache.glob(pattern))
    if not found:
        command = [sys.executable, "-m", "pip", "download", "--no-deps", "--only-binary=:all:",
                   "--quiet", "-d", str(cache), f"{name}=={version}"]
        result = subprocess.run(command, capture_output=True, text=True, timeout=600)
        found = sorted(cache.glob(pattern))
        if result.returncode != 0 or not found:
            pytest.skip(f"could not download {name}=={version}: {result.stderr.strip()[-300:]}")
    return found[0]


def _extract(name, version, members):
    """Extract `members` of the wheel into the cache; return the extraction root."""
    wheel = _wheel(name, version)
    root = _cache_dir() / f"{name}-{version}-src"
    with zipfile.ZipFile(wheel) as archive:
        for member in members:
            target = root / member
            if not target.exists():
                target.parent.mkdir(parents=True, exist_ok=True)
                target.write_bytes(archive.read(member))
    return root


def _load(module_name, path):
    spec = importlib.util.spec_from_file_location(module_name, path)
    module = importlib.util.module_from_spec(spec)
    sys.modules[module_name] = module
    spec.loader.exec_module(module)
    return module


def _package(name, path=None, **attributes):
    module = types.ModuleType(name)
    if path is not None:
        module.__path__ = [str(path)]
    for key, value in attributes.items():
        setattr(module, key, value)
    return module


_CACHE = {}


def torchvision_boxes():
    """torchvision 0.28.0's ``torchvision.ops.boxes`` module, executed from its wheel."""
    if "torchvision" in _CACHE:
        return _CACHE["torchvision"]
    pytest.importorskip("torch")
    ops = "torchvision/ops/"
    root = _extract(*TORCHVISION, [ops + "boxes.py", ops + "_utils.py", ops + "_box_convert.py"])

    def no_ops():
        raise RuntimeError("torchvision's compiled operators are not available here")

    saved = {k: v for k, v in sys.modules.items() if k == "torchvision" or k.startswith("torchvision.")}
    stand_ins = {
        "torchvision": _package("torchvision", root / "torchvision", _is_tracing=lambda: False),
        "torchvision.extension": _package("torchvision.extension", _assert_has_ops=no_ops),
        "torchvision.utils": _package("torchvision.utils", _log_api_usage_once=lambda obj: None),
        "torchvision.ops": _package("torchvision.ops", root / "torchvision" / "ops"),
    }
    sys.modules.update(stand_ins)
    try:
        _load("torchvision.ops._utils", root / ops / "_utils.py")
        _load("torchvision.ops._box_convert", root / ops / "_box_convert.py")
        module = _load("torchvision.ops.boxes", root / ops / "boxes.py")
    finally:
        for key in [k for k in sys.modules if k == "torchvision" or k.startswith("torchvision.")]:
            del sys.modules[key]
        sys.modules.update(saved)
    _CACHE["torchvision"] = module
    return module


def mmdet_iou_calculator():
    """mmdet 2.28.2's ``mmdet/core/bbox/iou_calculators/iou2d_calculator.py`` module
    (``bbox_overlaps``, ``BboxOverlaps2D``), executed from its wheel."""
    if "mmdet" in _CACHE:
        return _CACHE["mmdet"]
    pytest.importorskip("torch")
    member = "mmdet/core/bbox/iou_calculators/iou2d_calculator.py"
    root = _extract(*MMDET, [member])

    class Registry:
        def register_module(self, *args, **kwargs):
            return lambda cls: cls

    package = "fastiou_test_mmdet_iou"
    sys.modules[package] = _package(package, (root / member).parent)
    sys.modules[package + ".builder"] = _package(package + ".builder", IOU_CALCULATORS=Registry())
    module = _load(package + ".iou2d_calculator", root / member)
    _CACHE["mmdet"] = module
    return module
