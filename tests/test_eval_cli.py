"""``fastiou eval`` end to end on generated folders: every format, every exit code, the JSON
schema, flat memory."""

import csv
import io
import json
import os
import stat
import subprocess
import sys
import tracemalloc

import numpy as np
import pytest

from fastiou import __version__, reference
from fastiou.cli import main
from fastiou.evaluate import _io
from fastiou.evaluate._report import BOUNDARY_METRICS, PER_CLASS_METRICS

from labelmaps import expected_matrix, random_maps, save, write_folders

pytest.importorskip("PIL")

NUM_CLASSES = 5
VOID = 255


@pytest.fixture(scope="module")
def dataset(tmp_path_factory):
    """Six PNG pairs of 24x32 with void pixels, and their arrays."""
    root = str(tmp_path_factory.mktemp("eval"))
    pairs = random_maps(np.random.default_rng(11), 6, (24, 32), NUM_CLASSES, void=VOID)
    gt, pred = write_folders(root, pairs)
    names = os.path.join(root, "names.txt")
    with open(names, "w") as fh:
        fh.write("\n".join(f"class {c}" for c in range(NUM_CLASSES)) + "\n")
    return {"root": root, "gt": gt, "pred": pred, "pairs": pairs, "names": names}


def run(argv, capsys):
    code = main(["eval"] + argv)
    captured = capsys.readouterr()
    return code, captured.out, captured.err


def base_args(data, *extra):
    return [data["gt"], data["pred"], "--num-classes", str(NUM_CLASSES), "--ignore-index", "255",
            "--gt-suffix", "_gt", *extra]


def json_report(data, capsys, *extra):
    code, out, err = run(base_args(data, "--format", "json", *extra), capsys)
    assert code == 0, err
    return json.loads(out)


def test_json_matches_the_numpy_reference(dataset, capsys):
    report = json_report(dataset, capsys, "--metrics", "iou,dice,precision,recall,acc,pixel_acc,fwiou,kappa")
    matrix = expected_matrix(dataset["pairs"], NUM_CLASSES, (VOID,))
    assert report["confusion_matrix"] == matrix.tolist()
    for metric, (_, field) in PER_CLASS_METRICS.items():
        if metric in BOUNDARY_METRICS:  # tests/test_eval_boundary.py
            continue
        expected = reference.class_ratios(matrix, field)
        np.testing.assert_array_equal([c[metric] for c in report["classes"]], expected)
        assert report["mean"][metric] == np.nanmean(expected)
    assert report["overall"]["pixel_acc"] == np.trace(matrix) / matrix.sum()
    assert report["overall"]["fwiou"] == pytest.approx(reference.frequency_weighted_iou(matrix), rel=1e-15)
    assert report["overall"]["kappa"] == pytest.approx(reference.cohen_kappa(matrix), rel=1e-15)
    pixels = sum(t.size for t, _ in dataset["pairs"])
    assert report["counts"] == {"images": 6, "pixels": pixels, "counted_pixels": int(matrix.sum()),
                                "ignored_pixels": pixels - int(matrix.sum()), "skipped_unpaired": 0}


def test_json_schema_is_stable(dataset, capsys):
    report = json_report(dataset, capsys, "--class-names", dataset["names"])
    assert list(report) == ["schema", "fastiou_version", "num_classes", "ignore_index", "metrics",
                            "classes", "mean", "overall", "counts", "confusion_matrix", "threads",
                            "elapsed_seconds"]
    assert report["schema"] == "fastiou.eval/1" and report["fastiou_version"] == __version__
    assert report["num_classes"] == NUM_CLASSES and report["ignore_index"] == [VOID]
    assert report["metrics"] == ["iou", "dice", "acc", "pixel_acc"]
    for index, entry in enumerate(report["classes"]):
        assert list(entry) == ["id", "name", "iou", "dice", "acc", "gt_pixels", "pred_pixels"]
        assert entry["id"] == index and entry["name"] == f"class {index}"
        assert all(isinstance(entry[m], float) and 0 <= entry[m] <= 1 for m in ("iou", "dice", "acc"))
        assert isinstance(entry["gt_pixels"], int) and isinstance(entry["pred_pixels"], int)
    assert set(report["mean"]) == {"iou", "dice", "acc"} and set(report["overall"]) == {"pixel_acc"}
    assert all(0 <= v <= 1 for v in [*report["mean"].values(), *report["overall"].values()])
    assert set(report["threads"]) == {"cores", "decode_threads", "kernel_threads", "dask_scheduler"}
    assert report["threads"]["decode_threads"] * report["threads"]["kernel_threads"] <= \
        max(report["threads"]["cores"], report["threads"]["decode_threads"])
    assert isinstance(report["elapsed_seconds"], float) and report["elapsed_seconds"] > 0
    matrix = np.array(report["confusion_matrix"])
    assert matrix.shape == (NUM_CLASSES, NUM_CLASSES) and matrix.sum() == report["counts"]["counted_pixels"]


def test_absent_classes_are_null_in_json(tmp_path, capsys):
    labels = np.zeros((4, 4), dtype=np.uint8)
    gt, pred = write_folders(str(tmp_path), [(labels, labels)])
    code, out, _ = run([gt, pred, "-n", "3", "--gt-suffix", "_gt", "--format", "json"], capsys)
    report = json.loads(out)
    assert code == 0 and [c["iou"] for c in report["classes"]] == [1.0, None, None]
    assert report["mean"]["iou"] == 1.0


@pytest.mark.parametrize("jobs", ["1", "2", "3", "7"])
def test_results_do_not_depend_on_jobs(dataset, capsys, jobs):
    report = json_report(dataset, capsys, "--jobs", jobs)
    assert report["confusion_matrix"] == expected_matrix(dataset["pairs"], NUM_CLASSES, (VOID,)).tolist()
    assert report["threads"]["decode_threads"] == int(jobs)


def test_table_and_markdown_list_every_class_and_the_means(dataset, capsys):
    report = json_report(dataset, capsys, "--class-names", dataset["names"])
    for fmt in ("table", "markdown"):
        code, out, _ = run(base_args(dataset, "--format", fmt, "--class-names", dataset["names"]), capsys)
        assert code == 0
        for entry in report["classes"]:
            assert entry["name"] in out and f"{100 * entry['iou']:.2f}" in out
        assert f"{100 * report['mean']['iou']:.2f}" in out
        assert "6 image(s)" in out and "pixel accuracy" in out
    assert out.startswith("| class | IoU (%) |") and "| **mean** |" in out


def test_csv_holds_the_json_values(dataset, capsys):
    report = json_report(dataset, capsys)
    code, out, _ = run(base_args(dataset, "--format", "csv"), capsys)
    rows = list(csv.DictReader(io.StringIO(out)))
    assert code == 0 and list(rows[0]) == ["scope", "class_id", "class_name", "metric", "value"]
    values = {(r["scope"], r["class_id"], r["metric"]): r["value"] for r in rows}
    for entry in report["classes"]:
        assert float(values[("class", str(entry["id"]), "iou")]) == entry["iou"]
        assert int(values[("class", str(entry["id"]), "gt_pixels")]) == entry["gt_pixels"]
    assert float(values[("mean", "", "dice")]) == report["mean"]["dice"]
    assert float(values[("overall", "", "pixel_acc")]) == report["overall"]["pixel_acc"]
    assert int(values[("counts", "", "images")]) == 6


def test_out_writes_the_file_and_nothing_to_stdout(dataset, capsys, tmp_path):
    target = tmp_path / "result.json"
    code, out, _ = run(base_args(dataset, "--format", "json", "--out", str(target)), capsys)
    assert code == 0 and out == ""
    assert json.loads(target.read_text())["schema"] == "fastiou.eval/1"


def test_per_image_csv_scores_each_image(dataset, capsys, tmp_path):
    target = tmp_path / "per_image.csv"
    code, _, _ = run(base_args(dataset, "--per-image", str(target), "--metrics", "iou,pixel_acc"), capsys)
    rows = list(csv.DictReader(io.StringIO(target.read_text())))
    assert code == 0 and len(rows) == 6
    assert list(rows[0])[:7] == ["image", "gt", "pred", "pixels", "counted", "mean_iou", "pixel_acc"]
    for row, (truth, pred) in zip(rows, dataset["pairs"]):
        matrix = reference.confusion_matrix(truth, pred, NUM_CLASSES, (VOID,))
        iou = reference.class_ratios(matrix, "iou")
        assert row["image"] == f"img{rows.index(row):03d}" and int(row["pixels"]) == truth.size
        assert int(row["counted"]) == matrix.sum()
        assert float(row["mean_iou"]) == np.nanmean(iou)
        assert [float(row[f"iou:{c}"]) for c in range(NUM_CLASSES)] == iou.tolist()


def test_every_file_type_is_read(tmp_path, capsys):
    pairs = random_maps(np.random.default_rng(3), 3, (10, 12), NUM_CLASSES)
    expected = expected_matrix(pairs, NUM_CLASSES).tolist()
    for gt_ext, pred_ext in ((".tif", ".npy"), (".npy", ".png"), (".png", ".tiff")):
        root = tmp_path / gt_ext[1:]
        gt, pred = write_folders(str(root), pairs, gt_ext, pred_ext)
        code, out, err = run([gt, pred, "-n", str(NUM_CLASSES), "--gt-suffix", "_gt", "--format", "json"],
                             capsys)
        assert code == 0, err
        assert json.loads(out)["confusion_matrix"] == expected


def test_list_files_and_a_pairs_file(dataset, capsys, tmp_path):
    gt_files = sorted(os.path.join(d, f) for d, _, fs in os.walk(dataset["gt"]) for f in fs)
    gt_files.sort(key=os.path.basename)
    pred_files = [os.path.join(dataset["pred"], os.path.basename(f).replace("_gt", "")) for f in gt_files]
    (tmp_path / "gt.txt").write_text("\n".join(gt_files) + "\n")
    (tmp_path / "pred.txt").write_text("\n".join(pred_files) + "\n")
    (tmp_path / "pairs.tsv").write_text("".join(f"{g}\t{p}\n" for g, p in zip(gt_files, pred_files)))
    expected = expected_matrix(dataset["pairs"], NUM_CLASSES, (VOID,)).tolist()
    for argv in ([str(tmp_path / "gt.txt"), str(tmp_path / "pred.txt")], [str(tmp_path / "pairs.tsv")]):
        code, out, err = run(argv + ["-n", str(NUM_CLASSES), "--ignore-index", "255", "--format", "json"],
                             capsys)
        assert code == 0, err
        assert json.loads(out)["confusion_matrix"] == expected


def test_label_map_reduce_zero_label_and_colour_map(tmp_path, capsys):
    from PIL import Image

    rng = np.random.default_rng(8)
    raw = rng.choice([0, 7, 8, 26], (12, 16)).astype(np.uint8)          # Cityscapes label ids
    train = np.select([raw == 7, raw == 8, raw == 26], [0, 1, 13], 255)
    pred_train = np.where(rng.random(raw.shape) < 0.8, np.where(train == 255, 0, train), 1)
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir(), pred_dir.mkdir()
    save(str(gt_dir / "a.png"), raw)
    save(str(pred_dir / "a.png"), pred_train.astype(np.uint8))
    code, out, _ = run([str(gt_dir), str(pred_dir), "-n", "19", "--label-map", "cityscapes",
                        "--ignore-index", "255", "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["confusion_matrix"] == \
        reference.confusion_matrix(train, pred_train, 19, (255,)).tolist()

    zero_based = rng.integers(0, 4, (12, 16)).astype(np.uint8)            # 0 = unlabelled
    save(str(gt_dir / "a.png"), zero_based)
    save(str(pred_dir / "a.png"), (zero_based % 3).astype(np.uint8))
    code, out, _ = run([str(gt_dir), str(pred_dir), "-n", "3", "--reduce-zero-label", "--format", "json"],
                       capsys)
    truth = np.where(zero_based == 0, 255, zero_based.astype(np.int64) - 1)
    assert code == 0 and json.loads(out)["ignore_index"] == [255]
    assert json.loads(out)["confusion_matrix"] == \
        reference.confusion_matrix(truth, zero_based % 3, 3, (255,)).tolist()

    colours = np.array([(128, 64, 128), (70, 70, 70)], dtype=np.uint8)
    ids = rng.integers(0, 2, (12, 16))
    Image.fromarray(colours[ids]).save(gt_dir / "a.png")
    Image.fromarray(colours[1 - ids]).save(pred_dir / "a.png")
    code, out, _ = run([str(gt_dir), str(pred_dir), "-n", "2", "--color-map", "[[128,64,128],[70,70,70]]",
                        "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["confusion_matrix"] == reference.confusion_matrix(ids, 1 - ids, 2).tolist()


# ------------------------------------------------------------------------------ --out-of-range

def _out_of_range_data(rng, shape=(13, 17)):
    """Truth 0..4 with void 255 and some 9 (outside [0, 5)); predictions with some 7 and 200."""
    truth = rng.integers(0, NUM_CLASSES, shape)
    truth[rng.random(shape) < 0.1] = VOID
    truth[rng.random(shape) < 0.05] = 9
    pred = np.where(rng.random(shape) < 0.6, truth % NUM_CLASSES, rng.integers(0, NUM_CLASSES, shape))
    pred[rng.random(shape) < 0.1] = 7
    pred[rng.random(shape) < 0.05] = 200
    return truth, pred


@pytest.mark.parametrize("kind", ["png8", "npy8", "png16", "npy64"])
@pytest.mark.parametrize("policy", ["ignore", "miss"])
def test_out_of_range_policies_count_as_the_api(tmp_path, capsys, kind, policy):
    """Every reading path (8-bit PNGs counted while decoded, 8-bit .npy folded from raw
    values, 16-bit PNGs and int64 .npy counted after mapping) gives the API's numbers."""
    import fastiou

    rng = np.random.default_rng(21)
    pairs = [_out_of_range_data(rng) for _ in range(3)]
    extension = ".npy" if kind.startswith("npy") else ".png"
    dtype = {"png8": np.uint8, "npy8": np.uint8, "png16": np.uint16, "npy64": np.int64}[kind]
    gt, pred = write_folders(str(tmp_path), [(t.astype(dtype), p.astype(dtype)) for t, p in pairs],
                             gt_ext=extension, pred_ext=extension)
    argv = [gt, pred, "-n", str(NUM_CLASSES), "--ignore-index", "255", "--gt-suffix", "_gt",
            "--per-image", str(tmp_path / "images.csv"), "--metrics", "iou,recall"]
    code, _, err = run(argv, capsys)
    assert code == 6 and "outside [0, 5): 9" in err
    code, out, err = run(argv + ["--out-of-range", policy, "--format", "json"], capsys)
    assert code == 0, err
    report = json.loads(out)
    truth = np.concatenate([t.ravel() for t, _ in pairs])
    prediction = np.concatenate([p.ravel() for _, p in pairs])
    counts = fastiou.ConfusionMatrix(NUM_CLASSES, ignore_index=255, out_of_range=policy)
    counts.update(truth, prediction)
    expected = counts.compute()
    assert report["confusion_matrix"] == counts.matrix.tolist()
    np.testing.assert_array_equal([c["iou"] for c in report["classes"]], expected.iou)
    assert [c["gt_pixels"] for c in report["classes"]] == expected.support.tolist()
    assert report["mean"]["iou"] == expected.mean_iou
    missed = int(counts.miss.sum()) if policy == "miss" else 0  # "ignore" drops them
    assert counts.miss.sum() > 0
    assert report["counts"]["counted_pixels"] == int(counts.matrix.sum()) + missed
    rows = list(csv.DictReader(io.StringIO((tmp_path / "images.csv").read_text())))
    assert sum(int(row["counted"]) for row in rows) == report["counts"]["counted_pixels"]
    first = fastiou.ConfusionMatrix(NUM_CLASSES, ignore_index=255, out_of_range=policy)
    first.update(*pairs[0])
    assert float(rows[0]["mean_iou"]) == first.compute().mean_iou


@pytest.mark.parametrize("kind", ["png8", "npy8", "png16", "npy64"])
def test_the_cityscapes_preset_counts_alike_on_every_reading_path(tmp_path, capsys, kind):
    rng = np.random.default_rng(5)
    truth = rng.integers(0, 34, (3, 11, 14))
    pred = np.where(rng.random(truth.shape) < 0.5, truth, rng.integers(0, 34, truth.shape))
    extension = ".npy" if kind.startswith("npy") else ".png"
    dtype = {"png8": np.uint8, "npy8": np.uint8, "png16": np.uint16, "npy64": np.int64}[kind]
    reports = {}
    for name, (t, p) in {"clean": (truth, pred), "bad truth": (np.where(truth == 3, 255, truth), pred),
                         "bad pred": (truth, np.where(truth == 1, 40, pred))}.items():
        folder = tmp_path / name.replace(" ", "_")
        gt, pr = write_folders(str(folder), [(a.astype(dtype), b.astype(dtype)) for a, b in zip(t, p)],
                               gt_ext=extension, pred_ext=extension)
        code, out, err = run([gt, pr, "-n", "19", "--label-map", "cityscapes", "--pred-label-map",
                              "cityscapes", "--ignore-index", "255", "--gt-suffix", "_gt",
                              "--format", "json"], capsys)
        reports[name] = (code, out, err)
    code, out, err = reports["clean"]
    assert code == 0, err
    report = json.loads(out)
    void = [i for i in range(34) if i not in _io.CITYSCAPES_TRAIN_IDS]
    train = np.vectorize(lambda v: _io.CITYSCAPES_TRAIN_IDS.get(int(v), 255))
    assert report["confusion_matrix"] == \
        reference.confusion_matrix(train(truth).ravel(), train(pred).ravel(), 19, (255,)).tolist()
    misses = (np.isin(truth, list(_io.CITYSCAPES_TRAIN_IDS)) & np.isin(pred, void)).sum()
    assert report["counts"]["counted_pixels"] == int(np.sum(report["confusion_matrix"]) + misses)
    assert reports["bad truth"][0] == 6 and "--label-map does not list: 255" in reports["bad truth"][2]
    assert reports["bad pred"][0] == 6 and "does not declare void: 40" in reports["bad pred"][2]


def test_out_of_range_takes_only_its_three_policies(dataset, capsys):
    with pytest.raises(SystemExit) as info:  # argparse's usage error
        run(base_args(dataset, "--out-of-range", "drop"), capsys)
    assert info.value.code == 2 and "invalid choice: 'drop'" in capsys.readouterr().err


ERRORS_MD = os.path.join(os.path.dirname(__file__), os.pardir, "docs", "errors.md")


def _out_of_range_rows():
    """The rows of docs/errors.md's "Out-of-range labels" table."""
    import re

    with open(ERRORS_MD, encoding="utf-8") as fh:
        text = fh.read()
    section = text[text.index("## Out-of-range labels"):]
    row = re.compile(r"^\| `(.+?)` \| `(\[\[.+?\]\])` \| `(\[\[.+?\]\])` \| `` (.+) `` \|$")
    return [row.match(line).groups() for line in section.splitlines() if row.match(line)]


@pytest.mark.parametrize("options,truth,pred,message", _out_of_range_rows())
def test_documented_out_of_range_messages(tmp_path, capsys, options, truth, pred, message):
    import ast

    truth, pred = np.array(ast.literal_eval(truth)), np.array(ast.literal_eval(pred))
    gt_dir, pred_dir = tmp_path / "gt", tmp_path / "pred"
    gt_dir.mkdir(), pred_dir.mkdir()
    save(str(gt_dir / "a.png"), truth.astype(np.uint8))
    save(str(pred_dir / "a.png"), pred.astype(np.uint8))
    code, out, err = run([str(gt_dir), str(pred_dir), *options.split()], capsys)
    path = str(gt_dir / "a.png") if "label-map does not list" in message or \
        "ignore-index, map it with --label-map" in message else str(pred_dir / "a.png")
    assert code == 6 and out == ""
    assert err == f"fastiou eval: error: {message.replace('F', path, 1)}\n"


def test_the_documented_rows_cover_every_message():
    assert len(_out_of_range_rows()) == 5


# ------------------------------------------------------------------------------ exit codes

def test_missing_pairs_exit_3_and_are_listed(dataset, capsys, tmp_path):
    pairs = dataset["pairs"][:3]
    gt, pred = write_folders(str(tmp_path), pairs)
    os.remove(os.path.join(pred, "img001.png"))
    save(os.path.join(pred, "stray.png"), pairs[0][1])
    code, out, err = run([gt, pred, "-n", "5", "--ignore-index", "255", "--gt-suffix", "_gt"], capsys)
    assert code == 3 and out == ""
    assert err == ("fastiou eval: error: 1 ground-truth file has no prediction: img001; "
                   "1 prediction has no ground truth: stray; "
                   "--on-missing skip evaluates the 2 matched pairs\n")

    code, out, err = run([gt, pred, "-n", "5", "--ignore-index", "255", "--gt-suffix", "_gt",
                          "--on-missing", "skip", "--format", "json"], capsys)
    report = json.loads(out)
    assert code == 0 and err.startswith("fastiou eval: skipping 2 unpaired files: ")
    assert report["counts"]["images"] == 2 and report["counts"]["skipped_unpaired"] == 2
    kept = [pairs[0], pairs[2]]
    assert report["confusion_matrix"] == expected_matrix(kept, 5, (VOID,)).tolist()


def test_files_left_out_for_their_extension_or_suffix_are_named_and_counted(dataset, capsys,
                                                                          tmp_path):
    """A .jpg prediction and ground truth whose name lacks --gt-suffix explain missing pairs."""
    pairs = dataset["pairs"][:3]
    gt, pred = write_folders(str(tmp_path), pairs)
    os.rename(os.path.join(pred, "img001.png"), os.path.join(pred, "img001.jpg"))
    os.rename(os.path.join(gt, "sub0", "img002_gt.png"), os.path.join(gt, "sub0", "img002.png"))
    code, _, err = run([gt, pred, "-n", "5", "--ignore-index", "255", "--gt-suffix", "_gt"], capsys)
    assert code == 3
    assert "1 ground-truth file has no prediction: img001; 1 prediction has no ground truth: img002" in err
    assert (f"1 file was left out: {os.path.join(gt, 'sub0', 'img002.png')} (the name does not end "
            f"in --gt-suffix '_gt')") in err
    assert (f"1 file was left out: {os.path.join(pred, 'img001.jpg')} (.jpg is not a label-map "
            f"format (.png, .tif, .tiff, .npy))") in err
    assert err.endswith("--on-missing skip evaluates the 1 matched pair\n")
    code, out, err = run([gt, pred, "-n", "5", "--ignore-index", "255", "--gt-suffix", "_gt",
                          "--on-missing", "skip"], capsys)
    assert code == 0 and "img001.jpg (.jpg is not a label-map format" in err


def test_no_pair_at_all_exits_3_even_when_skipping(dataset, capsys):
    code, _, err = run([dataset["gt"], dataset["pred"], "-n", "5", "--gt-suffix", "_nothing",
                        "--on-missing", "skip"], capsys)
    assert code == 3 and "holds no label file" in err


def test_size_mismatch_exits_4_naming_both_files(tmp_path, capsys):
    gt, pred = write_folders(str(tmp_path), [(np.zeros((4, 5), np.uint8), np.zeros((5, 4), np.uint8))])
    code, _, err = run([gt, pred, "-n", "2", "--gt-suffix", "_gt"], capsys)
    assert code == 4
    assert (f"the prediction {os.path.join(pred, 'img000.png')} has shape (5, 4) but its ground truth "
            f"{os.path.join(gt, 'sub0', 'img000_gt.png')} has shape (4, 5); they must be equal") in err


def test_unreadable_and_rgb_files_exit_5(tmp_path, capsys):
    from PIL import Image

    gt, pred = write_folders(str(tmp_path), [(np.zeros((4, 5), np.uint8),) * 2])
    Image.new("RGB", (5, 4)).save(os.path.join(pred, "img000.png"))
    code, _, err = run([gt, pred, "-n", "2", "--gt-suffix", "_gt"], capsys)
    assert code == 5 and "img000.png is an RGB colour image" in err
    with open(os.path.join(pred, "img000.png"), "wb") as fh:
        fh.write(b"not a png")
    code, _, err = run([gt, pred, "-n", "2", "--gt-suffix", "_gt"], capsys)
    assert code == 5 and "cannot decode" in err and "img000.png" in err


def test_labels_out_of_range_exit_6_naming_file_and_value(tmp_path, capsys):
    truth = np.array([[0, 1], [7, 255]], dtype=np.uint8)
    gt, pred = write_folders(str(tmp_path), [(truth, np.zeros_like(truth))])
    code, _, err = run([gt, pred, "-n", "2", "--gt-suffix", "_gt"], capsys)
    assert code == 6 and "img000_gt.png has 2 pixel(s) with label(s) outside [0, 2): 7, 255" in err
    assert "--ignore-index" in err
    pred_bad = np.array([[0, 9], [1, 1]], dtype=np.uint8)
    gt, pred = write_folders(str(tmp_path / "p"), [(np.zeros_like(truth), pred_bad)])
    code, _, err = run([gt, pred, "-n", "2", "--gt-suffix", "_gt"], capsys)
    assert code == 6 and "img000.png has 1 pixel(s) with label(s) outside [0, 2): 9" in err


@pytest.mark.parametrize("extra,message", [
    ([], "--num-classes is required"),
    (["-n", "0"], "--num-classes must be at least 1"),
    (["-n", "5", "--metrics", "iou,miou"], "--metrics 'iou,miou' names unknown metric(s) miou; choose"),
    (["-n", "5", "--metrics", ","], "--metrics ',' names no metric; choose from iou, dice"),
    (["-n", "5", "--jobs", "0"], "--jobs must be at least 1"),
    (["-n", "4", "--class-names", "NAMES"], "has 5 names but --num-classes is 4"),
    (["-n", "5", "--class-names", "/no/such/file"],
     "cannot read the --class-names file /no/such/file: no such file or directory"),
    (["-n", "5", "--label-map", "7-1"], "--label-map '7-1' must hold 'value:class' items"),
    (["-n", "5", "--out", "/no/such/dir/out.txt", "--ignore-index", "255"],
     "cannot write --out /no/such/dir/out.txt: the folder /no/such/dir does not exist"),
    (["-n", "5", "--batch-size", "4"], "--batch-size sets the pairs per Dask task and needs "
                                       "--dask-scheduler"),
    (["-n", "5", "--batch-size", "0", "--dask-scheduler", "tcp://127.0.0.1:9"],
     "--batch-size must be at least 1, got 0"),
])
def test_usage_errors_exit_2(dataset, capsys, extra, message):
    extra = [dataset["names"] if e == "NAMES" else e for e in extra]
    code, _, err = run([dataset["gt"], dataset["pred"], "--gt-suffix", "_gt", *extra], capsys)
    assert code == 2 and message in err


def test_usage_errors_without_data(capsys):
    assert run(["-n", "3"], capsys)[0] == 2
    assert run(["--demo", "some/dir"], capsys)[2].endswith("give no GT or PRED\n")
    with pytest.raises(SystemExit) as info:
        main(["eval", "x", "y", "--format", "xml"])
    assert info.value.code == 2


def test_missing_matplotlib_exits_7_before_reading(dataset, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "matplotlib", None)
    code, _, err = run(base_args(dataset, "--plot", "x.png"), capsys)
    assert code == 7 and "pip install 'fastiou[plot]'" in err


def test_unreachable_dask_scheduler_exits_2(dataset, capsys, monkeypatch):
    pytest.importorskip("distributed")
    monkeypatch.setattr("fastiou.evaluate._command.DASK_CONNECT_TIMEOUT", "1s")
    code, _, err = run(base_args(dataset, "--dask-scheduler", "tcp://127.0.0.1:9", "--no-progress"),
                       capsys)
    assert code == 2 and "cannot connect to the Dask scheduler" in err


def test_no_progress_bar_outside_a_terminal(dataset, capsys):
    code, _, err = run(base_args(dataset), capsys)
    assert code == 0 and err == ""


def test_plot_is_written(dataset, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    target = tmp_path / "eval.png"
    code, _, _ = run(base_args(dataset, "--plot", str(target)), capsys)
    assert code == 0 and target.stat().st_size > 20_000


def test_python_dash_m_fastiou_eval(dataset):
    result = subprocess.run([sys.executable, "-m", "fastiou", "eval", *base_args(dataset, "--format", "json")],
                            capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["counts"]["images"] == 6


def _peak_bytes(folder_pairs, capsys):
    gt, pred = folder_pairs
    tracemalloc.start()
    try:
        code, _, _ = run([gt, pred, "-n", "5", "--gt-suffix", "_gt", "--ignore-index", "255", "--jobs", "2"],
                         capsys)
        return code, tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()


def test_memory_does_not_grow_with_the_number_of_images(tmp_path, capsys):
    pairs = random_maps(np.random.default_rng(2), 200, (64, 64), 5, void=VOID)
    few = write_folders(str(tmp_path / "few"), pairs[:20])
    many = write_folders(str(tmp_path / "many"), pairs)
    _peak_bytes(few, capsys)  # warm-up: imports and first-use caches
    code_few, peak_few = _peak_bytes(few, capsys)
    code_many, peak_many = _peak_bytes(many, capsys)
    assert code_few == code_many == 0
    print(f"peak with 20 images {peak_few} B, with 200 images {peak_many} B")
    # 10x the images: the peak may grow by the file listing (~1 KB a pair), not by the pixels
    assert peak_many < peak_few + 180 * 1024 + 0.25 * peak_few


@pytest.mark.parametrize("mapping", [["--label-map", "1:0,2:1,3:2,0:255"],
                                     ["--label-map", "1:0,2:1,3:2,0:255", "--pred-label-map", "0:2,9:1"],
                                     ["--reduce-zero-label"],
                                     ["--pred-label-map", "4:0", "--reduce-zero-label"]])
def test_mapping_uint8_counts_equals_mapping_every_pixel(tmp_path, capsys, mapping):
    """8-bit maps are counted raw and folded through the mapping; 16-bit ones are mapped pixel
    by pixel: both must give the same report, and the reference on mapped arrays."""
    rng = np.random.default_rng(21)
    pairs = [(rng.integers(0, 4, (9, 13)).astype(np.uint8), rng.integers(0, 5, (9, 13)).astype(np.uint8))
             for _ in range(3)]
    pairs[0][1][0, :4] = 9
    reports = []
    for dtype in (np.uint8, np.uint16):
        gt, pred = write_folders(str(tmp_path / np.dtype(dtype).name),
                                 [(t.astype(dtype), p.astype(dtype)) for t, p in pairs])
        code, out, err = run([gt, pred, "-n", "3", "--gt-suffix", "_gt", "--ignore-index", "255",
                              "--format", "json", *mapping], capsys)
        reports.append((code, err, json.loads(out) if out else None))
    (code8, err8, report8), (code16, err16, report16) = reports
    assert code8 == code16 and err8 == err16.replace("uint16", "uint8")
    if code8 == 0:
        assert report8["confusion_matrix"] == report16["confusion_matrix"]
    else:
        assert code8 == 6 and "outside [0, 3)" in err8


def test_mapping_errors_name_the_mapped_value(tmp_path, capsys):
    truth = np.array([[0, 1], [2, 3]], dtype=np.uint8)
    gt, pred = write_folders(str(tmp_path), [(truth, truth % 2)])
    code, _, err = run([gt, pred, "-n", "2", "--gt-suffix", "_gt", "--label-map", "3:7"], capsys)
    assert code == 6 and "img000_gt.png has 2 pixel(s) with label(s) outside [0, 2): 2, 7" in err
    code, _, err = run([gt, pred, "-n", "4", "--gt-suffix", "_gt", "--pred-label-map", "1:9"], capsys)
    assert code == 6 and "img000.png has 2 pixel(s) with label(s) outside [0, 4): 9" in err


def test_progress_bar_on_a_terminal_only(dataset, capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(base_args(dataset), capsys)
    assert code == 0 and "fastiou eval" in err and "6/6" in err
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    code, _, err = run(base_args(dataset, "--no-progress"), capsys)
    assert code == 0 and err == ""


def test_verbose_says_which_inflaters_decode(dataset, capsys):
    from fastiou.evaluate import _png

    expected = json_report(dataset, capsys)["confusion_matrix"]
    for chosen in (None, _png.STANDARD_ZLIB):  # the fast path, and the standard zlib without it
        old = _png._set_inflater(chosen)
        try:
            name = _png.inflater().name
            code, out, err = run(base_args(dataset, "-v", "--no-progress", "--format", "json"), capsys)
        finally:
            _png._set_inflater(old)
        assert code == 0 and json.loads(out)["confusion_matrix"] == expected
        assert err == (f"fastiou eval: PNG files are inflated by {name}; 8-bit PNG pairs by "
                       f"{name}, whole\n")
    code, _, err = run(base_args(dataset, "--no-progress"), capsys)
    assert code == 0 and err == ""


def test_without_pillow_palette_pngs_still_evaluate_and_tiffs_exit_7(dataset, capsys, monkeypatch,
                                                                     tmp_path):
    expected = json_report(dataset, capsys)["confusion_matrix"]
    pairs = dataset["pairs"][:2]
    gt, pred = write_folders(str(tmp_path), pairs, gt_ext=".tif")
    monkeypatch.setitem(sys.modules, "PIL", None)
    assert json_report(dataset, capsys)["confusion_matrix"] == expected
    code, _, err = run([gt, pred, "-n", "5", "--gt-suffix", "_gt"], capsys)
    assert code == 7 and "needs Pillow: pip install 'fastiou[cli]'" in err


def test_eval_runs_without_dask_installed(dataset, capsys, monkeypatch):
    monkeypatch.setitem(sys.modules, "dask", None)
    monkeypatch.setitem(sys.modules, "distributed", None)
    assert run(base_args(dataset), capsys)[0] == 0
    code, _, err = run(base_args(dataset, "--dask-scheduler", "tcp://127.0.0.1:9"), capsys)
    assert code == 7 and "pip install 'fastiou[dask]'" in err


def test_class_names_as_a_json_list(dataset, capsys, tmp_path):
    names = tmp_path / "names.json"
    names.write_text(json.dumps([f"c{i}" for i in range(NUM_CLASSES)]))
    report = json_report(dataset, capsys, "--class-names", str(names))
    assert [c["name"] for c in report["classes"]] == [f"c{i}" for i in range(NUM_CLASSES)]
    names.write_text("[not json")
    code, _, err = run(base_args(dataset, "--class-names", str(names)), capsys)
    assert code == 2 and "is not a JSON list" in err


_PEAK_RSS = """
import resource, sys
from fastiou.cli import main
code = main(["eval", sys.argv[1], "-n", "5", "--ignore-index", "255", "--jobs", "2", "--out", sys.argv[2]])
print(code, resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)
"""


@pytest.mark.skipif(not sys.platform.startswith("linux"), reason="ru_maxrss is in KiB on Linux only")
def test_peak_rss_does_not_grow_with_the_number_of_images(tmp_path):
    """Pillow's buffers are invisible to tracemalloc: compare the peak RSS of two fresh
    processes, one evaluating 16 pairs and one 160 (holding them would add ~40 MiB)."""
    pairs = random_maps(np.random.default_rng(6), 16, (256, 512), 5, void=VOID)
    gt, pred = write_folders(str(tmp_path), pairs)
    listing = [(os.path.join(gt, f"sub{i % 2}", f"img{i:03d}_gt.png"), os.path.join(pred, f"img{i:03d}.png"))
               for i in range(16)]
    peaks = []
    for repeat in (1, 10):
        pairs_file = tmp_path / f"pairs{repeat}.tsv"
        pairs_file.write_text("".join(f"{g}\t{p}\n" for _ in range(repeat) for g, p in listing))
        out = subprocess.run([sys.executable, "-c", _PEAK_RSS, str(pairs_file), str(tmp_path / "out.txt")],
                             capture_output=True, text=True, check=True).stdout.split()
        assert out[0] == "0"
        peaks.append(int(out[1]))  # KiB on Linux
    print(f"peak RSS {peaks[0]} KiB with 16 pairs, {peaks[1]} KiB with 160")
    assert peaks[1] < peaks[0] + 12 * 1024, f"peak RSS {peaks[0]} KiB with 16 pairs, {peaks[1]} KiB with 160"


# ------------------------------------------------------------------------------ output files

def _every_output(folder):
    return ["--format", "json", "--out", str(folder / "report.json"),
            "--per-image", str(folder / "per_image.csv"), "--plot", str(folder / "eval.png")]


def test_every_output_is_written_when_the_run_succeeds(dataset, capsys, tmp_path):
    pytest.importorskip("matplotlib")
    code, out, err = run(base_args(dataset, *_every_output(tmp_path)), capsys)
    assert code == 0 and out == "" and err == ""
    assert sorted(os.listdir(tmp_path)) == ["eval.png", "per_image.csv", "report.json"]
    assert json.loads((tmp_path / "report.json").read_text())["counts"]["images"] == 6
    assert len((tmp_path / "per_image.csv").read_text().splitlines()) == 7
    assert (tmp_path / "eval.png").read_bytes().startswith(b"\x89PNG\r\n\x1a\n")


def test_a_failing_run_leaves_no_output_and_no_temporary_file(dataset, capsys, tmp_path):
    """A truncated PNG in the middle: exit 5 after some per-image rows were written, and
    neither the outputs nor their temporary files are left; an old --out file stays as it was."""
    pytest.importorskip("matplotlib")
    gt, pred = write_folders(str(tmp_path / "data"), dataset["pairs"])
    broken = os.path.join(pred, "img003.png")
    with open(broken, "rb") as fh:
        data = fh.read()
    with open(broken, "wb") as fh:
        fh.write(data[: len(data) // 2])
    folder = tmp_path / "out"
    folder.mkdir()
    (folder / "report.json").write_text("the previous report\n")
    code, out, err = run([gt, pred, "-n", "5", "--ignore-index", "255", "--gt-suffix", "_gt",
                          "--jobs", "1", *_every_output(folder)], capsys)
    assert code == 5 and out == "" and "img003.png" in err
    assert os.listdir(folder) == ["report.json"]
    assert (folder / "report.json").read_text() == "the previous report\n"


def test_an_interrupted_run_leaves_no_output(dataset, capsys, tmp_path, monkeypatch):
    from fastiou.evaluate import _engine

    counted = []

    def count_then_interrupt(pair, *args):
        counted.append(pair)
        if len(counted) == 4:
            raise KeyboardInterrupt
        return real_count_pair(pair, *args)

    real_count_pair = _engine.count_pair
    monkeypatch.setattr(_engine, "count_pair", count_then_interrupt)
    code, _, err = run(base_args(dataset, "--jobs", "1", "--format", "json", "--out",
                                 str(tmp_path / "report.json"), "--per-image",
                                 str(tmp_path / "per_image.csv")), capsys)
    assert code == 130 and err == "fastiou eval: error: interrupted; no output file was written\n"
    assert os.listdir(tmp_path) == []


def test_outputs_replace_old_files_keeping_their_mode_and_links(dataset, capsys, tmp_path):
    report = tmp_path / "report.json"
    report.write_text("old")
    report.chmod(0o640)
    target, link = tmp_path / "target.csv", tmp_path / "link.csv"
    target.write_text("old")
    link.symlink_to(target)
    code, _, _ = run(base_args(dataset, "--format", "json", "--out", str(report),
                               "--per-image", str(link)), capsys)
    assert code == 0 and json.loads(report.read_text())["schema"] == "fastiou.eval/1"
    assert stat.S_IMODE(report.stat().st_mode) == 0o640
    assert link.is_symlink() and target.read_text().startswith("image,gt,pred,")
    assert sorted(os.listdir(tmp_path)) == ["link.csv", "report.json", "target.csv"]
    fresh = tmp_path / "fresh.json"
    assert run(base_args(dataset, "--format", "json", "--out", str(fresh)), capsys)[0] == 0
    umask = os.umask(0o022)
    os.umask(umask)
    assert stat.S_IMODE(fresh.stat().st_mode) == 0o666 & ~umask


@pytest.mark.parametrize("option,target,message", [
    ("--plot", "missing/x.png", "cannot write --plot {target}: the folder {tmp}/missing does not exist"),
    ("--per-image", "missing/x.csv", "cannot write --per-image {target}: the folder {tmp}/missing does "
                                     "not exist"),
    ("--out", "a_file/x.json", "cannot write --out {target}: {tmp}/a_file is a file, not a folder"),
    ("--out", "", "--out {target} is a folder; give a file name"),
    ("--plot", "x.foo", "--plot {target} must end in an image format matplotlib writes (.avif, "),
    ("--plot", "figure", "--plot {target} must end in an image format matplotlib writes"),
])
def test_output_paths_are_checked_before_any_file_is_read(dataset, capsys, tmp_path, monkeypatch,
                                                          option, target, message):
    if option == "--plot":
        pytest.importorskip("matplotlib")
    (tmp_path / "a_file").write_text("")

    def no_reading(*args):
        raise AssertionError("the label files were listed before the outputs were checked")

    monkeypatch.setattr("fastiou.evaluate._io.find_pairs", no_reading)
    target = str(tmp_path / target)
    code, out, err = run(base_args(dataset, option, target), capsys)
    assert code == 2 and out == ""
    assert message.format(target=target, tmp=tmp_path) in err
    assert "Traceback" not in err and sorted(os.listdir(tmp_path)) == ["a_file"]


def test_outputs_may_go_into_the_prediction_folder(dataset, capsys, tmp_path):
    """The temporary files are hidden, so they are not taken for predictions."""
    pytest.importorskip("matplotlib")
    gt, pred = write_folders(str(tmp_path), dataset["pairs"][:2])
    code, _, err = run([gt, pred, "-n", "5", "--ignore-index", "255", "--gt-suffix", "_gt",
                        "--plot", os.path.join(pred, "figure.png"),
                        "--per-image", os.path.join(pred, "per_image.csv")], capsys)
    assert code == 0, err
    assert sorted(os.listdir(pred)) == ["figure.png", "img000.png", "img001.png", "per_image.csv"]


def test_two_outputs_cannot_share_a_file(dataset, capsys, tmp_path):
    target = str(tmp_path / "x.csv")
    code, _, err = run(base_args(dataset, "--out", target, "--per-image", target), capsys)
    assert code == 2
    assert f"--per-image {target} and --out {target} are the same file" in err
    assert os.listdir(tmp_path) == []


def test_an_unwritable_output_folder_exits_2(dataset, capsys, tmp_path, monkeypatch):
    def refuse(path, *args, **kwargs):
        raise PermissionError(13, "Permission denied", path)

    monkeypatch.setattr("fastiou.evaluate._outputs.os.open", refuse)
    code, _, err = run(base_args(dataset, "--out", str(tmp_path / "x.txt")), capsys)
    assert code == 2 and f"cannot write --out {tmp_path / 'x.txt'}: the folder {tmp_path} cannot be " \
        "written (permission denied)" in err


@pytest.mark.skipif(not os.path.exists("/dev/full"), reason="needs /dev/full (Linux)")
def test_a_write_error_names_the_output_and_removes_the_others(dataset, capsys, tmp_path):
    code, _, err = run(base_args(dataset, "--out", "/dev/full", "--per-image",
                                 str(tmp_path / "per_image.csv")), capsys)
    assert code == 2 and "cannot write --out /dev/full: no space left on device" in err
    assert os.listdir(tmp_path) == []


def test_devices_are_written_directly(dataset, capsys):
    code, out, _ = run(base_args(dataset, "--out", os.devnull, "--per-image", os.devnull), capsys)
    assert code == 0 and out == ""


# ------------------------------------------------------------------------------ odds and ends

def test_kappa_is_printed_as_a_number_not_a_percentage(dataset, capsys):
    kappa = json_report(dataset, capsys, "--metrics", "iou,kappa,pixel_acc")["overall"]["kappa"]
    for fmt in ("table", "markdown"):
        code, out, _ = run(base_args(dataset, "--format", fmt, "--metrics", "iou,kappa,pixel_acc"), capsys)
        assert code == 0 and f"Cohen's kappa: {kappa:.4f}\n" in out
        assert "pixel accuracy: " in out and " %\n" in out.split("pixel accuracy: ")[1][:12]


def test_progress_bar_on_a_terminal_that_reports_0_columns(dataset, capsys, monkeypatch):
    pytest.importorskip("tqdm")
    monkeypatch.setattr(sys.stderr, "isatty", lambda: True)
    monkeypatch.setattr(sys.stderr, "fileno", lambda: 2, raising=False)
    monkeypatch.setattr(os, "get_terminal_size", lambda *fd: os.terminal_size((0, 0)))
    monkeypatch.delenv("COLUMNS", raising=False)
    code, _, err = run(base_args(dataset), capsys)
    last = err.rstrip("\n").split("\r")[-1]
    assert code == 0 and last.startswith("fastiou eval: 100%|") and "6/6" in last
    assert len(last) <= 80


def test_demo_dir_must_be_a_folder(capsys, tmp_path):
    (tmp_path / "file").write_text("")
    code, _, err = run(["--demo", "--demo-dir", str(tmp_path / "file")], capsys)
    assert code == 2 and f"--demo-dir {tmp_path / 'file'} is a file; give a folder" in err
