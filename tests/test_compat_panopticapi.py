"""fastiou.compat.panopticapi.pq_compute against the real panopticapi (panopticapi-lite) on
generated COCO panoptic datasets: every number equal; every bad input a clear error."""

from __future__ import annotations

import contextlib
import io
import json
import multiprocessing
import os

import numpy as np
import pytest
from panoptic_cases import CATEGORIES, ids_to_rgb, write_dataset

from fastiou.compat.panopticapi import pq_compute

evaluation = pytest.importorskip("panopticapi.evaluation")
Image = pytest.importorskip("PIL.Image")


@pytest.fixture(autouse=True)
def _closed_pools(monkeypatch):
    """panopticapi never closes its multiprocessing pool (a ResourceWarning when it is
    collected): close and join each pool it opens once the test is over."""
    pools = []
    open_pool = multiprocessing.Pool

    def pool(*args, **kwargs):
        pools.append(open_pool(*args, **kwargs))
        return pools[-1]

    monkeypatch.setattr(evaluation.multiprocessing, "Pool", pool)
    yield
    for each in pools:
        each.close()
        each.join()


def _theirs(gt_json, pred_json, gt_folder=None, pred_folder=None):
    with contextlib.redirect_stdout(io.StringIO()):
        return evaluation.pq_compute(gt_json, pred_json, gt_folder, pred_folder)


@pytest.mark.parametrize("seed,n_images,size", [(0, 1, (40, 56)), (1, 5, (40, 56)),
                                                (2, 13, (33, 61)), (3, 30, (20, 24)),
                                                (4, 7, (64, 90))])
def test_every_number_equals_panopticapi(tmp_path, seed, n_images, size):
    gt_json, pred_json = write_dataset(str(tmp_path), seed, n_images, *size)
    theirs = _theirs(gt_json, pred_json)
    ours = pq_compute(gt_json, pred_json)
    assert ours == theirs  # exact: the IoUs are summed in panopticapi's order
    assert set(ours) == {"All", "Things", "Stuff", "per_class"}
    assert ours["per_class"][20] == {"pq": 0.0, "sq": 0.0, "rq": 0.0}  # absent category


def test_the_datasets_cover_crowd_void_unmatched_and_ignored_predictions(tmp_path):
    gt_json, pred_json = write_dataset(str(tmp_path), 2, 13, 33, 61)
    with open(gt_json) as f:
        gt = json.load(f)
    segments = [s for a in gt["annotations"] for s in a["segments_info"]]
    assert any(s["iscrowd"] for s in segments)
    assert any(s["area"] == 0 for s in segments)  # listed but covered: a false negative
    void = [np.asarray(Image.open(tmp_path / "pred" / a["file_name"]))[..., 0] for a in gt["annotations"]]
    assert any((v == 0).any() for v in void)


def test_explicit_folders_and_things_only_categories(tmp_path):
    things_only = [c for c in CATEGORIES if c["isthing"]]
    gt_json, pred_json = write_dataset(str(tmp_path / "a"), 7, 4, categories=CATEGORIES)
    os.rename(tmp_path / "a" / "gt", tmp_path / "gt_png")
    os.rename(tmp_path / "a" / "pred", tmp_path / "pred_png")
    folders = str(tmp_path / "gt_png"), str(tmp_path / "pred_png")
    assert pq_compute(gt_json, pred_json, *folders) == _theirs(gt_json, pred_json, *folders)
    # no stuff category: panopticapi divides 0 by 0; fastiou reports 0.0 over n = 0
    with open(gt_json) as f:
        data = json.load(f)
    data["categories"] = things_only + [{"id": 10, "isthing": 1}, {"id": 12, "isthing": 1}]
    with open(gt_json, "w") as f:
        json.dump(data, f)
    with pytest.raises(ZeroDivisionError):
        _theirs(gt_json, pred_json, *folders)
    ours = pq_compute(gt_json, pred_json, *folders)
    assert ours["Stuff"] == {"pq": 0.0, "sq": 0.0, "rq": 0.0, "n": 0}


def _dataset(tmp_path):
    gt_json, pred_json = write_dataset(str(tmp_path), 5, 3)
    with open(gt_json) as f:
        gt = json.load(f)
    with open(pred_json) as f:
        pred = json.load(f)
    return gt_json, pred_json, gt, pred


def _save(path, data):
    with open(path, "w") as f:
        json.dump(data, f)


def _first_id_in_png(folder, name):
    ids = np.asarray(Image.open(os.path.join(folder, name))).astype(np.int64)
    ids = ids[..., 0] + 256 * ids[..., 1] + 65536 * ids[..., 2]
    return int(ids[ids > 0][0])


@pytest.mark.parametrize("case", ["gt_unlisted", "pred_unlisted", "pred_not_in_png", "duplicate",
                                  "unknown_pred_category", "unknown_gt_category", "missing_image",
                                  "size", "duplicate_image", "gt_area", "grayscale", "void_listed",
                                  "no_png", "no_folder", "bad_json"])
def test_bad_input_is_a_clear_error_naming_the_file_and_id(tmp_path, case):
    gt_json, pred_json, gt, pred = _dataset(tmp_path)
    first = gt["annotations"][1]
    pred_first = pred["annotations"][1]
    gt_png = str(tmp_path / "gt" / first["file_name"])
    pred_png = str(tmp_path / "pred" / pred_first["file_name"])
    expected = ValueError
    if case == "gt_unlisted":
        sid = _first_id_in_png(tmp_path / "gt", first["file_name"])
        first["segments_info"] = [s for s in first["segments_info"] if s["id"] != sid]
        fragments = [gt_png, f"segment id {sid} is in the map but not in its segments_info"]
    elif case == "pred_unlisted":
        sid = _first_id_in_png(tmp_path / "pred", pred_first["file_name"])
        pred_first["segments_info"] = [s for s in pred_first["segments_info"] if s["id"] != sid]
        fragments = [pred_png, f"segment id {sid} is in the map"]
    elif case == "pred_not_in_png":
        pred_first["segments_info"].append({"id": 77, "category_id": 1})
        fragments = [pred_png, "segment id 77 is listed in segments_info but covers no pixel"]
    elif case == "duplicate":
        pred_first["segments_info"].append(dict(pred_first["segments_info"][0]))
        fragments = [pred_png, f"segment id {pred_first['segments_info'][0]['id']} is listed twice"]
    elif case == "unknown_pred_category":
        pred_first["segments_info"][0]["category_id"] = 99
        fragments = [pred_png, "category_id 99, which is not one of the categories"]
    elif case == "unknown_gt_category":
        first["segments_info"][0]["category_id"] = 98
        fragments = [gt_png, "category_id 98"]
    elif case == "missing_image":
        pred["annotations"].pop(1)
        fragments = [pred_json, f"no annotation for the image with id {first['image_id']}"]
    elif case == "size":
        Image.fromarray(ids_to_rgb(np.zeros((5, 6), np.uint32))).save(pred_png)
        pred_first["segments_info"] = []
        fragments = [pred_png, "is 6x5 pixels", gt_png]
    elif case == "duplicate_image":
        pred["annotations"].append(dict(pred_first))
        fragments = [pred_json, f"two annotations for image id {first['image_id']}"]
    elif case == "gt_area":
        first["segments_info"][0]["area"] = 0
        sid = first["segments_info"][0]["id"]
        fragments = [gt_png, f"segment id {sid} has area 0 in segments_info but covers"]
        if not (np.asarray(Image.open(gt_png)) != 0).any():  # pragma: no cover
            pytest.skip("segment absent")
    elif case == "grayscale":
        Image.fromarray(np.zeros((4, 4), np.uint8)).save(gt_png)
        fragments = [gt_png, "has mode L"]
    elif case == "void_listed":
        pred_first["segments_info"].append({"id": 0, "category_id": 1})
        fragments = [pred_png, "(0 is void)"]
    elif case == "no_png":
        os.remove(gt_png)
        expected, fragments = FileNotFoundError, [gt_png, "does not exist"]
    elif case == "no_folder":
        os.rename(tmp_path / "pred", tmp_path / "elsewhere")
        expected, fragments = FileNotFoundError, [str(tmp_path / "pred"), "does not exist"]
    else:
        with open(pred_json, "w") as f:
            f.write("{")
        fragments = [pred_json, "is not valid JSON"]
    if case != "bad_json":
        _save(gt_json, gt)
        _save(pred_json, pred)
    with pytest.raises(expected) as caught:
        pq_compute(gt_json, pred_json)
    message = str(caught.value)
    for fragment in fragments:
        assert fragment in message
    if case not in ("missing_image", "no_folder", "bad_json", "duplicate_image"):
        assert f"image id {first['image_id']}" in message


@pytest.mark.parametrize("seed,n_images", [(8, 3), (9, 11)])
def test_cityscapes_panoptic_evaluation_equals_cityscapesscripts(tmp_path, seed, n_images, capsys):
    peer = pytest.importorskip("cityscapesscripts.evaluation.evalPanopticSemanticLabeling")
    from fastiou.compat.cityscapes_panoptic import evaluatePanoptic

    gt_json, pred_json = write_dataset(str(tmp_path), seed, n_images)
    folders = str(tmp_path / "gt"), str(tmp_path / "pred")
    theirs_file, ours_file = str(tmp_path / "theirs.json"), str(tmp_path / "ours.json")
    with contextlib.redirect_stdout(io.StringIO()) as printed:
        theirs = peer.evaluatePanoptic(gt_json, folders[0], pred_json, folders[1], theirs_file)
    capsys.readouterr()
    ours = evaluatePanoptic(gt_json, folders[0], pred_json, folders[1], ours_file)
    assert ours == theirs
    with open(ours_file) as a, open(theirs_file) as b:
        assert a.read() == b.read()
    table = printed.getvalue()
    table = table[table.index("Category"):table.index("Time elapsed")]
    assert capsys.readouterr().out == table


@pytest.mark.slow
def test_many_generated_datasets_equal_panopticapi(tmp_path):
    """The long differential run: 200 datasets of 1 to 12 images, every number equal (where
    Things or Stuff has no category, panopticapi divides by zero and fastiou reports n = 0)."""
    rng = np.random.default_rng(2026)
    compared = 0
    for k in range(200):
        root = tmp_path / str(k)
        gt_json, pred_json = write_dataset(str(root), int(rng.integers(1 << 31)),
                                           int(rng.integers(1, 13)), int(rng.integers(8, 60)),
                                           int(rng.integers(8, 90)), int(rng.integers(0, 12)),
                                           int(rng.integers(1, 5)))
        ours = pq_compute(gt_json, pred_json)
        try:
            theirs = _theirs(gt_json, pred_json)
        except ZeroDivisionError:
            assert 0 in (ours["Things"]["n"], ours["Stuff"]["n"]), k
            continue
        assert ours == theirs, k
        compared += 1
    assert compared > 150
