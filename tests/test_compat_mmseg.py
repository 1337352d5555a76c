"""fastiou.compat.mmseg against mmseg 0.30's own metric code: randomized differential tests.

mmseg 0.x cannot be imported without mmcv (heavy, compiled). Its wheel
(``mmsegmentation==0.30.0``, a test dependency) installs without it, and
``mmseg/core/evaluation/metrics.py`` needs nothing of mmcv but ``mmcv.imread`` (reading
label *files*): the file is loaded by path, with a stand-in ``mmcv`` module whose
``imread`` refuses to be called. torch is real. So every number below comes from mmseg's
real code.
"""

import importlib.util
import sys
import types
import warnings
from collections import OrderedDict

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from fastiou.compat import mmseg as compat

torch = pytest.importorskip("torch")

FAST = settings(max_examples=25, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))
BUILTIN_ERRORS = (NotImplementedError, RuntimeError, IndexError, TypeError, KeyError, AssertionError,
                  ZeroDivisionError, AttributeError, ValueError)


def _load_mmseg_metrics():
    spec = importlib.util.find_spec("mmseg")
    if spec is None or not spec.submodule_search_locations:
        pytest.skip("mmsegmentation==0.30.0 is not installed (pip install mmsegmentation==0.30.0)")
    path = f"{spec.submodule_search_locations[0]}/core/evaluation/metrics.py"

    def imread(*args, **kwargs):
        raise AssertionError("the tests give mmseg label arrays, never label files")

    saved = sys.modules.get("mmcv")
    sys.modules["mmcv"] = types.SimpleNamespace(imread=imread)
    try:
        module_spec = importlib.util.spec_from_file_location("_mmseg_0x_metrics", path)
        module = importlib.util.module_from_spec(module_spec)
        module_spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["mmcv"]
        else:
            sys.modules["mmcv"] = saved
    return module


mm = _load_mmseg_metrics()


# --------------------------------------------------------------------------- comparing outcomes

def _outcome(function, *args, **kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # mmseg's NumPy divisions warn; compat's do not
        try:
            return "ok", function(*args, **kwargs)
        except BUILTIN_ERRORS as exc:
            return "raise", exc


def _plain(value):
    return value.numpy() if isinstance(value, torch.Tensor) else value


def _same_array(expected, got, context):
    expected = _plain(expected)
    assert type(got) is type(expected), context
    if not isinstance(expected, (np.ndarray, np.generic)):
        np.testing.assert_allclose(got, expected, rtol=1e-12, err_msg=context)
        return
    assert got.dtype == expected.dtype and np.shape(got) == np.shape(expected), context
    if expected.dtype == np.float64:
        np.testing.assert_allclose(got, expected, rtol=1e-12, atol=0, equal_nan=True, err_msg=context)
    else:  # mmseg's float32 results, bit for bit
        np.testing.assert_array_equal(got, expected, err_msg=context)


def _check_same(function_name, make_args, kwargs):
    """Run mmseg and compat on fresh copies of the inputs (mmseg writes into label maps)."""
    expected = _outcome(getattr(mm, function_name), *make_args(torch_areas=True), **kwargs)
    args = make_args(torch_areas=False)
    snapshot = [np.copy(a) for a in _arrays(args)]
    got = _outcome(getattr(compat, function_name), *args, **kwargs)
    for before, after in zip(snapshot, _arrays(args)):
        np.testing.assert_array_equal(before, after, err_msg="compat modified an input")
    context = f"{function_name} {kwargs!r}: mmseg {expected!r}, compat {got!r}"
    assert got[0] == expected[0], context
    if expected[0] == "raise":
        builtin = next(error for error in type(expected[1]).__mro__ if error in BUILTIN_ERRORS)
        assert isinstance(got[1], builtin), context
        return
    expected, got = expected[1], got[1]
    if isinstance(expected, tuple):
        assert isinstance(got, tuple) and len(got) == len(expected), context
        for e, g in zip(expected, got):
            _same_array(e, g, context)
        return
    assert type(got) is type(expected), context
    assert list(got) == list(expected), context
    for key in expected:
        _same_array(expected[key], got[key], f"{context} [{key}]")


def _arrays(args):
    for arg in args:
        if isinstance(arg, np.ndarray):
            yield arg
        elif isinstance(arg, list):
            yield from (a for a in arg if isinstance(a, np.ndarray))


# --------------------------------------------------------------------------- inputs

LABEL_DTYPES = ["uint8", "uint8", "int64", "int64", "int32", "int16", "int8", "uint16", "bool", "float32",
                "float64"]
PRED_DTYPES = ["int64", "int64", "uint8", "int32", "int16", "bool", "float32", "float64"]


@st.composite
def _setting(draw):
    num_classes = draw(st.sampled_from([1, 2, 3, 5, 8, 19, 1500]))
    ignore_index = draw(st.sampled_from([255, 255, -1, 0, 2, num_classes, None, 255.0, 1.5, 300]))
    label_map = draw(st.one_of(st.just({}), st.just(None), st.dictionaries(
        st.sampled_from([0, 1, 2, 3, 255, -1, 300]), st.sampled_from([0, 1, 2, 3, 255, -1, 7, 300, -200]),
        max_size=3)))
    reduce_zero_label = draw(st.booleans())
    return num_classes, ignore_index, label_map, reduce_zero_label


@st.composite
def _maps(draw, num_classes, n_maps):
    label_dtype = draw(st.sampled_from(LABEL_DTYPES))
    pred_dtype = draw(st.sampled_from(PRED_DTYPES))
    values = sorted({0, 1, 2, num_classes - 1, num_classes, num_classes + 1, 254, 255, -1, -2})
    pairs = []
    for _ in range(n_maps):
        shape = draw(st.sampled_from([(0,), (1,), (7,), (3, 4), (2, 3, 5)]))
        size = int(np.prod(shape))
        label = np.array(draw(st.lists(st.sampled_from(values), min_size=size, max_size=size)), np.int64)
        pred = np.where(np.array(draw(st.lists(st.booleans(), min_size=size, max_size=size)), bool),
                        label, np.array(draw(st.lists(st.sampled_from(values), min_size=size, max_size=size)),
                                        np.int64))
        pairs.append((_cast(draw, pred.reshape(shape), pred_dtype), _cast(draw, label.reshape(shape), label_dtype)))
    return pairs


def _cast(draw, values, dtype):
    """`values` in `dtype`, values the dtype cannot hold clipped into it; floats get a
    fractional value now and then (mmseg bins those as torch.histc does)."""
    if dtype == "bool":
        return values > 0
    if np.dtype(dtype).kind == "f":
        out = values.astype(dtype)
        if out.size and draw(st.integers(0, 3)) == 0:
            out.flat[0] = draw(st.sampled_from([0.5, 1.25, -0.5, 2.75]))
        return out
    info = np.iinfo(dtype)
    return np.clip(values, info.min, info.max).astype(dtype)


@st.composite
def _dataset(draw):
    num_classes, ignore_index, label_map, reduce_zero_label = draw(_setting())
    pairs = draw(_maps(num_classes, draw(st.integers(0, 3))))
    return num_classes, ignore_index, label_map, reduce_zero_label, pairs


_metrics = st.one_of(st.sampled_from(["mIoU", "mDice", "mFscore"]),
                     st.lists(st.sampled_from(["mIoU", "mDice", "mFscore"]), max_size=3),
                     st.just(["mIoU", "mAP"]))
_nan_to_num = st.sampled_from([None, None, 0, -1, 0.5])
_beta = st.sampled_from([1, 2, 0.5])


# --------------------------------------------------------------------------- cases

def _intersect_and_union_case(dataset):
    num_classes, ignore_index, label_map, reduce_zero_label, pairs = dataset
    if not pairs:
        return
    pred, label = pairs[0]
    _check_same("intersect_and_union", lambda torch_areas: [pred.copy(), label.copy()],
                dict(num_classes=num_classes, ignore_index=ignore_index, label_map=label_map,
                     reduce_zero_label=reduce_zero_label))


def _eval_metrics_case(dataset, metrics, nan_to_num, beta):
    num_classes, ignore_index, label_map, reduce_zero_label, pairs = dataset
    _check_same("eval_metrics", lambda torch_areas: [[p.copy() for p, _ in pairs], [t.copy() for _, t in pairs]],
                dict(num_classes=num_classes, ignore_index=ignore_index, metrics=metrics, nan_to_num=nan_to_num,
                     label_map=label_map, reduce_zero_label=reduce_zero_label, beta=beta))


def _pre_eval_case(dataset, metrics, nan_to_num, beta):
    """mmseg's pre-eval flow: per-image areas from each side's intersect_and_union."""
    num_classes, ignore_index, label_map, reduce_zero_label, pairs = dataset
    if not pairs:
        return
    options = (num_classes, ignore_index, label_map, reduce_zero_label)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            per_image = [mm.intersect_and_union(p.copy(), t.copy(), *options) for p, t in pairs]
    except BUILTIN_ERRORS:
        return  # intersect_and_union's own errors are compared in its test
    ours = [compat.intersect_and_union(p, t, *options) for p, t in pairs]

    def make(torch_areas):
        return [per_image if torch_areas else ours]
    _check_same("pre_eval_to_metrics", make, dict(metrics=metrics, nan_to_num=nan_to_num, beta=beta))

    def same_tensors(torch_areas):  # compat also takes mmseg's own tensors
        return [per_image]
    _check_same("pre_eval_to_metrics", same_tensors, dict(metrics=metrics, nan_to_num=nan_to_num, beta=beta))


@st.composite
def _areas(draw):
    size = draw(st.integers(1, 6))
    dtype = draw(st.sampled_from(["float32", "float64", "int64", "int32"]))
    columns = []
    for _ in range(4):
        values = draw(st.lists(st.integers(0, 2**20), min_size=size, max_size=size))
        columns.append(np.array(values, dtype))
    intersect, _, pred, label = columns
    intersect = np.minimum(intersect, np.minimum(pred, label))
    union = pred + label - intersect
    return intersect, union, pred, label


def _total_area_case(areas, metrics, nan_to_num, beta):
    def make(torch_areas):
        return [torch.from_numpy(a.copy()) if torch_areas else a.copy() for a in areas]
    _check_same("total_area_to_metrics", make, dict(metrics=metrics, nan_to_num=nan_to_num, beta=beta))


# --------------------------------------------------------------------------- tests

def _differential(body, *strategies):
    """The default-suite variant (a few dozen cases) and the slow 10,000-case variant."""
    return FAST(given(*strategies)(body)), pytest.mark.slow(SLOW(given(*strategies)(body)))


test_intersect_and_union_matches_mmseg, test_intersect_and_union_matches_mmseg_10k = _differential(
    _intersect_and_union_case, _dataset())
test_eval_metrics_matches_mmseg, test_eval_metrics_matches_mmseg_10k = _differential(
    _eval_metrics_case, _dataset(), _metrics, _nan_to_num, _beta)
test_pre_eval_to_metrics_matches_mmseg, test_pre_eval_to_metrics_matches_mmseg_10k = _differential(
    _pre_eval_case, _dataset(), _metrics, _nan_to_num, _beta)
test_total_area_to_metrics_matches_mmseg, test_total_area_to_metrics_matches_mmseg_10k = _differential(
    _total_area_case, _areas(), _metrics, _nan_to_num, _beta)


# --------------------------------------------------------------------------- the named quirks

def test_mean_functions_and_f_score_match_mmseg():
    rng = np.random.default_rng(0)
    preds = [rng.integers(0, 6, (9, 7)) for _ in range(3)]
    labels = [np.where(rng.random((9, 7)) < 0.1, 255, rng.integers(0, 5, (9, 7))).astype(np.uint8)
              for _ in range(3)]
    for name, extra in (("mean_iou", {}), ("mean_dice", {}), ("mean_fscore", {"beta": 2})):
        for nan_to_num in (None, 0):
            _check_same(name, lambda torch_areas: [[p.copy() for p in preds], [t.copy() for t in labels]],
                        dict(num_classes=6, ignore_index=255, nan_to_num=nan_to_num, label_map={1: 3},
                             reduce_zero_label=True, **extra))
    assert compat.f_score(0.5, 0.25, 2) == mm.f_score(0.5, 0.25, 2)
    with pytest.raises(ZeroDivisionError):
        compat.f_score(0.0, 0.0)
    got = compat.f_score(np.array([0.5, 0.0], np.float32), np.array([0.25, 0.0], np.float32))
    expected = mm.f_score(torch.tensor([0.5, 0.0]), torch.tensor([0.25, 0.0])).numpy()
    np.testing.assert_array_equal(got, expected)


def test_quirks_reproduced():
    # num_classes=1: every non-ignored pixel counts, whatever its value
    np.testing.assert_array_equal(compat.intersect_and_union(np.array([0, 3, 5, -2]), np.array([0, 3, 1, 7]), 1, 255),
                                  [[2], [6], [4], [4]])
    # an out-of-range label: dropped from its own histogram, its prediction still counts
    _, _, area_pred, area_label = compat.intersect_and_union(np.array([0, 1, 1]), np.array([0, 1, 9]), 2, 255)
    np.testing.assert_array_equal(area_pred, [1, 2])
    np.testing.assert_array_equal(area_label, [1, 1])
    # label_map entries each read the original values: {1: 2, 2: 0} does not chain 1 -> 2 -> 0
    label = np.array([1, 2, 2], np.int64)
    inter, _, _, area_label = compat.intersect_and_union(np.array([2, 0, 0]), label, 3, 255, label_map={1: 2, 2: 0})
    np.testing.assert_array_equal(area_label, [2, 0, 1])
    np.testing.assert_array_equal(label, [1, 2, 2])  # not modified
    # -1 matches 255 in uint8 labels (torch wraps the int to the dtype)
    _, _, _, area_label = compat.intersect_and_union(np.array([0, 1], np.uint8), np.array([0, 255], np.uint8), 2, -1)
    np.testing.assert_array_equal(area_label, [1, 0])
    # above 4096 classes torch.histc's float32 binning moves label C-2 into the last bin
    num_classes = 5000
    label = np.array([num_classes - 2])
    expected = mm.intersect_and_union(label.copy(), label.copy(), num_classes, 255)
    got = compat.intersect_and_union(label, label, num_classes, 255)
    for e, g in zip(expected, got):
        np.testing.assert_array_equal(g, e.numpy())
    assert got[3][num_classes - 1] == 1


def test_file_names():
    pytest.importorskip("PIL")
    from PIL import Image
    import tempfile
    import os
    with tempfile.TemporaryDirectory() as folder:
        pred_path = os.path.join(folder, "pred.npy")
        label_path = os.path.join(folder, "label.png")
        pred = np.array([[0, 1], [2, 1]], np.int64)
        label = np.array([[0, 1], [1, 255]], np.uint8)
        np.save(pred_path, pred)
        Image.fromarray(label).save(label_path)
        for e, g in zip(compat.intersect_and_union(pred, label, 3, 255),
                        compat.intersect_and_union(pred_path, label_path, 3, 255)):
            np.testing.assert_array_equal(g, e)
        expected = mm.intersect_and_union(pred_path, label.copy(), 3, 255)  # mmseg's np.load branch
        for e, g in zip(expected, compat.intersect_and_union(pred_path, label, 3, 255)):
            np.testing.assert_array_equal(g, e.numpy())


@pytest.mark.parametrize("call, error, match", [
    (lambda: compat.eval_metrics([np.zeros(2, int)], [np.zeros(2, int)], 2, 255, metrics=["mAP"]), KeyError,
     "not supported"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(3, int), 2, 255), IndexError, "shape"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2, int), 0, 255), RuntimeError,
     "`num_classes` must be at least 1"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2, int), 2.0, 255), TypeError,
     "`num_classes` must be an int"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2, np.uint8), 2, 255, label_map={1: 300}),
     RuntimeError, "overflow"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2, np.int8), 2, 255, reduce_zero_label=True),
     RuntimeError, "overflow"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2, np.uint16), 2, 255, label_map={1: 3}),
     NotImplementedError, "uint16"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2, bool), 2, 255, reduce_zero_label=True),
     RuntimeError, "bool"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2, int), 2, "x"), TypeError, "ignore_index"),
    (lambda: compat.intersect_and_union(np.zeros(2, int), np.zeros(2, int), 2, 255, label_map={"a": 1}), TypeError,
     "`label_map` keys"),
    (lambda: compat.pre_eval_to_metrics([]), AssertionError, "4-tuples"),
    (lambda: compat.total_area_to_metrics(np.array(["a"]), np.ones(1), np.ones(1), np.ones(1)), TypeError,
     "`total_area_intersect` must hold numbers"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match) as caught:
        call()
    assert isinstance(caught.value, (ValueError, TypeError, KeyError))


def test_result_containers():
    areas = [np.array([1.0, 0.0])] * 4
    plain = compat.total_area_to_metrics(*areas)
    assert type(plain) is dict and isinstance(plain["aAcc"], np.ndarray) and plain["aAcc"].ndim == 0
    replaced = compat.total_area_to_metrics(*areas, nan_to_num=0)
    assert type(replaced) is OrderedDict and isinstance(replaced["aAcc"], np.generic)
