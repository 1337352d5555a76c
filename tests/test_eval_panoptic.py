"""``fastiou eval --panoptic``: panopticapi's numbers from COCO panoptic JSON and PNG folders,
in every output format; errors with their exit codes; nothing written on failure."""

from __future__ import annotations

import csv
import io
import json
import os

import pytest
from panoptic_cases import write_dataset

from fastiou.cli import main
from fastiou.compat.panopticapi import pq_compute

pytest.importorskip("PIL")


def run(argv, capsys):
    code = main(["eval", "--panoptic", *argv])
    captured = capsys.readouterr()
    return code, captured.out, captured.err


@pytest.fixture
def dataset(tmp_path):
    return write_dataset(str(tmp_path), 3, 6)


def test_json_report_holds_pq_computes_numbers(dataset, capsys):
    gt_json, pred_json = dataset
    code, out, _ = run([gt_json, pred_json, "--format", "json", "--jobs", "2"], capsys)
    assert code == 0
    report = json.loads(out)
    expected = pq_compute(gt_json, pred_json)
    assert report["schema"] == "fastiou.panoptic/1"
    assert report["averages"] == {name: expected[name] for name in ("All", "Things", "Stuff")}
    for row in report["categories"]:
        assert {k: row[k] for k in ("pq", "sq", "rq")} == expected["per_class"][row["id"]]
    assert report["counts"]["images"] == 6 and report["threads"] == 2


def test_table_markdown_and_csv(dataset, capsys, tmp_path):
    gt_json, pred_json = dataset
    expected = pq_compute(gt_json, pred_json)
    code, out, _ = run([gt_json, pred_json, "--no-progress"], capsys)
    assert code == 0
    assert "PQ (%)" in out and "person" in out and "sky" in out
    assert f"{100 * expected['All']['pq']:.2f}" in out and f"n={expected['Things']['n']}" in out
    code, out, _ = run([gt_json, pred_json, "--format", "markdown"], capsys)
    assert code == 0 and out.startswith("| category | kind | PQ (%)") and "| **All** |" in out
    target = tmp_path / "report.csv"
    code, out, _ = run([gt_json, pred_json, "--format", "csv", "--out", str(target)], capsys)
    assert code == 0 and out == ""
    rows = list(csv.reader(io.StringIO(target.read_text())))
    values = {(r[0], r[1], r[3]): r[4] for r in rows[1:]}
    assert float(values["All", "", "pq"]) == expected["All"]["pq"]
    assert float(values["category", "1", "sq"]) == expected["per_class"][1]["sq"]


def test_explicit_folders(dataset, capsys, tmp_path):
    gt_json, pred_json = dataset
    root = os.path.dirname(gt_json)
    os.rename(os.path.join(root, "pred"), tmp_path / "elsewhere")
    code, _, err = run([gt_json, pred_json], capsys)
    assert code == 3 and "does not exist" in err
    code, out, _ = run([gt_json, pred_json, "--pred-folder", str(tmp_path / "elsewhere"),
                        "--format", "json"], capsys)
    assert code == 0
    assert json.loads(out)["averages"]["All"]["pq"] == pq_compute(
        gt_json, pred_json, pred_folder=str(tmp_path / "elsewhere"))["All"]["pq"]


@pytest.mark.parametrize("case,code,fragment", [
    ("missing_image", 3, "has no annotation for the image with id 1001"),
    ("unlisted", 5, "is in the map but not in its segments_info"),
    ("size", 4, "pixels but its ground truth"),
    ("option", 2, "takes no --num-classes"),
    ("folder_without_panoptic", 2, "--gt-folder and --pred-folder go with --panoptic"),
])
def test_errors_exit_with_their_code_and_write_nothing(dataset, capsys, tmp_path, case, code,
                                                       fragment):
    import numpy as np
    from PIL import Image

    gt_json, pred_json = dataset
    with open(pred_json) as f:
        pred = json.load(f)
    argv = ["eval", "--panoptic", gt_json, pred_json, "--out", str(tmp_path / "out.json")]
    if case == "missing_image":
        pred["annotations"].pop(1)
    elif case == "unlisted":
        pred["annotations"][0]["segments_info"] = pred["annotations"][0]["segments_info"][1:]
    elif case == "size":
        name = pred["annotations"][2]["file_name"]
        Image.fromarray(np.zeros((3, 3, 3), np.uint8)).save(os.path.join(os.path.dirname(pred_json), "pred", name))
        pred["annotations"][2]["segments_info"] = []
    elif case == "option":
        argv += ["-n", "3"]
    else:
        argv = ["eval", gt_json, pred_json, "--gt-folder", "x"]
    with open(pred_json, "w") as f:
        json.dump(pred, f)
    status = main(argv)
    err = capsys.readouterr().err
    assert fragment in err
    assert status == code
    assert not (tmp_path / "out.json").exists()
