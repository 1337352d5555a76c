"""torch tensors as inputs: every public entry point takes them (detached, read on the CPU)
and gives the NumPy input's result without touching the tensor; tensors NumPy cannot hold
are refused with a message naming the argument, the dtype and what to pass.

No CUDA device exists here: the device path is tested with a tensor subclass that reports a
CUDA device and whose ``.cpu()`` returns a plain CPU copy (it records the call), and the meta
device (real, no data) is refused.
"""

import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

import fastiou
from fastiou import reference
from fastiou._shared._validation import tensor_as_numpy
from fastiou.compat import keras as compat_keras
from fastiou.compat import mmseg as compat_mmseg
from fastiou.compat import sklearn as compat_sklearn
from fastiou.compat import torchmetrics as compat_torchmetrics

torch = pytest.importorskip("torch")

CPU_CALLS = []


class FakeCudaTensor(torch.Tensor):
    """A tensor that reports a CUDA device; ``.cpu()`` records the call and returns a plain
    CPU copy, as a real device-to-host copy would."""

    @property
    def device(self):
        return torch.device("cuda", 0)

    def cpu(self, *args, **kwargs):
        CPU_CALLS.append(self.shape)
        with torch._C.DisableTorchFunctionSubclass():
            return torch.Tensor.clone(self)


def _plain(tensor):
    return tensor


def _grad(tensor):
    return tensor.requires_grad_(True) if tensor.is_floating_point() else tensor


def _fake_cuda(tensor):
    return _grad(tensor).as_subclass(FakeCudaTensor)


def _transposed(tensor):
    return tensor.transpose(0, -1).contiguous().transpose(0, -1)


VARIANTS = {"cpu": _plain, "requires_grad": _grad, "cuda": _fake_cuda, "strided": _transposed}


def _rng():
    return np.random.default_rng(19)


def _labels(shape, classes=4):
    return _rng().integers(0, classes, shape)


def _snapshot(tensor):
    with torch._C.DisableTorchFunctionSubclass():
        return (torch.Tensor.clone(tensor).detach(), tensor._version, tensor.requires_grad,
                tensor.dtype, tuple(tensor.shape))


def _unchanged(tensor, before):
    after = _snapshot(tensor)
    assert torch.equal(after[0], before[0]) and after[1:] == before[1:]


def _same(result, expected):
    if isinstance(expected, dict):
        assert result.keys() == expected.keys()
        for key in expected:
            _same(result[key], expected[key])
    elif isinstance(expected, (list, tuple)):
        assert len(result) == len(expected)
        for got, want in zip(result, expected):
            _same(got, want)
    else:
        np.testing.assert_array_equal(np.asarray(result), np.asarray(expected))


def _accumulated(y_true, y_pred, weights):
    cm = fastiou.ConfusionMatrix(4)
    cm.update(y_true, y_pred, sample_weight=weights)
    return cm.matrix


def _keras_mean_iou(y_true, y_pred):
    metric = compat_keras.MeanIoU(4)
    metric.update_state(y_true, y_pred)
    return metric.result()


def _masks(seed):
    return np.random.default_rng(seed).random((3, 6, 5)) > 0.5


# name -> (function, NumPy arguments); every argument is passed as a tensor in the test
CALLS = {
    "confusion_matrix": (lambda t, p: fastiou.confusion_matrix(t, p, 4),
                         (_labels((3, 7, 5)), _labels((3, 7, 5)))),
    "confusion_matrix_uint8_weights": (lambda t, p, w: fastiou.confusion_matrix(t, p, 4, sample_weight=w),
                                       (_labels(40).astype(np.uint8), _labels(40).astype(np.uint8),
                                        _rng().random(40))),
    "confusion_matrix_scores": (lambda t, s: fastiou.confusion_matrix(t, s, 4, axis=1),
                                (_labels((2, 6, 5)), _rng().random((2, 4, 6, 5)).astype(np.float32))),
    "confusion_matrix_per_image": (lambda t, p: fastiou.confusion_matrix(t, p, 4, per_image=True),
                                   (_labels((3, 6)), _labels((3, 6)))),
    "confusion_matrix_threshold": (lambda t, p: fastiou.confusion_matrix(t, p, 2, threshold=0.3),
                                   (_labels(30, 2).astype(bool), _rng().random(30))),
    "multilabel": (lambda t, p: fastiou.confusion_matrix(t, p, 3, multilabel=True),
                   (_labels((5, 3), 2), _rng().random((5, 3)))),
    "jaccard_score": (lambda t, p: fastiou.jaccard_score(t, p, 4, average="none"),
                      (_labels(50), _labels(50))),
    "mean_iou": (lambda t, p: fastiou.mean_iou(t, p, num_classes=4), (_labels(50), _labels(50))),
    "iou_from_confusion": (fastiou.iou_from_confusion, (_labels((4, 4), 9),)),
    "accumulator": (_accumulated, (_labels(33), _labels(33), _rng().random(33))),
    "binary_iou": (fastiou.binary_iou, (_labels((2, 5, 5), 2).astype(bool), _labels((2, 5, 5), 2))),
    "thresholded_iou": (fastiou.thresholded_iou, (_labels((2, 5, 5), 2), _labels((2, 5, 5), 2))),
    "soft_iou": (fastiou.soft_iou, (np.eye(3)[_labels((2, 8), 3)], _rng().random((2, 8, 3)))),
    "box_iou": (lambda a, b, c: fastiou.box_iou(a, b, iscrowd=c),
                (np.array([[0, 0, 2, 2], [1, 0, 4, 3.5]], np.float32),
                 np.array([[1, 1, 3, 3], [0, 0, 1, 1], [2, 1, 5, 5]], np.float32),
                 np.array([False, True, False]))),
    "box_iou_plain": (fastiou.box_iou, (_rng().random((5, 4)) + [0, 0, 1, 1],
                                        _rng().random((6, 4)) + [0, 0, 1, 1])),
    "box_area": (fastiou.box_area, (np.array([[0, 0, 2, 3], [1, 1, 1, 5]], np.int64),)),
    "box_convert": (lambda b: fastiou.box_convert(b, "xywh", "cxcywh"), (_rng().random((4, 4)),)),
    "rotated_box_iou": (fastiou.rotated_box_iou, (np.array([[1, 1, 2, 2, 0.0], [2, 2, 3, 1, 30.0]]),
                                                  np.array([[1, 1, 2, 2, 45.0]]))),
    "mask_iou": (fastiou.mask_iou, (_masks(1), _masks(2))),
    "rle_encode": (fastiou.rle_encode, (_masks(3),)),
    "rle_encode_single": (fastiou.rle_encode, (_masks(4)[0],)),
    "sklearn_jaccard": (lambda t, p: compat_sklearn.jaccard_score(t, p, average="macro"),
                        (_labels(40), _labels(40))),
    "sklearn_confusion": (lambda t, p, w: compat_sklearn.confusion_matrix(t, p, sample_weight=w),
                          (_labels(40), _labels(40), _rng().random(40))),
    "torchmetrics_multiclass": (lambda p, t: compat_torchmetrics.multiclass_jaccard_index(p, t, 4),
                                (_rng().random((3, 4, 5)), _labels((3, 5)))),
    "torchmetrics_binary": (compat_torchmetrics.binary_jaccard_index,
                            (_rng().random(20).astype(np.float32), _labels(20, 2))),
    "keras_mean_iou": (_keras_mean_iou, (_labels(30), _labels(30))),
    "mmseg_intersect_and_union": (lambda p, t: compat_mmseg.intersect_and_union(p, t, 4, 255),
                                  (_labels((6, 7)), _labels((6, 7)))),
}


@pytest.mark.parametrize("variant", sorted(VARIANTS))
@pytest.mark.parametrize("call", sorted(CALLS))
def test_tensors_give_the_numpy_result_and_stay_unchanged(call, variant):
    function, arrays = CALLS[call]
    expected = function(*arrays)
    tensors = [VARIANTS[variant](torch.from_numpy(np.ascontiguousarray(a))) for a in arrays]
    before = [_snapshot(t) for t in tensors]
    CPU_CALLS.clear()
    result = function(*tensors)
    _same(result, expected)
    for tensor, snapshot in zip(tensors, before):
        _unchanged(tensor, snapshot)
    if variant == "cuda":  # every tensor argument was copied to the host
        assert len(CPU_CALLS) >= len(tensors)


def test_mmseg_lists_of_tensors():
    preds = [torch.from_numpy(_labels((5, 6))), torch.from_numpy(_labels((4, 4)))]
    gts = [torch.from_numpy(_labels((5, 6))), torch.from_numpy(_labels((4, 4)))]
    expected = compat_mmseg.mean_iou([p.numpy() for p in preds], [g.numpy() for g in gts], 4, 255)
    _same(compat_mmseg.mean_iou(preds, gts, 4, 255), expected)


@pytest.mark.parametrize("dtype", ["bool", "uint8", "int8", "uint16", "int16", "uint32", "int32",
                                   "uint64", "int64", "float16", "float32", "float64"])
def test_a_cpu_tensor_is_shared_not_copied_and_read_only(dtype):
    tensor = torch.from_numpy(_labels((3, 5), 2).astype(dtype))
    array = tensor_as_numpy(tensor, "y_true")
    assert array.dtype == np.dtype(dtype)
    assert array.ctypes.data == tensor.data_ptr()
    assert not array.flags.writeable
    with pytest.raises(ValueError, match="read-only"):
        array[0, 0] = 1


def test_a_strided_tensor_keeps_its_strides():
    base = torch.arange(24).reshape(4, 6)
    view = base[:, ::2].t()
    array = tensor_as_numpy(view, "y_pred")
    assert array.ctypes.data == view.data_ptr()
    np.testing.assert_array_equal(array, view.numpy())


def test_a_tensor_that_requires_grad_is_detached_without_copy():
    tensor = torch.rand(4, 3, requires_grad=True)
    array = tensor_as_numpy(tensor, "y_prob")
    assert array.ctypes.data == tensor.data_ptr()
    assert tensor.requires_grad and tensor.grad is None


def test_a_device_tensor_is_copied_to_the_host_once():
    CPU_CALLS.clear()
    source = torch.arange(6).reshape(2, 3)
    fake = source.as_subclass(FakeCudaTensor)
    array = tensor_as_numpy(fake, "y_true")
    assert CPU_CALLS == [torch.Size([2, 3])]
    assert array.ctypes.data != source.data_ptr()
    np.testing.assert_array_equal(array, source.numpy())


def test_a_negated_view_is_read_with_its_sign():
    base = torch.tensor([1.0, -2.0, 0.5])
    view = torch._neg_view(base)
    assert view.is_neg()
    np.testing.assert_array_equal(tensor_as_numpy(view, "y_prob"), [-1.0, 2.0, -0.5])


def test_non_tensors_pass_through():
    values = [[0, 1], [1, 0]]
    assert tensor_as_numpy(values, "y_true") is values
    array = np.zeros(3)
    assert tensor_as_numpy(array, "y_true") is array


def _quantized():
    with warnings.catch_warnings():  # torch deprecates its quantized tensors (a UserWarning)
        warnings.simplefilter("ignore", UserWarning)
        return torch.quantize_per_tensor(torch.tensor([0.0, 0.5, 1.0]), 0.1, 0, torch.quint8)


BAD_TENSORS = {
    "bfloat16": (lambda: torch.zeros(3, dtype=torch.bfloat16),
                 r"`y_pred` is a torch tensor of dtype torch\.bfloat16, which NumPy cannot hold; "
                 r"pass `tensor\.float\(\)`"),
    "float8": (lambda: torch.zeros(3).to(torch.float8_e4m3fn),
               r"`y_pred` is a torch tensor of dtype torch\.float8_e4m3fn, .*`tensor\.float\(\)`"),
    "complex": (lambda: torch.zeros(3, dtype=torch.complex64),
                r"`y_pred` is a torch tensor of dtype torch\.complex64, but fastiou takes real "
                r"numbers; pass `tensor\.real` or `tensor\.abs\(\)`"),
    "quantized": (_quantized,
                  r"`y_pred` is a torch tensor of dtype torch\.quint8, .*`tensor\.dequantize\(\)`"),
    "bits": (lambda: torch.zeros(3, dtype=torch.uint8).view(torch.bits8),
             r"`y_pred` is a torch tensor of dtype torch\.bits8, which NumPy cannot hold; pass a "
             r"tensor of dtype bool"),
    "sparse": (lambda: torch.eye(3, dtype=torch.int64).to_sparse(),
               r"`y_pred` is a torch tensor with layout torch\.sparse_coo; pass a dense tensor "
               r"\(`tensor\.to_dense\(\)`\)"),
    "meta": (lambda: torch.zeros(3, 3, dtype=torch.int64, device="meta"),
             r"`y_pred` is a torch tensor on the meta device, which holds no data"),
}


@pytest.mark.parametrize("kind", sorted(BAD_TENSORS))
def test_unreadable_tensors_are_refused_naming_the_argument(kind):
    make, message = BAD_TENSORS[kind]
    with pytest.raises(TypeError, match=message):
        tensor_as_numpy(make(), "y_pred")


# the compat profiles take bfloat16 where their peer does (test_compat_profiles_take_bfloat16)
REFUSED = [(kind, call) for kind in ("bfloat16", "meta", "sparse")
           for call in ("confusion_matrix", "box_iou", "mask_iou", "soft_iou", "torchmetrics_binary",
                        "keras_mean_iou")
           if not (kind == "bfloat16" and call in ("torchmetrics_binary", "keras_mean_iou"))]


@pytest.mark.parametrize("kind, call", REFUSED)
def test_public_functions_refuse_them_with_the_argument_name(kind, call):
    function, arrays = CALLS[call]
    tensors = [torch.from_numpy(np.ascontiguousarray(a)) for a in arrays]
    tensors[-1] = BAD_TENSORS[kind][0]()
    with pytest.raises(TypeError, match=r"^`\w+` is a torch tensor "):
        function(*tensors)


def test_compat_profiles_take_bfloat16_as_their_peer():
    functional = pytest.importorskip("torchmetrics.functional.classification")
    target = torch.tensor([0, 1, 1, 0, 1])
    preds = torch.tensor([0.2, 0.9, 0.4, 0.6, 0.7], dtype=torch.bfloat16)
    expected = functional.binary_jaccard_index(preds, target)
    result = compat_torchmetrics.binary_jaccard_index(preds, target)
    np.testing.assert_array_equal(np.asarray(result), expected.numpy())


def test_a_tensor_numpy_cannot_read_is_refused():
    class Unreadable(torch.Tensor):
        def numpy(self, *args, **kwargs):
            raise RuntimeError("no storage")

    tensor = torch.zeros(3, dtype=torch.int64).as_subclass(Unreadable)
    with pytest.raises(TypeError, match=r"`y_true` is a torch tensor NumPy cannot read \(no storage\); "
                                        r"pass a plain CPU tensor or an ndarray"):
        fastiou.confusion_matrix(tensor, tensor, 2)


@given(st.integers(1, 60), st.integers(1, 9), st.sampled_from(["uint8", "int32", "int64"]),
       st.sampled_from(sorted(VARIANTS)))
def test_random_label_tensors_count_as_the_reference(size, classes, dtype, variant):
    rng = np.random.default_rng(size * 31 + classes)
    truth = rng.integers(0, classes, (size, 3)).astype(dtype)
    pred = rng.integers(0, classes, (size, 3)).astype(dtype)
    result = fastiou.confusion_matrix(VARIANTS[variant](torch.from_numpy(truth)),
                                      VARIANTS[variant](torch.from_numpy(pred)), classes)
    np.testing.assert_array_equal(result, reference.confusion_matrix(truth, pred, classes))


def test_fastiou_never_imports_torch():
    code = ("import sys, fastiou, fastiou.compat.torchmetrics, fastiou.compat.keras; "
            "fastiou.confusion_matrix([0, 1], [1, 1], 2); print('torch' in sys.modules)")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "False"
