"""Bool arrays whose bytes are not 0/1 count as their truth values, never as their bytes.

``np.asarray(PIL.Image.open(f))`` of a mode "1" image (a mask saved from a bool array) is a
bool array stored as bytes 0/255; a byte view of it reads 255 where True was meant (issue 19).
"""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastiou
from fastiou import reference

PIL = pytest.importorskip("PIL.Image")


def pillow_style_bools(values):
    """`values` (bools) as a bool array stored as bytes 0/255, as Pillow's mode "1" gives."""
    return (np.asarray(values, dtype=bool).astype(np.uint8) * 255).view(bool)


def test_pillow_mode_1_arrays_are_non_canonical_bools(tmp_path):
    mask = np.zeros((40, 60), dtype=bool)
    mask[10:30, 15:45] = True
    PIL.fromarray(mask).save(tmp_path / "a.png")
    read = np.asarray(PIL.open(tmp_path / "a.png"))
    assert read.dtype == bool and read.view(np.uint8).max() == 255  # the case under test
    np.testing.assert_array_equal(read, mask)
    expected = reference.confusion_matrix(mask.astype(np.int64), mask.astype(np.int64), 2)
    np.testing.assert_array_equal(fastiou.confusion_matrix(read, mask.astype(np.uint8), 2), expected)
    np.testing.assert_array_equal(
        fastiou.confusion_matrix(read, mask.astype(np.uint8), 2, ignore_index=255), expected)


@given(hnp.arrays(bool, hnp.array_shapes(min_dims=2, max_dims=3, max_side=17)), st.data())
def test_every_entry_point_reads_truth_values(truth, data):
    pred = data.draw(hnp.arrays(bool, truth.shape))
    odd_truth, odd_pred = pillow_style_bools(truth), pillow_style_bools(pred)
    truth_before, pred_before = odd_truth.view(np.uint8).copy(), odd_pred.view(np.uint8).copy()

    expected = reference.confusion_matrix(truth.astype(np.int64), pred.astype(np.int64), 2)
    np.testing.assert_array_equal(fastiou.confusion_matrix(odd_truth, odd_pred, 2), expected)
    np.testing.assert_array_equal(
        fastiou.confusion_matrix(odd_truth, odd_pred, 2, ignore_index=255), expected)
    accumulator = fastiou.ConfusionMatrix(2)
    accumulator.update(odd_truth, odd_pred)
    np.testing.assert_array_equal(accumulator.matrix, expected)
    np.testing.assert_array_equal(
        fastiou.per_class_iou(odd_truth, odd_pred, 2), fastiou.per_class_iou(truth, pred, 2))
    np.testing.assert_array_equal(fastiou.binary_iou(odd_truth, odd_pred), fastiou.binary_iou(truth, pred))

    # the inputs are left as they came
    np.testing.assert_array_equal(odd_truth.view(np.uint8), truth_before)
    np.testing.assert_array_equal(odd_pred.view(np.uint8), pred_before)


def test_one_hot_truth_of_non_canonical_bools():
    rng = np.random.default_rng(0)
    labels = rng.integers(0, 3, size=(4, 5))
    scores = rng.random((4, 5, 3))
    one_hot = pillow_style_bools(np.eye(3, dtype=bool)[labels])
    np.testing.assert_array_equal(fastiou.confusion_matrix(one_hot, scores, 3, axis=-1),
                                  fastiou.confusion_matrix(labels, scores, 3, axis=-1))
