"""``fastiou eval --metrics biou,bf``: the Boundary IoU columns equal fastiou.boundary_iou /
boundary_fscore on the decoded maps, per dataset and per image, on every reading path."""

import csv
import io
import json
import os

import numpy as np
import pytest

import fastiou
from fastiou.evaluate import _engine, _io
from labelmaps import write_folders
from test_eval_cli import run

pytest.importorskip("PIL")

NUM_CLASSES = 5
VOID = 255


def blocky_pairs(rng, n_images, shape, void=VOID):
    """Pairs with regions (so that bands have interiors) and void pixels in the truth."""
    pairs = []
    for _ in range(n_images):
        cell = int(rng.integers(2, 6))
        small = rng.integers(0, NUM_CLASSES, (shape[0] // cell + 1, shape[1] // cell + 1))
        truth = np.kron(small, np.ones((cell, cell), int))[:shape[0], :shape[1]].astype(np.uint8)
        pred = np.where(rng.random(shape) < 0.9, np.roll(truth, 1, axis=1),
                        rng.integers(0, NUM_CLASSES, shape)).astype(np.uint8)
        truth[rng.random(shape) < 0.05] = void
        pairs.append((truth, pred))
    return pairs


@pytest.fixture(scope="module", params=[".png", ".npy"])
def dataset(tmp_path_factory, request):
    root = str(tmp_path_factory.mktemp("eval_boundary"))
    pairs = blocky_pairs(np.random.default_rng(3), 5, (40, 56))
    gt, pred = write_folders(root, pairs, gt_ext=request.param, pred_ext=request.param)
    return {"gt": gt, "pred": pred, "pairs": pairs}


def base_args(data, *extra):
    return [data["gt"], data["pred"], "--num-classes", str(NUM_CLASSES), "--ignore-index", "255",
            "--gt-suffix", "_gt", "--no-progress", *extra]


def nan_list(values):
    return [None if np.isnan(v) else v for v in np.asarray(values).tolist()]


@pytest.mark.parametrize("jobs", ["1", "3"])
def test_json_boundary_metrics_equal_the_api(dataset, capsys, jobs):
    code, out, err = run(base_args(dataset, "--format", "json", "--metrics", "iou,biou,bf",
                                   "--jobs", jobs), capsys)
    assert code == 0, err
    report = json.loads(out)
    truth = np.stack([t for t, _ in dataset["pairs"]])
    pred = np.stack([p for _, p in dataset["pairs"]])
    biou = fastiou.boundary_iou(truth, pred, NUM_CLASSES, ignore_index=VOID)
    bf = fastiou.boundary_fscore(truth, pred, NUM_CLASSES, ignore_index=VOID)
    assert [c["biou"] for c in report["classes"]] == nan_list(biou)
    assert [c["bf"] for c in report["classes"]] == nan_list(bf)
    assert report["mean"]["biou"] == np.nanmean(biou) and report["mean"]["bf"] == np.nanmean(bf)
    assert [c["iou"] for c in report["classes"]] == nan_list(
        fastiou.per_class_iou(truth, pred, NUM_CLASSES, ignore_index=VOID))


def test_per_image_csv_and_table_columns(dataset, capsys, tmp_path):
    target = tmp_path / "per_image.csv"
    code, out, err = run(base_args(dataset, "--per-image", str(target), "--metrics", "biou,bf"), capsys)
    assert code == 0, err
    assert "BIoU (%)" in out and "BF (%)" in out
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert list(rows[0])[:7] == ["image", "gt", "pred", "pixels", "counted", "mean_biou", "mean_bf"]
    for row, (truth, pred) in zip(rows, dataset["pairs"]):
        biou = fastiou.boundary_iou(truth, pred, NUM_CLASSES, ignore_index=VOID)
        bf = fastiou.boundary_fscore(truth, pred, NUM_CLASSES, ignore_index=VOID)
        assert [float(row[f"biou:{c}"]) for c in range(NUM_CLASSES)] == pytest.approx(
            biou.tolist(), nan_ok=True, rel=0, abs=0)
        assert [float(row[f"bf:{c}"]) for c in range(NUM_CLASSES)] == pytest.approx(
            bf.tolist(), nan_ok=True, rel=0, abs=0)


def test_out_of_range_miss_counts_the_truth_band_as_the_api(tmp_path, capsys):
    pairs = blocky_pairs(np.random.default_rng(5), 3, (30, 30))
    for _, pred in pairs:
        pred[::7, ::5] = 9  # out of range
    gt, pred_dir = write_folders(str(tmp_path), pairs)
    args = [gt, pred_dir, "--num-classes", str(NUM_CLASSES), "--ignore-index", "255",
            "--gt-suffix", "_gt", "--no-progress", "--format", "json", "--metrics", "biou"]
    code, _, err = run(args, capsys)
    assert code == _io.EXIT_OUT_OF_RANGE and "outside [0, 5)" in err
    truth = np.stack([t for t, _ in pairs])
    pred = np.stack([p for _, p in pairs])
    for policy in ("miss", "ignore"):
        code, out, err = run(args + ["--out-of-range", policy], capsys)
        assert code == 0, err
        expected = fastiou.boundary_iou(truth, pred, NUM_CLASSES, ignore_index=VOID, out_of_range=policy)
        assert [c["biou"] for c in json.loads(out)["classes"]] == nan_list(expected)


def test_boundary_metrics_are_not_computed_on_dask(dataset, capsys):
    code, _, err = run(base_args(dataset, "--metrics", "biou", "--dask-scheduler", "tcp://127.0.0.1:1"),
                       capsys)
    assert code != 0 and "--metrics biou and bf are not computed on Dask yet" in err


def test_without_boundary_metrics_no_band_is_counted(dataset):
    pair = next(iter(_io.find_pairs(dataset["gt"], dataset["pred"], "_gt", "").pairs))
    options = _engine.EvalOptions(num_classes=NUM_CLASSES, ignore_index=(VOID,))
    assert _engine.count_pair(pair, options).boundary is None
    counted = _engine.count_pair(pair, options._replace(boundary=True))
    assert counted.boundary.shape == (3, NUM_CLASSES) and counted.boundary.dtype == np.int64
    assert os.path.exists(pair.gt)
    assert counted.bf is None
    contours = _engine.count_pair(pair, options._replace(bf=True))
    assert contours.boundary is None and contours.bf.shape == (4, NUM_CLASSES)


def test_bf_alone_and_its_out_of_range_miss_as_the_api(tmp_path, capsys):
    """``--metrics bf`` counts only the contours; a bad prediction under ``miss`` keeps the
    true contour pixel under it, as ``fastiou.boundary_fscore(..., out_of_range="miss")``."""
    pairs = blocky_pairs(np.random.default_rng(8), 3, (30, 34))
    for _, pred in pairs:
        pred[::6, ::4] = 9  # out of range
    gt, pred_dir = write_folders(str(tmp_path), pairs)
    args = [gt, pred_dir, "--num-classes", str(NUM_CLASSES), "--ignore-index", "255",
            "--gt-suffix", "_gt", "--no-progress", "--format", "json", "--metrics", "bf"]
    truth = np.stack([t for t, _ in pairs])
    pred = np.stack([p for _, p in pairs])
    for policy in ("miss", "ignore"):
        code, out, err = run(args + ["--out-of-range", policy], capsys)
        assert code == 0, err
        report = json.loads(out)
        expected = fastiou.boundary_fscore(truth, pred, NUM_CLASSES, ignore_index=VOID,
                                           out_of_range=policy)
        assert [c["bf"] for c in report["classes"]] == nan_list(expected)
        assert "biou" not in report["classes"][0]
