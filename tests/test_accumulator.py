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
     ValueError, r"`state\['matrix'\]` and `state\['miss'\]` must have shapes \(2, 2\) and \(2,\), got \(1, 1\)"),
    (lambda: fastiou.ConfusionMatrix.from_dict({**fastiou.ConfusionMatrix(2).to_dict(),
                                                "miss": [-1, 0]}), ValueError, "non-negative"),
    (lambda: fastiou.ConfusionMatrix(2).report(format="html"), ValueError, "`format` must be"),
    (lambda: fastiou.ConfusionMatrix(2).report(class_names=["a"]), ValueError, "`class_names` has 1"),
    (lambda: fastiou.ConfusionMatrix(2).report(digits=-1), ValueError, "`digits`"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int32", "uint64", "int64", "float32", "float64"])
def test_add_counts_equals_update(dtype):
    """Counts made elsewhere (any real dtype) add exactly as the update that made them;
    the caller's arrays are not modified."""
    if dtype == "bool":  # a bool matrix holds counts 0 and 1 only
        truth, pred = [0, 0, 1, 2], [0, 1, 0, 2]
    else:
        truth, pred = np.random.default_rng(3).integers(0, 3, (2, 500))
    acc = fastiou.ConfusionMatrix(3, out_of_range="miss")
    acc.update(truth, pred)
    matrix = fastiou.confusion_matrix(truth, pred, 3).astype(dtype)
    miss = np.zeros(3, dtype=dtype)
    kept = matrix.copy(), miss.copy()
    added = fastiou.ConfusionMatrix(3, out_of_range="miss").add_counts(matrix, miss)
    np.testing.assert_array_equal(added.matrix, acc.matrix)
    assert added.matrix.dtype == (np.float64 if dtype.startswith("float") else np.int64)
    np.testing.assert_array_equal(matrix, kept[0])
    np.testing.assert_array_equal(miss, kept[1])
    added.update(truth, pred)
    np.testing.assert_array_equal(added.matrix, 2 * acc.matrix)


def test_add_counts_books_miss_and_out_of_range_counts():
    acc = fastiou.ConfusionMatrix(2, out_of_range="miss")
    acc.update([0, 1, 7], [1, 5, 0])
    other = fastiou.ConfusionMatrix(2, out_of_range="miss")
    assert other.add_counts(acc.matrix, acc.miss, *acc.n_out_of_range) is other
    assert other == acc
    assert other.n_out_of_range == (1, 1)
    multilabel = fastiou.ConfusionMatrix(3, multilabel=True)
    multilabel.add_counts(np.ones((3, 2, 2), dtype=np.int64))
    assert multilabel.matrix.sum() == 12


@pytest.mark.parametrize("args, error, match", [
    (([[1, 0]],), ValueError, r"`matrix` and `miss` must have shapes \(2, 2\) and \(2,\), got \(1, 2\)"),
    ((np.eye(2), [1, 2, 3]), ValueError, r"got \(2, 2\) and \(3,\)"),
    (([[1, -1], [0, 0]],), ValueError, "`matrix` must hold finite, non-negative counts"),
    (([[1, np.nan], [0, 0]],), ValueError, "`matrix` must hold finite, non-negative counts"),
    ((np.eye(2), [0, -2]), ValueError, "`miss` must hold finite, non-negative counts"),
    (([["a", "b"], ["c", "d"]],), TypeError, "`matrix` must hold real numbers, got dtype <U1"),
    ((np.full((2, 2), 2**63, dtype=np.uint64),), ValueError, "`matrix` holds a count above the int64"),
    ((np.eye(2), None, -1), ValueError, "`n_bad_true` must be a non-negative int, got -1"),
    ((np.eye(2), None, 0, 1.5), ValueError, "`n_bad_pred` must be a non-negative int, got 1.5"),
])
def test_add_counts_errors(args, error, match):
    acc = fastiou.ConfusionMatrix(2)
    with pytest.raises(error, match=match):
        acc.add_counts(*args)
    assert acc.matrix.sum() == 0
