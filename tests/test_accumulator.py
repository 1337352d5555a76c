"""fastiou.ConfusionMatrix: streaming updates, threads, merging, serialisation, report."""

import json
import pickle
import threading

import numpy as np
import pytest

import fastiou
from fastiou import metrics, reference


def _batches(seed=0, n=6, num_classes=4, size=(3, 17, 19)):
    rng = np.random.default_rng(seed)
    for _ in range(n):
        t = rng.integers(0, num_classes + 1, size=size)
        p = rng.integers(0, num_classes + 1, size=size)
        yield t, p


def test_updates_sum_to_the_whole_and_compute_matches_metrics():
    acc = fastiou.ConfusionMatrix(4, ignore_index=4, out_of_range="miss")
    truths, preds = [], []
    for t, p in _batches():
        acc.update(t, p)
        truths.append(t)
        preds.append(p)
    t, p = np.concatenate(truths), np.concatenate(preds)
    matrix, miss, bad_true, bad_pred = reference.confusion_counts(t, p, 4, [4])
    np.testing.assert_array_equal(acc.matrix, matrix)
    np.testing.assert_array_equal(acc.miss, miss)
    assert acc.n_out_of_range == (bad_true, bad_pred)
    result = acc.compute()
    np.testing.assert_allclose(result.iou, fastiou.per_class_iou(t, p, 4, ignore_index=4, out_of_range="miss"))
    assert result.mean_iou == pytest.approx(fastiou.mean_iou(t, p, 4, ignore_index=4, out_of_range="miss"))
    assert result.pixel_accuracy == pytest.approx(metrics.pixel_accuracy(matrix, miss=miss))
    assert result.cohen_kappa == pytest.approx(metrics.cohen_kappa(matrix, miss=miss))
    np.testing.assert_array_equal(result.support, matrix.sum(1) + miss)
    json.dumps(result.as_dict())


def test_scores_updates_with_axis():
    rng = np.random.default_rng(1)
    acc = fastiou.ConfusionMatrix(3, axis=1)
    scores = rng.standard_normal((2, 3, 5, 5)).astype(np.float32)
    t = rng.integers(0, 3, (2, 5, 5))
    acc.update(t, scores)
    np.testing.assert_array_equal(acc.matrix, reference.confusion_matrix(t, scores.argmax(1), 3))


def test_concurrent_updates_lose_no_counts():
    acc = fastiou.ConfusionMatrix(5)
    rng = np.random.default_rng(2)
    t = rng.integers(0, 5, 4000)
    p = rng.integers(0, 5, 4000)
    one = reference.confusion_matrix(t, p, 5)

    def work():
        for _ in range(25):
            acc.update(t, p)

    threads = [threading.Thread(target=work) for _ in range(6)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    np.testing.assert_array_equal(acc.matrix, one * 150)


def test_merge_add_sum_and_pickle_are_exact():
    parts = []
    whole = fastiou.ConfusionMatrix(4, ignore_index=[4])
    for t, p in _batches(3):
        part = fastiou.ConfusionMatrix(4, ignore_index=4)
        part.update(t, np.minimum(p, 3))
        whole.update(t, np.minimum(p, 3))
        parts.append(part)
    merged = fastiou.ConfusionMatrix(4, ignore_index=4).merge(*parts)
    assert merged == whole
    assert sum(parts) == whole
    assert parts[0] + parts[1] == fastiou.ConfusionMatrix(4, ignore_index=4).merge(parts[0], parts[1])
    assert parts[0].matrix.sum() < (parts[0] + parts[1]).matrix.sum()  # + does not modify
    restored = pickle.loads(pickle.dumps(whole))
    assert restored == whole
    restored.update([0], [0])  # the restored lock works
    assert restored.matrix.dtype == np.int64


def test_large_counts_stay_exact_int64():
    acc = fastiou.ConfusionMatrix.from_dict({**fastiou.ConfusionMatrix(2).to_dict(),
                                             "matrix": [[2**53 + 1, 0], [0, 0]]})
    acc.update([0], [0])
    assert acc.matrix[0, 0] == 2**53 + 2
    assert json.loads(json.dumps(acc.to_dict()))["matrix"][0][0] == 2**53 + 2


def test_weighted_update_switches_to_float64():
    acc = fastiou.ConfusionMatrix(2)
    acc.update([0, 1], [0, 1])
    acc.update([0, 1], [1, 1], sample_weight=[0.25, 0.5])
    np.testing.assert_array_equal(acc.matrix, [[1, 0.25], [0, 1.5]])
    assert fastiou.ConfusionMatrix.from_dict(json.loads(json.dumps(acc.to_dict()))) == acc


def test_reset_and_multilabel():
    acc = fastiou.ConfusionMatrix(3, multilabel=True, threshold=0.4)
    rng = np.random.default_rng(4)
    t = rng.integers(0, 2, (10, 3))
    prob = rng.random((10, 3))
    acc.update(t, prob)
    np.testing.assert_array_equal(acc.matrix, fastiou.confusion_matrix(t, prob, 3, multilabel=True, threshold=0.4))
    np.testing.assert_allclose(acc.compute().iou, fastiou.per_class_iou(t, prob, 3, multilabel=True, threshold=0.4))
    acc.reset()
    assert acc.matrix.sum() == 0 and acc.matrix.shape == (3, 2, 2)


def test_report_text_and_markdown():
    acc = fastiou.ConfusionMatrix(3)
    acc.update([0, 0, 1, 2], [0, 1, 1, 1])
    text = acc.report(class_names=["sky", "road", "car"], digits=3)
    assert "sky" in text and "0.500" in text and "nan" not in text.split("\n")[0]
    lines = text.splitlines()
    assert len({len(line) for line in lines[:7]}) == 1  # aligned columns
    markdown = acc.report(format="markdown")
    assert markdown.splitlines()[1] == "|---|---|---|---|---|---|"
    assert markdown.count("\n| ") == 4  # 3 classes and the mean


@pytest.mark.parametrize("call, error, match", [
    (lambda: fastiou.ConfusionMatrix(3).merge(fastiou.ConfusionMatrix(4)), ValueError, "`num_classes` 3 vs 4"),
    (lambda: fastiou.ConfusionMatrix(3).merge(fastiou.ConfusionMatrix(3, ignore_index=255)), ValueError,
     "`ignore_index`"),
    (lambda: fastiou.ConfusionMatrix(3).merge(fastiou.ConfusionMatrix(3, out_of_range="miss")), ValueError,
     "`out_of_range` 'raise' vs 'miss'"),
    (lambda: fastiou.ConfusionMatrix(3).merge(fastiou.ConfusionMatrix(3, multilabel=True)), ValueError,
     "`multilabel`"),
    (lambda: fastiou.ConfusionMatrix(3).merge(np.eye(3)), TypeError, "argument 0 is a ndarray"),
    (lambda: fastiou.ConfusionMatrix(3) + np.eye(3), TypeError, "unsupported operand"),
    (lambda: fastiou.ConfusionMatrix(0), ValueError, "`num_classes` must be a positive int"),
    (lambda: fastiou.ConfusionMatrix(3, out_of_range="drop"), ValueError, "`out_of_range` must be one of"),
    (lambda: fastiou.ConfusionMatrix(3, axis="1"), TypeError, "`axis` must be None or an int"),
    (lambda: fastiou.ConfusionMatrix(3, threshold=float("inf")), ValueError, "`threshold` must be finite"),
    (lambda: fastiou.ConfusionMatrix(3).update([0, 5], [0, 1]), ValueError, r"outside \[0, 3\)"),
    (lambda: fastiou.ConfusionMatrix.from_dict({"format": "x"}), ValueError, "format"),
    (lambda: fastiou.ConfusionMatrix.from_dict({**fastiou.ConfusionMatrix(2).to_dict(), "matrix": [[1]]}),
     ValueError, r"matrix of shape \(1, 1\)"),
    (lambda: fastiou.ConfusionMatrix.from_dict({**fastiou.ConfusionMatrix(2).to_dict(),
                                                "miss": [-1, 0]}), ValueError, "non-negative"),
    (lambda: fastiou.ConfusionMatrix(2).report(format="html"), ValueError, "`format` must be"),
    (lambda: fastiou.ConfusionMatrix(2).report(class_names=["a"]), ValueError, "`class_names` has 1"),
    (lambda: fastiou.ConfusionMatrix(2).report(digits=-1), ValueError, "`digits`"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()
