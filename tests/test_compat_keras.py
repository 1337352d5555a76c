"""fastiou.compat.keras against Keras 3 with the torch backend (skipped when not installed)."""

import os
import warnings

import numpy as np
import pytest

from fastiou.compat import keras as compat

os.environ.setdefault("KERAS_BACKEND", "torch")
try:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras
except Exception:  # not installed, or no usable backend
    keras = None
pytestmark = pytest.mark.skipif(keras is None, reason="keras with a usable backend is not installed")


def _run(metric, batches):
    for batch in batches:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # Keras warns about float weights in its int state
            metric.update_state(*batch)
    value = metric.result()
    return float(value.detach().cpu().numpy() if hasattr(value, "detach") else value)


def _label_batches(seed, num_classes=4, n=3, out_of_range=False, weights=None):
    rng = np.random.default_rng(seed)
    batches = []
    for _ in range(n):
        t = rng.integers(0, num_classes, (2, 6, 5))
        p = np.where(rng.random(t.shape) < 0.5, t, rng.integers(0, num_classes, t.shape))
        t[t == 2] = 0  # class 2 absent from truth; predicted sometimes
        if out_of_range:
            t[0, 0, :2] = num_classes + 3
            p[1, 1, :2] = -1
        batch = [t, p]
        if weights == "int":
            batch.append(rng.integers(0, 3, t.shape))
        elif weights == "scalar":
            batch.append(2)
        batches.append(tuple(batch))
    return batches


@pytest.mark.parametrize("ignore_class", [None, 0, 255])
@pytest.mark.parametrize("out_of_range", [False, True])
@pytest.mark.parametrize("weights", [None, "int", "scalar"])
def test_mean_iou_and_iou_labels(ignore_class, out_of_range, weights):
    batches = _label_batches(1, out_of_range=out_of_range, weights=weights)
    if ignore_class == 255:
        batches[0][0][0, :, 0] = 255
    expected = _run(keras.metrics.MeanIoU(4, ignore_class=ignore_class), batches)
    assert _run(compat.MeanIoU(4, ignore_class=ignore_class), batches) == pytest.approx(expected, rel=1e-5)
    for ids in ([0], [1, 2], [3, 1]):
        expected = _run(keras.metrics.IoU(4, ids, ignore_class=ignore_class), batches)
        assert _run(compat.IoU(4, ids, ignore_class=ignore_class), batches) == pytest.approx(expected, rel=1e-5,
                                                                                             abs=1e-6)


@pytest.mark.parametrize("axis", [-1, 1])
def test_dense_predictions_and_one_hot_truth(axis):
    # Keras itself crashes in result() for axis != -1 (it sums the IoU vector over `axis`),
    # so its numbers come from the channels-last copy
    rng = np.random.default_rng(2)
    labels = rng.integers(0, 3, (4, 5))
    scores = rng.random((4, 5, 3)).astype(np.float32)
    one_hot = np.eye(3, dtype=np.float32)[labels]
    moved = (lambda a: np.moveaxis(a, -1, 1)) if axis == 1 else (lambda a: a)
    expected = _run(keras.metrics.MeanIoU(3, sparse_y_pred=False), [(labels, scores)])
    got = _run(compat.MeanIoU(3, sparse_y_pred=False, axis=axis), [(labels, moved(scores))])
    assert got == pytest.approx(expected, rel=1e-5)
    expected = _run(keras.metrics.OneHotMeanIoU(3), [(one_hot, scores)])
    assert _run(compat.OneHotMeanIoU(3, axis=axis), [(moved(one_hot), moved(scores))]) == pytest.approx(expected, rel=1e-5)
    expected = _run(keras.metrics.OneHotIoU(3, [0, 2], ignore_class=1), [(one_hot, scores)])
    got = _run(compat.OneHotIoU(3, [0, 2], axis=axis, ignore_class=1), [(moved(one_hot), moved(scores))])
    assert got == pytest.approx(expected, rel=1e-5)


@pytest.mark.parametrize("threshold", [0.5, 0.3])
@pytest.mark.parametrize("ids", [(0, 1), (1,), (0,)])
def test_binary_iou(threshold, ids):
    rng = np.random.default_rng(3)
    batches = [(rng.integers(0, 2, (3, 7)), rng.random((3, 7)).astype(np.float32)) for _ in range(2)]
    batches.append((np.array([0, 1]), np.array([0.3, 0.5])))  # values equal to the thresholds
    expected = _run(keras.metrics.BinaryIoU(ids, threshold=threshold), batches)
    assert _run(compat.BinaryIoU(ids, threshold=threshold), batches) == pytest.approx(expected, rel=1e-5)


def test_keras_doc_example_and_empty_state():
    batches = [([0, 0, 1, 1], [0, 1, 0, 1], [0.3, 0.3, 0.3, 0.1])]
    expected = _run(keras.metrics.IoU(2, [0], dtype="float32"), batches)
    assert _run(compat.IoU(2, [0]), batches) == pytest.approx(expected, rel=1e-5)
    assert compat.MeanIoU(3).result() == _run(keras.metrics.MeanIoU(3), []) == 0.0


def test_fractional_weights_are_not_truncated():
    # Keras 3's default int state truncates 0.5 to 0: fastiou keeps it (a documented difference)
    batches = [([0, 1], [0, 1], [0.5, 0.5])]
    assert _run(compat.MeanIoU(2), batches) == 1.0
    assert _run(keras.metrics.MeanIoU(2, dtype="float32"), batches) == pytest.approx(1.0, rel=1e-5)


def test_merge_state_reset_state_and_config():
    batches = _label_batches(4)
    whole = compat.MeanIoU(4)
    for batch in batches:
        whole.update_state(*batch)
    parts = [compat.MeanIoU(4) for _ in batches]
    for part, batch in zip(parts, batches):
        part.update_state(*batch)
    parts[0].merge_state(parts[1:])
    assert parts[0].result() == whole.result()
    np.testing.assert_array_equal(parts[0].total_cm, whole.total_cm)
    with pytest.raises(ValueError, match="`num_classes` 4 vs 3"):
        whole.merge_state([compat.MeanIoU(3)])
    with pytest.raises(ValueError, match="takes MeanIoU metrics"):
        whole.merge_state([compat.IoU(4, [0])])
    whole.reset_state()
    assert whole.total_cm.sum() == 0
    assert compat.OneHotIoU(3, [1]).get_config()["sparse_y_true"] is False
    assert compat.BinaryIoU(threshold=0.2).get_config()["threshold"] == 0.2


@pytest.mark.parametrize("call, match", [
    (lambda: compat.IoU(3, [3]), r"Target class id 3 is out of range"),
    (lambda: compat.IoU(3, []), "at least one class"),
    (lambda: compat.MeanIoU(3).update_state([0, 1], [0, 1, 2]), "holds 2 labels"),
    (lambda: compat.MeanIoU(3).update_state([0, 1], [0, 1], sample_weight=[1, 2, 3]), "does not broadcast"),
])
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
