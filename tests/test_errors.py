"""Every bad input gets a clear TypeError/ValueError naming the argument; inputs stay intact."""

import numpy as np
import pytest

import fastiou
from fastiou._shared import _validation
from fastiou.segmentation import _confusion, _core

GOOD = np.array([[0, 1], [2, 1]])

PUBLIC = [fastiou.confusion_matrix, fastiou.per_class_iou, fastiou.mean_iou]


def call(function, y_true=GOOD, y_pred=GOOD, num_classes=3, **kwargs):
    return function(y_true, y_pred, num_classes, **kwargs)


BAD_INPUTS = [
    # (id, kwargs for `call`, exception, a regex the message must match)
    ("shapes-differ", dict(y_pred=np.zeros((2, 3), int)), ValueError,
     r"`y_pred` has shape \(2, 3\) but `y_true` has shape \(2, 2\)"),
    ("float-truth", dict(y_true=GOOD.astype(float)), TypeError, r"`y_true` .*integer or bool.*float64"),
    ("float-pred", dict(y_pred=GOOD.astype(np.float32)), TypeError, r"`y_pred` .*float32"),
    ("complex-pred", dict(y_pred=GOOD.astype(complex)), TypeError, r"`y_pred` .*complex128"),
    ("object-truth", dict(y_true=np.array([[0, None], [1, 2]], dtype=object)), TypeError,
     r"`y_true` .*dtype object"),
    ("string-truth", dict(y_true=np.array([["a", "b"], ["c", "d"]])), TypeError, r"`y_true` .*<U1"),
    ("ragged-list", dict(y_true=[[0, 1], [1]]), TypeError, r"`y_true` .*could not convert"),
    ("zero-d-truth", dict(y_true=np.int64(1), y_pred=np.int64(1)), ValueError, r"`y_true` .*0-d"),
    ("num-classes-zero", dict(num_classes=0), ValueError, r"`num_classes` must be a positive int, got 0"),
    ("num-classes-negative", dict(num_classes=-3), ValueError, r"`num_classes` .* got -3"),
    ("num-classes-float", dict(num_classes=3.0), TypeError, r"`num_classes` .*float"),
    ("num-classes-bool", dict(num_classes=True), TypeError, r"`num_classes` .*bool"),
    ("num-classes-string", dict(num_classes="3"), TypeError, r"`num_classes` .*str"),
    ("num-classes-huge", dict(num_classes=10 ** 7), ValueError,
     r"`num_classes`=10000000 needs .* (TiB|GiB|PiB).* available"),
    ("truth-out-of-range", dict(y_true=np.array([[0, 7], [1, 1]])), ValueError,
     r"`y_true` has 1 label\(s\) outside \[0, 3\) .*e\.g\. 7"),
    ("pred-out-of-range", dict(y_pred=np.array([[0, 1], [-4, -4]])), ValueError,
     r"`y_pred` has 2 label\(s\) outside \[0, 3\) .*e\.g\. -4"),
    ("bad-policy", dict(out_of_range="clip"), ValueError, r"`out_of_range` must be one of .*'clip'"),
    ("weights-shape", dict(sample_weight=np.ones(3)), ValueError,
     r"`sample_weight` has shape \(3,\), which does not broadcast .*\(2, 2\)"),
    ("weights-nan", dict(sample_weight=np.array([1.0, np.nan])), ValueError, r"`sample_weight` must be finite"),
    ("weights-inf", dict(sample_weight=np.array([1.0, np.inf])), ValueError, r"`sample_weight` must be finite"),
    ("weights-negative", dict(sample_weight=np.array([1.0, -0.5])), ValueError,
     r"`sample_weight` must be non-negative, got a value -0.5"),
    ("weights-complex", dict(sample_weight=np.array([1j, 1])), TypeError, r"`sample_weight` .*complex"),
    ("weights-strings", dict(sample_weight=np.array(["a", "b"])), TypeError, r"`sample_weight` .*<U1"),
    ("threads-zero", dict(n_threads=0), ValueError, r"`n_threads` .* got 0"),
    ("threads-float", dict(n_threads=2.0), TypeError, r"`n_threads` must be None or an int, got float"),
    ("threads-bool", dict(n_threads=True), TypeError, r"`n_threads` .*bool"),
    ("threads-string", dict(n_threads="2"), TypeError, r"`n_threads` .*str"),
    ("ignore-float", dict(ignore_index=2.5), TypeError, r"`ignore_index` .*float"),
    ("ignore-string", dict(ignore_index="255"), TypeError, r"`ignore_index` .*'2'"),
    ("ignore-list-of-floats", dict(ignore_index=[1, 2.0]), TypeError, r"`ignore_index` .*2\.0"),
    ("ignore-bool", dict(ignore_index=True), TypeError, r"`ignore_index` .*bool"),
]


@pytest.mark.parametrize("function", PUBLIC, ids=lambda f: f.__name__)
@pytest.mark.parametrize("kwargs,exception,message", [b[1:] for b in BAD_INPUTS],
                         ids=[b[0] for b in BAD_INPUTS])
def test_bad_input_raises_clear_error(function, kwargs, exception, message):
    snapshot = {k: np.array(v, copy=True) for k, v in kwargs.items() if isinstance(v, np.ndarray)}
    with pytest.raises(exception, match=message):
        call(function, **kwargs)
    for key, before in snapshot.items():
        np.testing.assert_array_equal(kwargs[key], before)


@pytest.mark.parametrize("cm,exception,message", [
    (np.ones((2, 3)), ValueError, r"`cm` must be a square 2-D matrix, got shape \(2, 3\)"),
    (np.ones(4), ValueError, r"`cm` must be a square"),
    (np.array([[1, -1], [0, 1]]), ValueError, r"`cm` must hold finite, non-negative"),
    (np.array([[1, np.nan], [0, 1]]), ValueError, r"`cm` must hold finite"),
    (np.array([["a"]]), TypeError, r"`cm` must hold real numbers"),
])
def test_iou_from_confusion_rejects_bad_matrices(cm, exception, message):
    with pytest.raises(exception, match=message):
        fastiou.iou_from_confusion(cm)


def test_memory_check_reports_the_size_it_needs(monkeypatch):
    monkeypatch.setattr(_validation, "UNCHECKED_TABLE_BYTES", 0)
    monkeypatch.setattr(_validation, "available_memory_bytes", lambda: 10 * 2 ** 20)
    with pytest.raises(ValueError, match=r"needs a 2000x2000 matrix of 30\.5 MiB .* 10\.0 MiB"):
        fastiou.confusion_matrix([0], [0], 2000)


def test_memory_check_lowers_threads_instead_of_failing(monkeypatch):
    monkeypatch.setattr(_validation, "UNCHECKED_TABLE_BYTES", 0)
    monkeypatch.setattr(_validation, "available_memory_bytes", lambda: 5 * 8 * 100 * 100)
    assert _validation.check_matrix_fits(100, 8) == 1
    result = fastiou.confusion_matrix(np.arange(100), np.arange(100), 100, n_threads=8)
    np.testing.assert_array_equal(result, np.eye(100, dtype=np.int64))


def test_memory_check_counts_uint16_tables_at_their_size(monkeypatch):
    """Many classes on several threads count into uint16 tables: a quarter of the memory a
    thread, so four times as many threads fit beside the int64 result."""
    monkeypatch.setattr(_validation, "UNCHECKED_TABLE_BYTES", 0)
    monkeypatch.setattr(_validation, "available_memory_bytes", lambda: 2 * (8 + 3 * 2) * 1000 ** 2)
    # half the memory for the result (8 MB) and the tables: none of 8 MB, three of 2 MB
    assert _validation.check_matrix_fits(1000, 8) == 1
    assert _validation.check_matrix_fits(1000, 8, table_itemsize=2) == 3
    budgets = []
    checked = _core.check_matrix_fits
    monkeypatch.setattr(_core, "check_matrix_fits",
                        lambda *args, **kw: budgets.append(kw) or checked(*args, **kw))
    truth = np.repeat(np.arange(1000), 3 * 1000)
    result = fastiou.confusion_matrix(truth, truth, 1000, n_threads=8)
    np.testing.assert_array_equal(np.diag(result), np.full(1000, 3000))
    narrow = _confusion.uses_narrow_tables(1000)
    assert budgets == [{"table_itemsize": 2 if narrow else 8}]


def test_out_of_range_policies_are_not_errors():
    truth = np.array([0, 1, 9, 2])
    pred = np.array([0, 7, 1, 2])
    for policy in ("ignore", "miss"):
        result = fastiou.confusion_matrix(truth, pred, 3, out_of_range=policy)
        np.testing.assert_array_equal(result, np.diag([1, 0, 1]))
    iou_ignore = fastiou.per_class_iou(truth, pred, 3, out_of_range="ignore")
    iou_miss = fastiou.per_class_iou(truth, pred, 3, out_of_range="miss")
    np.testing.assert_array_equal(iou_ignore, [1.0, np.nan, 1.0])
    np.testing.assert_array_equal(iou_miss, [1.0, 0.0, 1.0])
