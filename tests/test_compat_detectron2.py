"""fastiou.compat.detectron2 against detectron2's SemSegEvaluator Boundary IoU.

detectron2 is not installed (heavy); its boundary logic (``SemSegEvaluator.process``'s
boundary matrix, ``_mask_to_boundary`` with OpenCV, and the ``b_iou`` lines of
``evaluate``, detectron2/evaluation/sem_seg_evaluation.py) is transcribed here with
OpenCV as the oracle.
"""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastiou.compat import detectron2

cv2 = pytest.importorskip("cv2")


def d2_mask_to_boundary(mask, dilation_ratio=0.02):
    h, w = mask.shape
    diag_len = np.sqrt(h ** 2 + w ** 2)
    dilation = max(1, int(round(dilation_ratio * diag_len)))
    kernel = np.ones((3, 3), dtype=np.uint8)
    padded_mask = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
    eroded_mask_with_padding = cv2.erode(padded_mask, kernel, iterations=dilation)
    eroded_mask = eroded_mask_with_padding[1:-1, 1:-1]
    return mask - eroded_mask


def d2_b_conf_matrix(gts, preds, num_classes, ignore_label):
    b_conf = np.zeros((num_classes + 1, num_classes + 1), dtype=np.int64)
    for gt, pred in zip(gts, preds):
        gt = np.array(gt, dtype=int)
        pred = np.array(pred, dtype=int)
        gt[gt == ignore_label] = num_classes
        b_gt = d2_mask_to_boundary(gt.astype(np.uint8))
        b_pred = d2_mask_to_boundary(pred.astype(np.uint8))
        b_conf += np.bincount((num_classes + 1) * b_pred.reshape(-1) + b_gt.reshape(-1),
                              minlength=b_conf.size).reshape(b_conf.shape)
    return b_conf


def d2_b_iou(b_conf, num_classes):
    b_iou = np.full(num_classes, np.nan, dtype=float)
    b_tp = b_conf.diagonal()[:-1].astype(float)
    b_pos_gt = np.sum(b_conf[:-1, :-1], axis=0).astype(float)
    b_pos_pred = np.sum(b_conf[:-1, :-1], axis=1).astype(float)
    b_union = b_pos_gt + b_pos_pred - b_tp
    b_iou_valid = b_union > 0
    b_iou[b_iou_valid] = b_tp[b_iou_valid] / b_union[b_iou_valid]
    return b_iou


def maps(rng, n, h, w, num_classes, ignore_label):
    cell = int(rng.integers(1, 7))
    small = rng.integers(0, num_classes, (n, h // cell + 1, w // cell + 1))
    gt = np.repeat(np.repeat(small, cell, 1), cell, 2)[:, :h, :w]
    pred = gt.copy()
    flip = rng.random(pred.shape) < 0.1
    pred[flip] = rng.integers(0, num_classes, int(flip.sum()))
    gt = np.where(rng.random(gt.shape) < 0.05, ignore_label, gt)
    return gt, pred


@pytest.mark.parametrize("num_classes", [1, 2, 19, 150, 254])
@pytest.mark.parametrize("size", [(1, 1), (3, 7), (40, 33), (129, 64)])
def test_equals_detectron2(num_classes, size):
    rng = np.random.default_rng(num_classes + size[0])
    gt, pred = maps(rng, 3, *size, num_classes, 255)
    expected = d2_b_conf_matrix(gt, pred, num_classes, 255)
    matrix = detectron2.boundary_confusion_matrix(gt, pred, num_classes)
    np.testing.assert_array_equal(matrix, expected)
    np.testing.assert_array_equal(detectron2.boundary_iou(gt, pred, num_classes), d2_b_iou(expected, num_classes))
    np.testing.assert_array_equal(detectron2.boundary_confusion_matrix(gt[0], pred[0], num_classes),
                                  d2_b_conf_matrix(gt[:1], pred[:1], num_classes, 255))


def test_other_ignore_label_and_ratio():
    rng = np.random.default_rng(1)
    gt, pred = maps(rng, 2, 50, 70, 5, -1)
    for ratio in (0.0, 0.05, 0.3):
        expected = np.zeros((6, 6), np.int64)
        for g, p in zip(gt, pred):
            g = np.where(g == -1, 5, g)
            b_gt = d2_mask_to_boundary(g.astype(np.uint8), ratio)
            b_pred = d2_mask_to_boundary(p.astype(np.uint8), ratio)
            expected += np.bincount(6 * b_pred.ravel() + b_gt.ravel(), minlength=36).reshape(6, 6)
        np.testing.assert_array_equal(
            detectron2.boundary_confusion_matrix(gt, pred, 5, ignore_label=-1, dilation_ratio=ratio), expected)


@settings(max_examples=60, deadline=None)
@given(st.tuples(st.integers(1, 2), st.integers(1, 30), st.integers(1, 30)).flatmap(
    lambda s: st.tuples(hnp.arrays(np.int64, s, elements=st.sampled_from([0, 1, 2, 3, 255])),
                        hnp.arrays(np.int64, s, elements=st.integers(0, 3)))))
def test_property_equals_detectron2(pair):
    gt, pred = pair
    np.testing.assert_array_equal(detectron2.boundary_confusion_matrix(gt, pred, 4),
                                  d2_b_conf_matrix(gt, pred, 4, 255))


def test_where_it_does_not_apply():
    gt = np.zeros((4, 4), np.int64)
    with pytest.raises(ValueError, match="`num_classes` must be below 255 for detectron2's Boundary IoU"):
        detectron2.boundary_iou(gt, gt, 255)
    with pytest.raises(ValueError, match=r"`gt` must hold labels in \[0, num_classes\) or `ignore_label`, got 7"):
        detectron2.boundary_iou(gt + 7, gt, 3)
    with pytest.raises(ValueError, match=r"`pred` must hold labels in \[0, num_classes\), got -1"):
        detectron2.boundary_iou(gt, gt - 1, 3)
    with pytest.raises(ValueError, match=r"`pred` has shape \(1, 4, 3\) but `gt` has shape \(1, 4, 4\)"):
        detectron2.boundary_iou(gt, gt[:, :3], 3)
    with pytest.raises(ValueError, match=r"`gt` must have shape \(H, W\) or \(N, H, W\)"):
        detectron2.boundary_iou(gt.ravel(), gt.ravel(), 3)
    with pytest.raises(TypeError, match="`gt`"):
        detectron2.boundary_iou(gt.astype(float), gt, 3)
    with pytest.raises(ValueError, match="`b_conf_matrix` must be a square"):
        detectron2.boundary_iou_from_matrix(np.zeros((2, 3)))


def test_uint8_index_wrap_is_detectron2s_and_can_be_switched_off():
    rng = np.random.default_rng(19)
    gt, pred = maps(rng, 2, 60, 80, 19, 255)
    intended = np.zeros((20, 20), np.int64)
    for g, p in zip(gt, pred):
        b_gt = d2_mask_to_boundary(np.where(g == 255, 19, g).astype(np.uint8)).astype(np.int64)
        b_pred = d2_mask_to_boundary(p.astype(np.uint8)).astype(np.int64)
        intended += np.bincount(20 * b_pred.ravel() + b_gt.ravel(), minlength=400).reshape(20, 20)
    unwrapped = detectron2.boundary_confusion_matrix(gt, pred, 19, uint8_wrap=False)
    np.testing.assert_array_equal(unwrapped, intended)
    wrapped = detectron2.boundary_confusion_matrix(gt, pred, 19)
    np.testing.assert_array_equal(wrapped, d2_b_conf_matrix(gt, pred, 19, 255))
    assert not np.array_equal(wrapped, unwrapped)  # the quirk shows with 19 classes
    assert wrapped.sum() == unwrapped.sum() and not wrapped.reshape(-1)[256:].any()
    np.testing.assert_array_equal(detectron2.boundary_iou(gt, pred, 19, uint8_wrap=False),
                                  d2_b_iou(intended, 19))
