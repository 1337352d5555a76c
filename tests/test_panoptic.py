"""fastiou.panoptic: the overlap kernel against the NumPy oracle (dtypes, layouts, RGB,
thread counts, table growth), the matching against a plain-Python port of panopticapi's
rules, the accumulator (merge, pickle, errors leave it unchanged), the label forms against
torchmetrics' PanopticQuality where their semantics coincide, and every error."""

from __future__ import annotations

import pickle
from collections import defaultdict

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from panoptic_cases import CATEGORIES, STUFFS, THINGS, ids_to_rgb, make_image

import fastiou
from fastiou import reference
from fastiou.panoptic import (
    PanopticQuality,
    panoptic_quality,
    panoptic_quality_from_labels,
    segment_overlaps,
)
from fastiou.panoptic._segments import MIN_CHUNK


def _same(result, expected):
    assert [a.dtype for a in result] == [np.int64] * 3
    for a, b in zip(result, expected):
        np.testing.assert_array_equal(a, b)


# ---------------------------------------------------------------- the overlap kernel

@pytest.mark.parametrize("dtype", [np.uint8, np.uint16, np.uint32, np.int32, np.int64, np.int16,
                                   np.uint64, np.int8])
@pytest.mark.parametrize("n_threads", [1, 2, 3, 7])
def test_overlaps_equal_the_oracle_for_every_dtype_and_thread_count(dtype, n_threads):
    rng = np.random.default_rng(3)
    high = min(np.iinfo(dtype).max, 5000) + 1
    gt = np.repeat(rng.integers(0, high, (300, 40)), 13, axis=1).astype(dtype)   # runs
    pred = rng.integers(0, high, (300, 520)).astype(dtype)
    pred[:100] = gt[:100]
    result = segment_overlaps(gt, pred, n_threads=n_threads)
    _same(result, reference.segment_overlaps(gt, pred))
    assert result.counts.sum() == gt.size


def test_overlaps_do_not_depend_on_threads_in_large_maps_and_regrow_the_table():
    rng = np.random.default_rng(4)
    n = 5 * MIN_CHUNK + 17
    gt = rng.integers(0, 1 << 32, n // 37 + 1, dtype=np.uint64)[np.arange(n) // 37]
    pred = rng.integers(0, 60000, n).astype(np.uint32) // 7
    gt = gt.astype(np.uint32).reshape(1, n)
    pred = pred.reshape(1, n)
    results = [segment_overlaps(gt, pred, n_threads=t) for t in (1, 2, 3, 7)]
    expected = reference.segment_overlaps(gt, pred)
    assert expected[0].shape[0] > 10_000  # more pairs than the first table holds
    for result in results:
        _same(result, expected)


def test_rgb_maps_and_mixed_kinds_equal_the_oracle():
    rng = np.random.default_rng(5)
    gt_ids = rng.integers(0, 1 << 24, (70, 90)).astype(np.uint32)
    gt_ids[:, 30:] = 123456
    pred_ids = rng.integers(0, 3, (70, 90)).astype(np.uint32) * 70000
    expected = reference.segment_overlaps(gt_ids, pred_ids)
    gt_rgb, pred_rgb = ids_to_rgb(gt_ids), ids_to_rgb(pred_ids)
    for t in (1, 3):
        _same(segment_overlaps(gt_rgb, pred_rgb, n_threads=t), expected)
        _same(segment_overlaps(gt_rgb, pred_ids, n_threads=t), expected)
        _same(segment_overlaps(gt_ids, pred_rgb, n_threads=t), expected)
    rgba = np.concatenate([gt_rgb, np.full((70, 90, 1), 255, np.uint8)], axis=-1)
    _same(segment_overlaps(rgba, pred_rgb), expected)


def test_layouts_are_read_as_given_and_inputs_are_not_modified():
    rng = np.random.default_rng(6)
    gt = rng.integers(0, 9, (33, 47)).astype(np.int32)
    pred = rng.integers(0, 9, (33, 47)).astype(np.int32)
    copies = gt.copy(), pred.copy()
    expected = reference.segment_overlaps(gt, pred)
    _same(segment_overlaps(np.asfortranarray(gt), pred), expected)
    _same(segment_overlaps(gt.T.copy().T, pred.astype(">i4")), expected)
    _same(segment_overlaps(gt.tolist(), pred), expected)
    strided = np.zeros((33, 94), np.int32)
    strided[:, ::2] = gt
    _same(segment_overlaps(strided[:, ::2], pred), expected)
    readonly = gt.copy()
    readonly.flags.writeable = False
    _same(segment_overlaps(readonly, pred), expected)
    np.testing.assert_array_equal(gt, copies[0])
    np.testing.assert_array_equal(pred, copies[1])
    _same(segment_overlaps(np.zeros((0, 5), np.uint8), np.zeros((0, 5), np.uint8)),
          reference.segment_overlaps(np.zeros(0), np.zeros(0)))


@settings(max_examples=60, deadline=None)
@given(st.integers(1, 40), st.integers(1, 40), st.integers(1, 6), st.integers(0, 2**31),
       st.sampled_from([1, 2, 3]))
def test_overlap_properties(h, w, n_ids, seed, n_threads):
    rng = np.random.default_rng(seed)
    values = rng.integers(0, 1 << 32, n_ids, dtype=np.uint64).astype(np.uint32)
    gt = values[rng.integers(0, n_ids, (h, w))]
    pred = values[rng.integers(0, n_ids, (h, w))]
    result = segment_overlaps(gt, pred, n_threads=n_threads)
    _same(result, reference.segment_overlaps(gt, pred))
    assert result.counts.sum() == h * w and (result.counts > 0).all()
    ids, counts = np.unique(gt, return_counts=True)
    per_gt = {int(i): 0 for i in ids}
    for g, c in zip(result.gt_ids, result.counts):
        per_gt[int(g)] += int(c)
    assert per_gt == dict(zip(ids.tolist(), counts.tolist()))
    # the two halves' tables add up to the whole's
    top, bottom = segment_overlaps(gt[: h // 2], pred[: h // 2]), segment_overlaps(gt[h // 2:], pred[h // 2:])
    total: dict[tuple[int, int], int] = defaultdict(int)
    for part in (top, bottom):
        for g, p, c in zip(*part):
            total[int(g), int(p)] += int(c)
    assert total == {(int(g), int(p)): int(c) for g, p, c in zip(*result)}


@settings(max_examples=80, deadline=None)
@given(st.integers(0, 2**31), st.sampled_from(["rgb", np.uint8, np.uint16, np.uint32, np.int64]),
       st.integers(1, 40), st.integers(1, 3))
def test_runs_of_every_length_in_both_maps(seed, kind, mean_run, n_threads):
    """Runs of random lengths, ending independently in the two maps, at every byte offset
    of the words the kernel compares at once; rows repeated in both maps or in one."""
    rng = np.random.default_rng(seed)
    width = int(rng.integers(1, 300))
    n = width * int(rng.integers(1, 40))
    maps = []
    for _ in range(2):
        lengths = rng.integers(1, 2 * mean_run + 1, n)
        values = rng.integers(0, 4, lengths.size) * 0x10101 + rng.integers(0, 2, lengths.size)
        maps.append(np.repeat(values, lengths)[:n].reshape(-1, width).astype(np.uint32))
    # rows repeated (in both maps at once, or in one): the kernel replays a repeated row
    rows = np.sort(rng.integers(0, maps[0].shape[0], maps[0].shape[0]))
    maps = [m[rows] if rng.random() < 0.8 else m for m in maps]
    gt, pred = maps
    expected = reference.segment_overlaps(gt, pred)
    if kind == "rgb":
        _same(segment_overlaps(ids_to_rgb(gt), ids_to_rgb(pred), n_threads=n_threads), expected)
    else:
        high = min(np.iinfo(kind).max, np.iinfo(np.uint32).max)
        gt, pred = (np.minimum(m, high).astype(kind) for m in (gt, pred))
        _same(segment_overlaps(gt, pred, n_threads=n_threads), reference.segment_overlaps(gt, pred))


@pytest.mark.parametrize("gt,pred,exception,fragment", [
    (np.zeros((2, 2), np.float32), np.zeros((2, 2), np.uint8), TypeError, "`gt` must hold integer"),
    (np.zeros((2, 2), np.uint8), np.full((2, 2), -1), ValueError, "`pred` must hold segment ids in [0, 2**32)"),
    (np.full((2, 2), 1 << 32), np.zeros((2, 2), np.uint8), ValueError, "`gt` must hold segment ids"),
    (np.zeros((2, 2), np.uint8), np.zeros((2, 3), np.uint8), ValueError, "`pred` has shape (2, 3)"),
    (np.zeros(4, np.uint8), np.zeros(4, np.uint8), ValueError, "`gt` must be an (H, W) id map"),
    (np.zeros((2, 2, 3), np.uint8), np.zeros((2, 3), np.uint8), ValueError, "`pred` has shape (2, 3)"),
    (np.zeros((2, 2, 3), np.uint16), np.zeros((2, 2), np.uint8), ValueError, "(H, W, 3) uint8 RGB"),
    ("abc", np.zeros((2, 2), np.uint8), TypeError, "`gt` must hold integer"),
])
def test_overlap_errors(gt, pred, exception, fragment):
    with pytest.raises(exception) as caught:
        segment_overlaps(gt, pred)
    assert fragment in str(caught.value)
    with pytest.raises(ValueError, match="`n_threads`"):
        segment_overlaps(np.zeros((2, 2), np.uint8), np.zeros((2, 2), np.uint8), n_threads=0)


# ---------------------------------------------------------------- matching

def _oracle_stats(gt, gt_segments, pred, pred_segments):
    """panopticapi's per-image loop, written out with dicts (areas counted from the maps)."""
    gt_segms = {s["id"]: dict(s) for s in gt_segments}
    pred_segms = {s["id"]: dict(s) for s in pred_segments}
    table = {}
    for g, p, c in zip(*reference.segment_overlaps(gt, pred)):
        table[int(g), int(p)] = int(c)
    for segms, index in ((gt_segms, 0), (pred_segms, 1)):
        for s in segms.values():
            s["area"] = sum(c for key, c in table.items() if key[index] == s["id"])
    stats = defaultdict(lambda: [0.0, 0, 0, 0])
    gt_matched, pred_matched = set(), set()
    for (g, p), inter in table.items():
        if g not in gt_segms or p not in pred_segms or gt_segms[g].get("iscrowd", 0) == 1:
            continue
        if gt_segms[g]["category_id"] != pred_segms[p]["category_id"]:
            continue
        union = pred_segms[p]["area"] + gt_segms[g]["area"] - inter - table.get((0, p), 0)
        if inter / union > 0.5:
            stats[gt_segms[g]["category_id"]][0] += inter / union
            stats[gt_segms[g]["category_id"]][1] += 1
            gt_matched.add(g)
            pred_matched.add(p)
    crowd = {}
    for g, s in gt_segms.items():
        if g in gt_matched:
            continue
        if s.get("iscrowd", 0) == 1:
            crowd[s["category_id"]] = g
            continue
        stats[s["category_id"]][3] += 1
    for p, s in pred_segms.items():
        if p in pred_matched:
            continue
        inter = table.get((0, p), 0)
        if s["category_id"] in crowd:
            inter += table.get((crowd[s["category_id"]], p), 0)
        if inter / s["area"] > 0.5:
            continue
        stats[s["category_id"]][2] += 1
    return stats


@pytest.mark.parametrize("seed", range(25))
def test_matching_equals_panopticapis_rules(seed):
    rng = np.random.default_rng(seed)
    pq = PanopticQuality(CATEGORIES)
    expected = defaultdict(lambda: [0.0, 0, 0, 0])
    for _ in range(4):
        gt, gt_segments, pred, pred_segments = make_image(rng, 30 + seed, 41)
        pq.update(gt if seed % 2 else ids_to_rgb(gt), pred, gt_segments, pred_segments,
                  n_threads=1 + seed % 3)
        for category, (iou, tp, fp, fn) in _oracle_stats(gt, gt_segments, pred, pred_segments).items():
            expected[category][0] += iou
            for k, value in ((1, tp), (2, fp), (3, fn)):
                expected[category][k] += value
    for k, category in enumerate(pq.category_ids):
        iou, tp, fp, fn = expected[category]
        assert (pq.tp[k], pq.fp[k], pq.fn[k]) == (tp, fp, fn)
        assert pq.iou[k] == pytest.approx(iou, rel=1e-13, abs=0)
    assert pq.n_images == 4


@settings(max_examples=40, deadline=None)
@given(st.integers(0, 2**31), st.integers(2, 30), st.integers(2, 30), st.integers(0, 8))
def test_matching_properties(seed, h, w, n_things):
    """Equal to the port of panopticapi's rules; unchanged when the ids of either side are
    renumbered; a prediction equal to the truth scores PQ 1 on every category it holds
    (crowd aside); scores in [0, 1]."""
    rng = np.random.default_rng(seed)
    gt, gs, pred, ps = make_image(rng, h, w, n_things, 2)
    pq = PanopticQuality(CATEGORIES)
    pq.update(gt, pred, gs, ps)
    expected = _oracle_stats(gt, gs, pred, ps)
    for k, category in enumerate(pq.category_ids):
        iou, tp, fp, fn = expected.get(category, (0.0, 0, 0, 0))
        assert (pq.tp[k], pq.fp[k], pq.fn[k]) == (tp, fp, fn)
        assert pq.iou[k] == pytest.approx(iou, rel=1e-13, abs=0)
    # renumbered ids (a permutation of new values)
    ids = np.unique(np.concatenate([gt.ravel(), pred.ravel()]))
    ids = ids[ids > 0]
    new = rng.permutation(np.arange(1, ids.size + 1)) * 7919
    table = dict(zip(ids.tolist(), new.tolist()))

    def renumber(values, segments):
        lookup = np.vectorize(lambda v: table.get(int(v), 0), otypes=[np.int64])
        return lookup(values), [dict(s, id=table.get(s["id"], s["id"] + 10**9)) for s in segments]

    renumbered = PanopticQuality(CATEGORIES)
    renumbered.update(*renumber(gt, gs)[:1], *renumber(pred, ps)[:1], renumber(gt, gs)[1],
                      renumber(pred, ps)[1])
    np.testing.assert_array_equal(renumbered.tp, pq.tp)
    np.testing.assert_array_equal(renumbered.fp, pq.fp)
    np.testing.assert_array_equal(renumbered.fn, pq.fn)
    np.testing.assert_allclose(renumbered.iou, pq.iou, rtol=1e-13)
    result = pq.compute()
    for scores in list(result["per_class"].values()) + [result[n] for n in ("All", "Things", "Stuff")]:
        assert all(0.0 <= scores[key] <= 1.0 for key in ("pq", "sq", "rq"))
    present = [s for s in gs if s["area"] > 0]
    perfect = panoptic_quality(gt, gt, gs, present, CATEGORIES)
    for s in present:
        if not s["iscrowd"]:
            assert perfect["per_class"][s["category_id"]]["sq"] == 1.0


def test_hand_computed_example_with_void_crowd_and_an_absent_category():
    categories = [{"id": 1, "isthing": 1}, {"id": 2, "isthing": 0}, {"id": 9, "isthing": 1}]
    gt = np.array([[1, 1, 1, 1, 0, 0],
                   [2, 2, 2, 5, 5, 5]])
    pred = np.array([[7, 7, 7, 0, 7, 7],
                     [8, 8, 6, 6, 6, 6]])
    gt_segments = [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 2},
                   {"id": 5, "category_id": 1, "iscrowd": 1}]
    pred_segments = [{"id": 7, "category_id": 1}, {"id": 8, "category_id": 2},
                     {"id": 6, "category_id": 1}]
    result = panoptic_quality(gt, pred, gt_segments, pred_segments, categories)
    # 7 vs 1: 3 / (5 + 4 - 3 - 2) = 0.75, a match; 8 vs 2: 2 / 3, a match;
    # 6 lies 3 of 4 pixels on the crowd of its category: no false positive
    assert result["per_class"][1] == {"pq": 0.75, "sq": 0.75, "rq": 1.0}
    assert result["per_class"][2] == {"pq": 2 / 3, "sq": 2 / 3, "rq": 1.0}
    assert result["per_class"][9] == {"pq": 0.0, "sq": 0.0, "rq": 0.0}
    assert result["All"] == {"pq": (0.75 + 2 / 3) / 2, "sq": (0.75 + 2 / 3) / 2, "rq": 1.0, "n": 2}
    assert result["Things"]["n"] == 1 and result["Stuff"]["n"] == 1
    # exactly half on void and crowd is a false positive (> 0.5 is needed)
    gt2 = gt.copy()
    gt2[1, 3] = 2
    result = panoptic_quality(gt2, pred, gt_segments, pred_segments, categories)
    assert result["per_class"][1]["rq"] == 1 / 1.5
    assert result["per_class"][2] == {"pq": 0.0, "sq": 0.0, "rq": 0.0}  # IoU 0.5: no match


def test_an_average_over_no_category_is_zero_with_n_zero():
    result = panoptic_quality(np.ones((2, 2), np.uint8), np.ones((2, 2), np.uint8),
                              [{"id": 1, "category_id": 4}], [{"id": 1, "category_id": 4}],
                              [{"id": 4, "isthing": 1}, {"id": 5, "isthing": 0}])
    assert result["Stuff"] == {"pq": 0.0, "sq": 0.0, "rq": 0.0, "n": 0}
    assert result["Things"] == {"pq": 1.0, "sq": 1.0, "rq": 1.0, "n": 1}


# ---------------------------------------------------------------- the accumulator

def _images(seed, n):
    rng = np.random.default_rng(seed)
    images = [make_image(rng, 25, 33) for _ in range(n)]
    return [(gt, pred, gs, ps) for gt, gs, pred, ps in images]


def test_merge_pickle_and_copy():
    images = _images(11, 6)
    whole, first, second = (PanopticQuality(CATEGORIES) for _ in range(3))
    for k, image in enumerate(images):
        whole.update(*image)
        (first if k < 3 else second).update(*image)
    merged = first + second
    np.testing.assert_array_equal(merged.tp, whole.tp)
    np.testing.assert_array_equal(merged.fp, whole.fp)
    np.testing.assert_array_equal(merged.fn, whole.fn)
    np.testing.assert_allclose(merged.iou, whole.iou, rtol=1e-13)
    assert merged.n_images == 6 and first.n_images == 3
    restored = pickle.loads(pickle.dumps(whole))
    assert restored == whole and restored.compute() == whole.compute()
    restored.update(*images[0])
    assert restored != whole and restored.n_images == whole.n_images + 1
    assert whole.copy() == whole
    with pytest.raises(ValueError, match="different categories"):
        whole.merge(PanopticQuality(things=[1], stuffs=[2]))
    with pytest.raises(TypeError, match="can only merge PanopticQuality"):
        whole.merge(3)
    whole.reset()
    assert whole == PanopticQuality(CATEGORIES)


def _segments():
    gt = np.array([[1, 1, 2, 0]], np.uint32)
    pred = np.array([[4, 4, 5, 0]], np.uint32)
    return gt, pred, [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 10}], \
        [{"id": 4, "category_id": 1}, {"id": 5, "category_id": 10}]


@pytest.mark.parametrize("change,fragment", [
    (lambda a: a[0].__setitem__((0, 3), 3), "`gt`: segment id 3 is in the map but not in its segments_info"),
    (lambda a: a[1].__setitem__((0, 3), 6), "`pred`: segment id 6 is in the map but not in its segments_info"),
    (lambda a: a[3].append({"id": 9, "category_id": 1}), "`pred`: segment id 9 is listed in segments_info but covers no pixel"),
    (lambda a: a[2].append({"id": 1, "category_id": 3}), "`gt_segments`: segment id 1 is listed twice"),
    (lambda a: a[3].__setitem__(0, {"id": 4, "category_id": 99}), "`pred_segments`: segment id 4 has category_id 99, which is not one of the categories"),
    (lambda a: a[2].__setitem__(0, {"id": 1, "category_id": 98}), "`gt_segments`: segment id 1 has category_id 98"),
    (lambda a: a[2].append({"id": 0, "category_id": 1}), "ids must be ints in [1, 2**32) (0 is void)"),
    (lambda a: a[2].__setitem__(0, {"id": 1}), "must be a mapping with 'id' and 'category_id'"),
    (lambda a: a[2].__setitem__(0, {"id": 1, "category_id": 1, "iscrowd": 2}), "iscrowd 2; expected 0 or 1"),
])
def test_update_errors_name_the_id_and_leave_the_accumulator_unchanged(change, fragment):
    pq = PanopticQuality(CATEGORIES)
    pq.update(*_segments())
    before = pq.copy()
    arguments = list(_segments())
    change(arguments)
    with pytest.raises(ValueError) as caught:
        pq.update(*arguments)
    assert fragment in str(caught.value)
    assert pq == before


def test_constructor_and_shape_errors():
    gt, pred, gs, ps = _segments()
    with pytest.raises(ValueError, match="`pred` has shape"):
        PanopticQuality(CATEGORIES).update(gt, pred[:, :3], gs, ps)
    with pytest.raises(ValueError, match="lists category id 1 twice"):
        PanopticQuality([{"id": 1, "isthing": 1}, {"id": 1, "isthing": 0}])
    with pytest.raises(ValueError, match=r"`categories`\[0\]\['isthing'\] must be 0 or 1"):
        PanopticQuality([{"id": 1, "isthing": 3}])
    with pytest.raises(ValueError, match="must be a mapping with 'id' and 'isthing'"):
        PanopticQuality([{"id": 1}])
    with pytest.raises(ValueError, match="at least one category"):
        PanopticQuality([])
    with pytest.raises(ValueError, match="give either"):
        PanopticQuality(CATEGORIES, things=[1], stuffs=[2])
    with pytest.raises(ValueError, match="or both `things` and `stuffs`"):
        PanopticQuality(things=[1])
    with pytest.raises(TypeError, match="`things` must hold int category ids"):
        PanopticQuality(things=[1.5], stuffs=[2])
    with pytest.raises(TypeError, match="`gt_segments` must be a sequence"):
        PanopticQuality(CATEGORIES).update(gt, pred, "abc", ps)


# ---------------------------------------------------------------- (category, instance) labels

def _label_images(seed, n, void_in_pred):
    """(B, H, W, 2) category/instance pairs made from generated images."""
    rng = np.random.default_rng(seed)
    gts, preds = [], []
    for _ in range(n):
        gt, gs, pred, ps = make_image(rng, 24, 30)
        if not void_in_pred:
            pred[pred == 0] = 1 << 30
            ps = ps + [{"id": 1 << 30, "category_id": 12}]
        out = []
        for ids, segments in ((gt, gs), (pred, ps)):
            category = {s["id"]: s["category_id"] for s in segments}
            pairs = np.zeros(ids.shape + (2,), np.int64)
            for k, sid in enumerate(np.unique(ids)):
                if sid == 0:
                    pairs[ids == sid] = (255, 0)  # void: no category
                else:
                    pairs[ids == sid] = (category[int(sid)], k)
            out.append(pairs)
        gts.append(out[0])
        preds.append(out[1])
    return np.stack(gts), np.stack(preds)


@pytest.mark.parametrize("seed", range(8))
def test_label_forms_agree_with_each_other_and_with_segment_tables(seed):
    gt, pred = _label_images(seed, 3, void_in_pred=True)
    pairs = panoptic_quality_from_labels(gt, pred, THINGS + [20], STUFFS)
    ids = panoptic_quality_from_labels(gt[..., 0] * 1000 + gt[..., 1], pred[..., 0] * 1000 + pred[..., 1],
                                       THINGS + [20], STUFFS, label_divisor=1000)
    assert pairs == ids
    # the same images as id maps with one segment per stuff category
    pq = PanopticQuality(things=THINGS + [20], stuffs=STUFFS)
    for g, p in zip(gt, pred):
        maps, tables = [], []
        for labels in (g, p):
            key = np.where(np.isin(labels[..., 0], STUFFS), labels[..., 0] * 1000,
                           labels[..., 0] * 1000 + labels[..., 1])
            key[labels[..., 0] == 255] = 0
            maps.append(key)
            tables.append([{"id": int(k), "category_id": int(k) // 1000} for k in np.unique(key) if k])
        pq.update(maps[0], maps[1], tables[0], tables[1])
    expected = pq.compute()
    assert ids["per_class"].keys() == expected["per_class"].keys()
    for name in ("All", "Things", "Stuff"):
        assert ids[name]["n"] == expected[name]["n"]
        assert ids[name]["pq"] == pytest.approx(expected[name]["pq"], rel=1e-13)


@pytest.mark.parametrize("seed", range(6))
def test_labels_equal_torchmetrics_when_the_prediction_has_no_void(seed):
    torch = pytest.importorskip("torch")
    detection = pytest.importorskip("torchmetrics.detection")
    gt, pred = _label_images(seed, 3, void_in_pred=False)
    metric = detection.PanopticQuality(things=set(THINGS), stuffs=set(STUFFS),
                                       return_sq_and_rq=True, return_per_class=True)
    theirs = metric(torch.from_numpy(pred), torch.from_numpy(gt)).numpy()
    ours = panoptic_quality_from_labels(gt, pred, THINGS, STUFFS)
    expected = [[ours["per_class"][c][k] for k in ("pq", "sq", "rq")]
                for c in sorted(THINGS + STUFFS)]
    present = [PanopticQuality(things=THINGS, stuffs=STUFFS)]
    present[0].update_labels(gt, pred)
    occurs = (present[0].tp + present[0].fp + present[0].fn) > 0
    order = np.argsort(present[0].category_ids)
    np.testing.assert_allclose(theirs.reshape(-1, 3)[occurs[order]],
                               np.array(expected)[occurs[order]], rtol=1e-6)


def test_label_errors():
    good = np.zeros((2, 2, 2), np.int64)
    with pytest.raises(ValueError, match=r"`gt` must have shape \(H, W, 2\)"):
        panoptic_quality_from_labels(np.zeros((2, 2), int), good, [1], [2])
    with pytest.raises(ValueError, match=r"`pred` must have shape \(H, W\) or \(B, H, W\)"):
        panoptic_quality_from_labels(np.zeros((2, 2), int), np.zeros((1, 1, 2, 2), int), [1], [2], label_divisor=10)
    with pytest.raises(ValueError, match="`label_divisor` must be a positive int"):
        panoptic_quality_from_labels(np.zeros((2, 2), int), np.zeros((2, 2), int), [1], [2], label_divisor=0)
    with pytest.raises(ValueError, match="non-negative"):
        panoptic_quality_from_labels(good - 1, good, [1], [2])
    with pytest.raises(TypeError, match="`pred` must hold integer labels"):
        panoptic_quality_from_labels(good, good.astype(float), [1], [2])


def test_public_paths():
    assert fastiou.PanopticQuality is PanopticQuality
    assert fastiou.panoptic_quality is panoptic_quality
    assert fastiou.segment_overlaps is segment_overlaps
