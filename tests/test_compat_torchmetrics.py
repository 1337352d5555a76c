"""fastiou.compat.torchmetrics against torchmetrics itself (skipped when not installed)."""

import numpy as np
import pytest

from fastiou.compat import torchmetrics as compat

torch = pytest.importorskip("torch")
tm = pytest.importorskip("torchmetrics.functional.classification")

AVERAGES = ["micro", "macro", "weighted", "none"]


def _close(got, expected):
    expected = expected.numpy() if hasattr(expected, "numpy") else expected
    np.testing.assert_allclose(got, expected, rtol=2e-6, atol=1e-7)


def _multiclass_inputs(seed, num_classes=5, absent=(3,), scores=False):
    rng = np.random.default_rng(seed)
    target = rng.integers(0, num_classes, (4, 9, 7))
    preds = np.where(rng.random(target.shape) < 0.6, target, rng.integers(0, num_classes, target.shape))
    for c in absent:
        target[target == c] = 0
        preds[preds == c] = 1
    if scores:
        logits = rng.standard_normal((4, num_classes, 9, 7)).astype(np.float32)
        return torch.from_numpy(logits), torch.from_numpy(target)
    return torch.from_numpy(preds), torch.from_numpy(target)


@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("ignore_index", [None, 0, 2, 255])
@pytest.mark.parametrize("zero_division", [0.0, 1.0])
@pytest.mark.parametrize("scores", [False, True])
def test_multiclass_jaccard_index(average, ignore_index, zero_division, scores):
    preds, target = _multiclass_inputs(1, scores=scores)
    if ignore_index == 255:
        target[0, 0, :3] = 255
    expected = tm.multiclass_jaccard_index(preds, target, 5, average=average, ignore_index=ignore_index,
                                           zero_division=zero_division)
    got = compat.multiclass_jaccard_index(preds, target, 5, average=average, ignore_index=ignore_index,
                                          zero_division=zero_division)
    _close(got, expected)
    got_numpy = compat.multiclass_jaccard_index(preds.numpy(), target.numpy(), 5, average=average,
                                                ignore_index=ignore_index, zero_division=zero_division)
    _close(got_numpy, expected)


@pytest.mark.parametrize("normalize", [None, "none", "true", "pred", "all"])
@pytest.mark.parametrize("ignore_index", [None, 1])
def test_multiclass_confusion_matrix(normalize, ignore_index):
    preds, target = _multiclass_inputs(2)
    with pytest.warns(UserWarning) if normalize in ("true", "pred") else _no_warning():
        expected = tm.multiclass_confusion_matrix(preds, target, 5, normalize=normalize, ignore_index=ignore_index)
    got = compat.multiclass_confusion_matrix(preds, target, 5, normalize=normalize, ignore_index=ignore_index)
    _close(got, expected)
    if normalize in (None, "none"):
        assert got.dtype == np.int64


class _no_warning:
    def __enter__(self):
        return self

    def __exit__(self, *exc):
        return False


@pytest.mark.parametrize("kind", ["probabilities", "logits", "labels"])
@pytest.mark.parametrize("threshold", [0.5, 0.3])
@pytest.mark.parametrize("ignore_index", [None, -1])
@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_binary_jaccard_index(kind, threshold, ignore_index, zero_division):
    rng = np.random.default_rng(3)
    target = torch.from_numpy(rng.integers(0, 2, (3, 20)))
    preds = {"probabilities": torch.from_numpy(rng.random((3, 20)).astype(np.float32)),
             "logits": torch.from_numpy(rng.standard_normal((3, 20)).astype(np.float32) * 3),
             "labels": torch.from_numpy(rng.integers(0, 2, (3, 20)))}[kind]
    if ignore_index is not None:
        target[0, :5] = ignore_index
    expected = tm.binary_jaccard_index(preds, target, threshold=threshold, ignore_index=ignore_index,
                                       zero_division=zero_division)
    _close(compat.binary_jaccard_index(preds, target, threshold=threshold, ignore_index=ignore_index,
                                       zero_division=zero_division), expected)
    empty = torch.zeros(5, dtype=torch.long)
    _close(compat.binary_jaccard_index(empty, empty, zero_division=zero_division),
           tm.binary_jaccard_index(empty, empty, zero_division=zero_division))


@pytest.mark.parametrize("average", AVERAGES)
@pytest.mark.parametrize("kind", ["probabilities", "logits", "labels"])
@pytest.mark.parametrize("ignore_index", [None, -1])
@pytest.mark.parametrize("zero_division", [0.0, 1.0])
def test_multilabel_jaccard_index(average, kind, ignore_index, zero_division):
    rng = np.random.default_rng(4)
    target = torch.from_numpy(rng.integers(0, 2, (6, 4, 5)))
    target[:, 2] = 0  # a label with no positives
    preds = {"probabilities": torch.from_numpy(rng.random((6, 4, 5)).astype(np.float32)),
             "logits": torch.from_numpy(rng.standard_normal((6, 4, 5)).astype(np.float32)),
             "labels": torch.from_numpy(rng.integers(0, 2, (6, 4, 5)))}[kind]
    if kind == "labels":
        preds[:, 2] = 0
    if ignore_index is not None:
        target[0, 0, :3] = ignore_index
    expected = tm.multilabel_jaccard_index(preds, target, 4, average=average, ignore_index=ignore_index,
                                           zero_division=zero_division)
    got = compat.multilabel_jaccard_index(preds, target, 4, average=average, ignore_index=ignore_index,
                                          zero_division=zero_division)
    _close(got, expected)


def test_tensors_with_grad_are_accepted():
    scores = torch.randn(2, 3, 4, requires_grad=True)
    target = torch.randint(0, 3, (2, 4))
    _close(compat.multiclass_jaccard_index(scores, target, 3), tm.multiclass_jaccard_index(scores, target, 3))


@pytest.mark.parametrize("call, match", [
    (lambda: compat.multiclass_jaccard_index(np.array([0, 4]), np.array([0, 1]), 3), r"outside \[0, 3\)"),
    (lambda: compat.multiclass_jaccard_index(np.array([0, 1]), np.array([0, 1]), 3, average="samples"), "`average`"),
    (lambda: compat.multiclass_confusion_matrix(np.array([0, 1]), np.array([0, 1]), 3, normalize="rows"),
     "`normalize`"),
    (lambda: compat.multilabel_jaccard_index(np.zeros((2, 3)), np.zeros((2, 4), int), 3), "must be equal"),
])
def test_errors(call, match):
    with pytest.raises(ValueError, match=match):
        call()
