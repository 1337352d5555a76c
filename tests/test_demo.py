"""``fastiou eval --demo`` and its deterministic Cityscapes-like dataset."""

import json
import os
import subprocess
import sys

import numpy as np
import pytest

from fastiou import reference
from fastiou.cli import main
from fastiou.evaluate import demo
from fastiou.evaluate._io import find_pairs, read_label_map

pytest.importorskip("PIL")


def _files(folder):
    found = {}
    for root, _, names in os.walk(folder):
        for name in names:
            path = os.path.join(root, name)
            with open(path, "rb") as fh:
                found[os.path.relpath(path, folder)] = fh.read()
    return found


def test_the_dataset_is_deterministic(tmp_path):
    first = demo.make_dataset(tmp_path / "a", n_images=3, height=48, width=96, seed=1)
    demo.make_dataset(tmp_path / "b", n_images=3, height=48, width=96, seed=1)
    demo.make_dataset(tmp_path / "c", n_images=3, height=48, width=96, seed=2)
    a, b, c = _files(tmp_path / "a"), _files(tmp_path / "b"), _files(tmp_path / "c")
    assert len(a) == 6 and a == b and a != c
    assert first.num_classes == 19 and first.ignore_index == 255 and first.n_images == 3


def test_the_dataset_looks_like_cityscapes(tmp_path):
    data = demo.make_dataset(tmp_path, n_images=6, height=128, width=256)
    pairing = find_pairs(data.gt_dir, data.pred_dir, data.gt_suffix, data.pred_suffix)
    assert len(pairing.pairs) == 6 and not pairing.gt_only and not pairing.pred_only
    assert all(os.path.basename(p.gt).endswith("_gtFine_labelTrainIds.png") for p in pairing.pairs)
    matrix = 0
    for pair in pairing.pairs:
        truth, pred = read_label_map(pair.gt), read_label_map(pair.pred)
        assert truth.shape == (128, 256) and truth.dtype == np.uint8
        assert set(np.unique(pred)) <= set(range(19))             # a class everywhere
        assert (truth == 255).any() and (truth == demo.SKY).any() and (truth == demo.ROAD).any()
        matrix = matrix + reference.confusion_matrix(truth, pred, 19, (255,))
    iou = reference.class_ratios(matrix, "iou")
    present = iou[~np.isnan(iou)]
    assert present.size >= 12                                    # most classes appear
    assert 0.4 < present.mean() < 0.95                           # realistic errors, not noise
    assert np.nanmax(iou) > 0.85 and np.nanmin(iou) < 0.6        # big classes easy, thin ones hard


def test_demo_command_prints_the_table(capsys):
    assert main(["eval", "--demo"]) == 0
    captured = capsys.readouterr()
    assert "Cityscapes-like" in captured.err and "deleted afterwards" in captured.err
    for name in ("road", "traffic sign", "bicycle", "mean", "pixel accuracy"):
        assert name in captured.out


def test_demo_keeps_its_files_with_demo_dir_and_takes_other_options(tmp_path, capsys):
    assert main(["eval", "--demo", "--demo-dir", str(tmp_path), "--format", "json",
                 "--metrics", "iou,kappa"]) == 0
    report = json.loads(capsys.readouterr().out)
    assert report["counts"]["images"] == 24 and report["classes"][10]["name"] == "sky"
    assert set(report["overall"]) == {"kappa"} and (tmp_path / "class_names.txt").exists()


def test_readme_first_command_runs():
    result = subprocess.run([sys.executable, "-m", "fastiou", "eval", "--demo"], capture_output=True,
                            text=True)
    assert result.returncode == 0 and "mean" in result.stdout


def test_demo_needs_numpy_only(capsys, monkeypatch):
    """`pip install . && fastiou eval --demo` works without the [cli] extra."""
    for name in ("PIL", "tqdm", "matplotlib", "dask", "distributed"):
        monkeypatch.setitem(sys.modules, name, None)
    assert main(["eval", "--demo", "--format", "json"]) == 0
    assert json.loads(capsys.readouterr().out)["counts"]["images"] == 24
