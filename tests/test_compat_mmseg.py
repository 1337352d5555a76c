"""fastiou.compat.mmseg against a transcription of mmseg's histogram algorithm (mmseg
itself is too heavy to install here): torch.histc semantics, float division."""

from collections import OrderedDict

import numpy as np
import pytest

from fastiou.compat import mmseg as compat


def _histc(values, num_classes):
    """torch.histc(values.float(), bins=C, min=0, max=C-1) for integer values."""
    values = values[(values >= 0) & (values <= num_classes - 1)]
    return np.bincount(values.astype(np.int64), minlength=num_classes).astype(np.float64)


def _mmseg_areas(pred_label, label, num_classes, ignore_index, label_map=None, reduce_zero_label=False):
    label = label.copy()
    if label_map:
        original = label.copy()
        for old, new in label_map.items():
            label[original == old] = new
    if reduce_zero_label:
        label = label.astype(np.int64)
        label[label == 0] = 255
        label = label - 1
        label[label == 254] = 255
    mask = label != ignore_index
    pred_label, label = pred_label[mask], label[mask]
    intersect = pred_label[pred_label == label]
    area_intersect = _histc(intersect, num_classes)
    area_pred = _histc(pred_label, num_classes)
    area_label = _histc(label, num_classes)
    return area_intersect, area_pred + area_label - area_intersect, area_pred, area_label


def _mmseg_metrics(areas, names, nan_to_num=None, beta=1):
    inter, union, pred, label = areas
    with np.errstate(invalid="ignore", divide="ignore"):
        result = OrderedDict(aAcc=inter.sum() / label.sum())
        for name in names:
            if name == "mIoU":
                result["IoU"] = inter / union
                result["Acc"] = inter / label
            elif name == "mDice":
                result["Dice"] = 2 * inter / (pred + label)
                result["Acc"] = inter / label
            else:
                precision = inter / pred
                recall = inter / label
                result["Fscore"] = (1 + beta**2) * precision * recall / (beta**2 * precision + recall)
                result["Precision"] = precision
                result["Recall"] = recall
    if nan_to_num is not None:
        result = OrderedDict((k, np.nan_to_num(v, nan=nan_to_num)) for k, v in result.items())
    return result


def _maps(seed, n=3, num_classes=5):
    rng = np.random.default_rng(seed)
    preds, labels = [], []
    for _ in range(n):
        label = rng.integers(0, num_classes, (12, 10)).astype(np.uint8)
        pred = np.where(rng.random(label.shape) < 0.6, label, rng.integers(0, num_classes, label.shape)).astype(np.uint8)
        label[label == 3] = 0          # class 3 absent from truth and prediction
        pred[pred == 3] = 1
        label[:2, :3] = 255            # ignored pixels
        pred[0, 5:] = 7                # predictions out of range: misses
        preds.append(pred)
        labels.append(label)
    return preds, labels


@pytest.mark.parametrize("reduce_zero_label", [False, True])
@pytest.mark.parametrize("label_map", [None, {1: 2, 2: 1}])
def test_intersect_and_union(reduce_zero_label, label_map):
    preds, labels = _maps(0)
    got = compat.intersect_and_union(preds[0], labels[0], 5, 255, label_map=label_map or {},
                                     reduce_zero_label=reduce_zero_label)
    expected = _mmseg_areas(preds[0], labels[0], 5, 255, label_map, reduce_zero_label)
    for g, e in zip(got, expected):
        assert g.dtype == np.int64
        np.testing.assert_array_equal(g, e)


@pytest.mark.parametrize("names", [["mIoU"], ["mDice"], ["mFscore"], ["mIoU", "mDice", "mFscore"], "mIoU"])
@pytest.mark.parametrize("nan_to_num", [None, 0, -1])
@pytest.mark.parametrize("beta", [1, 2])
def test_eval_metrics(names, nan_to_num, beta):
    preds, labels = _maps(1)
    areas = [sum(parts) for parts in zip(*(_mmseg_areas(p, t, 5, 255) for p, t in zip(preds, labels)))]
    expected = _mmseg_metrics(areas, [names] if isinstance(names, str) else names, nan_to_num, beta)
    got = compat.eval_metrics(preds, labels, 5, 255, metrics=names, nan_to_num=nan_to_num, beta=beta)
    assert list(got) == list(expected)
    for key in expected:
        np.testing.assert_allclose(got[key], expected[key], rtol=1e-15)


def test_mean_iou_and_tensors():
    torch = pytest.importorskip("torch")
    preds, labels = _maps(2)
    expected = compat.mean_iou(preds, labels, 5, 255, nan_to_num=0)
    got = compat.mean_iou([torch.from_numpy(p) for p in preds], [torch.from_numpy(t) for t in labels], 5, 255,
                          nan_to_num=0)
    for key in expected:
        np.testing.assert_array_equal(got[key], expected[key])
    assert np.isnan(compat.mean_iou(preds, labels, 5, 255)["IoU"][3])  # absent class


def test_truth_out_of_range_is_dropped_not_a_false_positive():
    # the documented difference: mmseg counts the prediction on such a pixel in area_pred_label
    pred = np.array([0, 1, 1])
    label = np.array([0, 1, 9])
    _, _, area_pred, area_label = compat.intersect_and_union(pred, label, 2, 255)
    np.testing.assert_array_equal(area_pred, [1, 1])
    np.testing.assert_array_equal(_mmseg_areas(pred, label, 2, 255)[2], [1, 2])


@pytest.mark.parametrize("call, error, match", [
    (lambda: compat.eval_metrics([np.zeros(2, int)], [np.zeros(2, int)], 2, 255, metrics=["mAP"]), KeyError,
     "not supported"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2), 2, 255), TypeError, "`label` must hold integer"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2, int), 2, None), TypeError,
     "`ignore_index` must be an int"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(3, int), 2, 255), ValueError, "shape"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
