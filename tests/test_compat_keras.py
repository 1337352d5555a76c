"""fastiou.compat.keras against Keras 3 with the torch backend.

- randomized differential tests (hypothesis) per class: a short run in the default suite,
  10,000 examples per class under the ``slow`` marker (see ``keras_oracle`` for what is
  compared and ``keras_strategies`` for the inputs);
- configs, default names, the stateless API, epsilon, errors at construction: Keras' own;
- the kernel path against the NumPy replay of Keras on larger inputs (no Keras needed);
- torch's summation order (which ``result()`` reproduces) against torch itself.

Tests that need Keras or torch are skipped when they are not installed.
"""

import pickle
import re
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

import keras_oracle as oracle
import keras_strategies as strategies
from fastiou.compat import keras as compat

keras = oracle.keras
needs_keras = pytest.mark.skipif(keras is None, reason="keras 3 with the torch backend is not installed")
SLOW_EXAMPLES = 10_000


def _construct(factory, kwargs):
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        try:
            return factory(**kwargs), None
        except Exception as exc:  # compared by type with the other library's
            return None, exc


def check_against_keras(name, case):
    """Both libraries on one case: same construction outcome, then the same calls."""
    kwargs, calls = case
    ours, our_error = _construct(getattr(compat, name), kwargs)
    theirs, keras_error = _construct(lambda **kw: oracle.reference_metric(name, kw), kwargs)
    if keras_error is not None:
        assert isinstance(our_error, type(keras_error)), (kwargs, keras_error, our_error)
        return
    assert our_error is None, (kwargs, our_error)
    problems = oracle.compare(ours, theirs, calls)
    assert not problems, (kwargs, calls, problems)


_FAST = settings(max_examples=25, deadline=None, database=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
_SLOW = settings(max_examples=SLOW_EXAMPLES, deadline=None,
                 suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])


@needs_keras
@pytest.mark.parametrize("name", oracle.CLASS_NAMES)
@_FAST
@given(data=st.data())
def test_matches_keras(name, data):
    check_against_keras(name, data.draw(strategies.CASES[name], label="case"))


@needs_keras
@pytest.mark.slow
@pytest.mark.parametrize("name", oracle.CLASS_NAMES)
@_SLOW
@given(data=st.data())
def test_matches_keras_10000(name, data):
    check_against_keras(name, data.draw(strategies.CASES[name], label="case"))


# -- hand-picked cases of each quirk (also run without hypothesis) -------------------------------

QUIRKS = [
    # float labels: truncated towards zero in an int state (-0.5 -> class 0), dropped below 0 in a float one
    ("MeanIoU", {"num_classes": 3}, [np.array([-0.5, 1.7, 2.9, np.nan]), np.array([0, 1, 2, 1])]),
    ("MeanIoU", {"num_classes": 3, "dtype": "float32"}, [np.array([-0.5, 1.7, 2.9, np.nan]), np.array([0, 1, 2, 1])]),
    # int64 labels wrap around into an int32 state
    ("MeanIoU", {"num_classes": 3}, [np.array([2 ** 32 + 1, 1, 0]), np.array([1, 1, 2 ** 32])]),
    # fractional weights truncate to 0 in the int state (with Keras' warning)
    ("MeanIoU", {"num_classes": 2}, [[0, 1, 1], [0, 1, 0], np.array([0.5, 1.9, 2.5])]),
    ("MeanIoU", {"num_classes": 2, "dtype": "float32"}, [[0, 1, 1], [0, 1, 0], np.array([0.1, 0.7, 0.3])]),
    # negative weights, and weights that wrap the int32 state
    ("MeanIoU", {"num_classes": 2}, [[0, 1, 1], [0, 1, 0], [-3, 2 ** 30, 2 ** 30]]),
    ("MeanIoU", {"num_classes": 2}, [[1, 1, 1], [1, 1, 1], [2 ** 30, 2 ** 30, 2 ** 30]]),
    # a float16 state stops counting at 2048; uint8 wraps at 256
    ("MeanIoU", {"num_classes": 2, "dtype": "float16"}, [np.zeros(2100, np.int64), np.zeros(2100, np.int64)]),
    ("MeanIoU", {"num_classes": 2, "dtype": "uint8"}, [np.ones(300, np.int64), np.ones(300, np.int64)]),
    # repeated and negative target ids
    ("IoU", {"num_classes": 3, "target_class_ids": [0, 0, 2, -1, -5]}, [[0, 1, 2, 2], [0, 2, 2, 1]]),
    # one label broadcast against many; ignore_class; out-of-range labels dropped
    ("MeanIoU", {"num_classes": 3, "ignore_class": 1}, [[2], [0, 1, 2, 5, -1]]),
    ("MeanIoU", {"num_classes": 3, "ignore_class": -1}, [[0, -1, 2, 7], [0, 1, 2, 2]]),
    # a perfect class is 1 / (1 + 1e-7); no class at all gives 0.0
    ("MeanIoU", {"num_classes": 4}, [[1, 1], [1, 1]]),
    ("MeanIoU", {"num_classes": 4}, [[], []]),
    # dense inputs: ties and NaN in the scores, argmax over axis 0, soft one-hot truth
    ("MeanIoU", {"num_classes": 3, "sparse_y_pred": False},
     [[0, 1, 2], np.array([[1, 1, 0], [np.nan, 0, 2], [0.5, 0.5, 0.5]], np.float32)]),
    ("MeanIoU", {"num_classes": 3, "sparse_y_pred": False, "axis": 0},
     [[0, 1, 2], np.array([[1, 1, 0], [0, 0, 2], [0.5, 0.7, 0.5]])]),
    ("OneHotMeanIoU", {"num_classes": 3}, [np.array([[0.2, 0.7, 0.1], [1, 0, 0]]), np.array([[0, 1, 0], [0, 0, 1.0]])]),
    # BinaryIoU: >= in float32 (0.30000001 rounds to 0.3), NaN is class 0
    ("BinaryIoU", {"threshold": 0.3}, [[0, 1, 1, 0], np.array([0.30000001, 0.3, np.nan, 0.2999999])]),
    ("BinaryIoU", {"threshold": 0.30000001, "target_class_ids": [1]}, [[1, 1], [0.3, 0.3000001]]),
    # Keras errors: sizes that do not broadcast, two scalars, axis 1 in result(), a bool state
    ("MeanIoU", {"num_classes": 3}, [[0, 1, 2], [0, 1]]),
    ("MeanIoU", {"num_classes": 3}, [1, 1]),
    ("MeanIoU", {"num_classes": 3, "axis": 1}, [[0, 1], [0, 1]]),
    ("MeanIoU", {"num_classes": 3, "dtype": "bool"}, [[0, 1], [0, 1]]),
    ("MeanIoU", {"num_classes": 3}, [[np.nan, 1], [0, 1]]),
    ("MeanIoU", {"num_classes": 3, "dtype": "uint8", "ignore_class": -300}, [[0, 1], [0, 1]]),
    ("IoU", {"num_classes": 0, "target_class_ids": [-1]}, [[0, 1], [0, 1]]),
    ("MeanIoU", {"num_classes": 3}, [[0, 2 ** 70], [0, 1]]),
    ("MeanIoU", {"num_classes": 3, "dtype": "float32"}, [[0, 2 ** 70, 1], [0, 1, 2 ** 64 + 1]]),
    ("MeanIoU", {"num_classes": 1}, [[0, 1, 0], [0, 0, 0]]),
    ("MeanIoU", {"num_classes": 300, "dtype": "uint8"}, [[0, 1], [0, 1]]),
    ("MeanIoU", {"num_classes": 2049, "dtype": "float16"}, [[2048, 2047, 0], [2048, 2047, 1]]),
    ("MeanIoU", {"num_classes": 3, "dtype": "bfloat16"}, [np.array([0, 1, 2], bool), [0.5, 1.5, 257]]),
]


@needs_keras
@pytest.mark.parametrize("name, kwargs, args", QUIRKS, ids=[f"{q[0]}-{i}" for i, q in enumerate(QUIRKS)])
def test_quirks_match_keras(name, kwargs, args):
    check_against_keras(name, (kwargs, [("update_state", tuple(args)), ("result", ())]))


@needs_keras
def test_torch_tensors_match_keras():
    import torch
    labels = torch.tensor([[0, 1, 2], [2, 2, 1]])
    scores = torch.rand(2, 3, 3, dtype=torch.float64)
    check_against_keras("MeanIoU", ({"num_classes": 3, "sparse_y_pred": False},
                                    [("update_state", (labels, scores)), ("result", ())]))
    check_against_keras("MeanIoU", ({"num_classes": 3, "dtype": "bfloat16"},
                                    [("update_state", (labels.to(torch.bfloat16), labels, labels.float() / 3)),
                                     ("result", ())]))


# -- configuration, names, methods ---------------------------------------------------------------

@needs_keras
@pytest.mark.parametrize("name", oracle.CLASS_NAMES)
@_FAST
@given(data=st.data())
def test_config_matches_keras(name, data):
    kwargs, _ = data.draw(strategies.CASES[name], label="case")
    kwargs = {**kwargs, "name": "metric"}
    ours, our_error = _construct(getattr(compat, name), kwargs)
    theirs, keras_error = _construct(getattr(keras.metrics, name), kwargs)
    if keras_error is not None:
        assert isinstance(our_error, type(keras_error))
        return
    config = ours.get_config()
    assert list(config) == list(theirs.get_config())
    assert repr(config) == repr(theirs.get_config())
    again = type(ours)(**config)
    assert again.get_config() == config
    assert type(ours).from_config(config).get_config() == config
    assert repr(ours) == repr(theirs) == f"<{name} name=metric>"
    assert ours.dtype == theirs.dtype
    assert [oracle.as_numpy(v)[1] for v in ours.variables] == [oracle.as_numpy(v)[1] for v in theirs.variables]


@needs_keras
def test_default_names_follow_keras():
    from keras.src.utils.naming import to_snake_case

    arguments = {"IoU": {"num_classes": 3, "target_class_ids": [0]}, "MeanIoU": {"num_classes": 3},
                 "BinaryIoU": {}, "OneHotIoU": {"num_classes": 3, "target_class_ids": [0]},
                 "OneHotMeanIoU": {"num_classes": 3}}
    for name, kwargs in arguments.items():
        factory = getattr(compat, name)
        first, second = factory(**kwargs).name, factory(**kwargs).name
        base = to_snake_case(name)
        match = re.fullmatch(rf"{base}(?:_(\d+))?", first)
        assert match is not None, first
        number = int(match.group(1) or 0)
        assert second == f"{base}_{number + 1}"
        assert factory(name="", **kwargs).name.startswith(base)


@needs_keras
def test_stateless_api_and_epsilon_match_keras():
    batches = ([0, 1, 2, 2], [0, 2, 2, 1])
    ours, theirs = compat.MeanIoU(3), keras.metrics.MeanIoU(3)
    state_ours = ours.stateless_update_state(ours.stateless_reset_state(), *batches)
    state_theirs = theirs.stateless_update_state(theirs.stateless_reset_state(), *batches)
    np.testing.assert_array_equal(state_ours[0], oracle.as_numpy(state_theirs[0])[0])
    assert ours.total_cm.sum() == 0  # the metric's own state is untouched
    assert ours.stateless_result(state_ours) == oracle.as_numpy(theirs.stateless_result(state_theirs))[0]
    assert ours.stateless_result(state_theirs) == ours.stateless_result(state_ours)  # Keras' tensors work
    with pytest.raises(ValueError, match="1 array"):
        ours.stateless_result([])
    with pytest.raises(ValueError, match="shape"):
        ours.stateless_result([np.zeros((2, 2))])
    try:
        keras.config.set_epsilon(1e-3)
        compat.set_epsilon(1e-3)
        check_against_keras("MeanIoU", ({"num_classes": 3}, [("update_state", batches), ("result", ())]))
    finally:
        keras.config.set_epsilon(1e-7)
        compat.set_epsilon(1e-7)
    with pytest.raises(TypeError, match="real number"):
        compat.set_epsilon("small")


CONSTRUCTION = [
    ("MeanIoU", {"num_classes": 0}), ("MeanIoU", {"num_classes": -1}), ("MeanIoU", {"num_classes": 3.0}),
    ("MeanIoU", {"num_classes": "3"}), ("MeanIoU", {"num_classes": None}), ("MeanIoU", {"num_classes": True}),
    ("MeanIoU", {"num_classes": np.int64(3)}), ("IoU", {"num_classes": -1, "target_class_ids": [-5]}),
    ("IoU", {"num_classes": 3, "target_class_ids": []}), ("IoU", {"num_classes": 3, "target_class_ids": [3]}),
    ("IoU", {"num_classes": 3, "target_class_ids": 1}), ("IoU", {"num_classes": 3, "target_class_ids": [[0, 1]]}),
    ("IoU", {"num_classes": 3, "target_class_ids": ["a"]}), ("IoU", {"num_classes": 3, "target_class_ids": "01"}),
    ("IoU", {"num_classes": 3, "target_class_ids": (0, 2)}), ("IoU", {"num_classes": 3, "target_class_ids": [2 ** 40]}),
    ("IoU", {"num_classes": 3, "target_class_ids": np.array([0, 2])}), ("BinaryIoU", {"target_class_ids": [2]}),
    ("MeanIoU", {"num_classes": 3, "name": 5}), ("MeanIoU", {"num_classes": 3, "name": ""}),
    ("IoU", {"num_classes": 0, "target_class_ids": [0]}), ("MeanIoU", {"num_classes": np.array(3)}),
] + [("IoU", {"num_classes": n, "target_class_ids": [0]}) for n in (2.5, "3", None, np.float64(3), np.array(3), [3])] + [
    ("IoU", {"num_classes": 3, "target_class_ids": [1.5, -6]}), ("IoU", {"num_classes": 3, "target_class_ids": {0: 1}}),
    ("BinaryIoU", {"threshold": "a"}), ("BinaryIoU", {"target_class_ids": (1, 1, 0)}),
] + [("MeanIoU", {"num_classes": 3, "dtype": dtype}) for dtype in (
    "uint64", "complex64", "float8_e4m3fn", "int4", "string", "double", "half", "float", "int8", "int",
    "mixed_float16", "mixed_bfloat16", "Float32", "", np.float32, np.dtype("float64"), 5, "uint16", "uint32")]


@needs_keras
@pytest.mark.parametrize("name, kwargs", CONSTRUCTION, ids=[f"{c[0]}-{i}" for i, c in enumerate(CONSTRUCTION)])
def test_construction_matches_keras(name, kwargs):
    ours, our_error = _construct(getattr(compat, name), kwargs)
    theirs, keras_error = _construct(getattr(keras.metrics, name), kwargs)
    if keras_error is None:
        assert our_error is None, our_error
        assert {k: v for k, v in ours.get_config().items() if k != "name"} == \
            {k: v for k, v in theirs.get_config().items() if k != "name"}
    else:
        assert isinstance(our_error, type(keras_error)), (keras_error, our_error)


@needs_keras
def test_dtype_objects_match_keras():
    import torch

    for dtype in (torch.float32, keras.DTypePolicy("mixed_float16"),
                  {"class_name": "DTypePolicy", "config": {"name": "float64"}}):
        assert compat.MeanIoU(2, dtype=dtype).dtype == keras.metrics.MeanIoU(2, dtype=dtype).dtype


def test_call_reset_merge_and_state():
    batches = [([0, 1, 1, 2], [0, 1, 2, 2]), ([2, 2], [2, 0])]
    whole = compat.MeanIoU(3)
    for batch in batches:
        value = whole(*batch)
    assert value == whole.result() and isinstance(value, np.float32)
    parts = [compat.MeanIoU(3) for _ in batches]
    for part, batch in zip(parts, batches):
        part.update_state(*batch)
    parts[0].merge_state(parts[1:])
    np.testing.assert_array_equal(parts[0].total_cm, whole.total_cm)
    assert parts[0].result() == whole.result()
    with pytest.raises(ValueError, match="takes MeanIoU metrics"):
        whole.merge_state([compat.IoU(3, [0])])
    with pytest.raises(ValueError, match="same `num_classes` and dtype"):
        whole.merge_state([compat.MeanIoU(3, dtype="float32")])
    state = whole.total_cm
    state[0, 0] = 99  # a copy: the metric is not changed through it
    assert whole.total_cm[0, 0] != 99
    for dtype in (None, "bfloat16"):
        metric = compat.MeanIoU(3, dtype=dtype)
        metric.update_state(*batches[0])
        copy = pickle.loads(pickle.dumps(metric))
        assert copy.result() == metric.result() and copy.get_config() == metric.get_config()
    whole.reset_state()
    assert whole.total_cm.sum() == 0 and whole.result() == 0.0
    assert whole.variables[0].dtype == np.int32 and whole.dtype == "int32"


def test_inputs_are_not_modified_and_float_weights_warn():
    truth = np.array([0, 1, 2, 2], np.int64)
    pred = np.array([[0.1, 0.8, 0.1], [0.3, 0.3, 0.4], [0.0, 0.0, 1.0], [1.0, 0.0, 0.0]], np.float32)
    weights = np.array([0.5, 1.5, 2.0, 1.0])
    copies = [a.copy() for a in (truth, pred, weights)]
    metric = compat.MeanIoU(3, sparse_y_pred=False)
    with pytest.warns(UserWarning, match="truncates each weight towards zero"):
        metric.update_state(truth, pred, weights)
    for array, copy in zip((truth, pred, weights), copies):
        np.testing.assert_array_equal(array, copy)
    np.testing.assert_array_equal(metric.total_cm, [[0, 0, 0], [0, 0, 1], [1, 0, 2]])


@pytest.mark.parametrize("call, error, match", [
    (lambda: compat.MeanIoU(3).update_state([0, 1, 2], [0, 1]), compat.KerasRuntimeError, "do not broadcast"),
    (lambda: compat.MeanIoU(3).update_state([0, 1], [0, 1], [1, 2, 3]), compat.KerasRuntimeError,
     "does not broadcast"),
    (lambda: compat.MeanIoU(3).update_state(1, 2), compat.KerasIndexError, "both scalars"),
    (lambda: compat.MeanIoU(3).update_state([np.nan], [0]), compat.KerasRuntimeError, "cannot convert"),
    (lambda: compat.MeanIoU(3).update_state(["a"], [0]), ValueError, "must hold numbers"),
    (lambda: compat.MeanIoU(3, ignore_class="a").update_state([0], [0]), ValueError, "must be a number"),
    (lambda: compat.MeanIoU(3, sparse_y_pred=False).update_state([0], np.zeros((1, 0))), compat.KerasIndexError,
     "no entry along"),
    (lambda: compat.MeanIoU(3, sparse_y_pred=False, axis=4).update_state([0], np.zeros((1, 3))),
     compat.KerasIndexError, "out of range"),
    (lambda: compat.MeanIoU(3, sparse_y_pred=False, axis=(0,)).update_state([0], np.zeros((1, 3))), TypeError,
     "int or None"),
    (lambda: compat.MeanIoU(3, axis=1).result(), compat.KerasIndexError, "only -1, 0 or None"),
    (lambda: compat.MeanIoU(3, axis="a").result(), TypeError, "must be an int"),
    (lambda: compat.MeanIoU(3, axis=(0, -1)).result(), compat.KerasRuntimeError, "more than once"),
    (lambda: compat.MeanIoU(3, dtype="bool").result(), compat.KerasRuntimeError, "bool state"),
    (lambda: compat.MeanIoU(3, dtype="complex64").update_state([0], [0]), NotImplementedError, "complex"),
    (lambda: compat.IoU(3, [-7]).result(), compat.KerasIndexError, "outside the 3 classes"),
    (lambda: compat.IoU(3, [np.nan]).result(), compat.KerasRuntimeError, "cannot convert"),
    (lambda: compat.BinaryIoU(threshold=None).update_state([0], [0.5]), TypeError, "must be a number"),
    (lambda: compat.BinaryIoU(threshold=[0.2, 0.3]).update_state([0], [0.5]), TypeError, "must be a number"),
    (lambda: compat.MeanIoU(3, name=5), TypeError, "must be a string"),
    (lambda: compat.MeanIoU(3, dtype="float"), ValueError, "`dtype` must be None or one of"),
    (lambda: compat.IoU(3, [3]), ValueError, r"Target class id 3 is out of range, which is \[0, 3\)"),
    (lambda: compat.IoU(3, []), ValueError, "at least one class"),
    (lambda: compat.IoU(3, 1), TypeError, "sequence of ints"),
    (lambda: compat.MeanIoU(-1), ValueError, "must not be negative"),
    (lambda: compat.MeanIoU(3.0), TypeError, "must be an int"),
])
def test_errors(call, error, match):
    with pytest.raises(error, match=match):
        call()


def test_mean_iou_of_a_float16_state_saturates_without_warnings():
    metric = compat.MeanIoU(2, dtype="float16")
    metric.update_state(np.zeros(5000, np.uint8), np.zeros(5000, np.uint8))
    metric.update_state(np.zeros(5000, np.uint8), np.zeros(5000, np.uint8), np.full(5000, 60000.0))
    assert metric.total_cm[0, 0] == np.inf and metric.result() == 0.0  # inf / inf is NaN: not > 1e-9


# -- the kernel path against the NumPy replay of Keras ------------------------------------------

@st.composite
def _big_cases(draw):
    num_classes = draw(st.integers(1, 40))
    dtype = draw(st.sampled_from(strategies.STATE_DTYPES[:-2]))
    n = draw(st.integers(0, 3000))
    rng = np.random.default_rng(draw(st.integers(0, 2 ** 32 - 1)))
    label_dtype = draw(st.sampled_from(strategies.INT_DTYPES + strategies.FLOAT_DTYPES))
    values = rng.integers(-2, num_classes + 2, n)
    if draw(st.booleans()):
        values[rng.random(n) < 0.01] = draw(st.sampled_from([2 ** 32 + 1, 255, 2 ** 16, -2 ** 31]))
    with np.errstate(over="ignore"):
        truth = (values != 0) if label_dtype is np.bool_ else values.astype(label_dtype)
        pred = np.where(rng.random(n) < 0.6, values, rng.integers(-1, num_classes + 1, n)).astype(truth.dtype)
    weights = draw(st.sampled_from([None, "int", "float", "big"]))
    if weights == "int":
        weights = rng.integers(0, 4, n)
    elif weights == "float":
        weights = rng.random(n).astype(np.float32)
    elif weights == "big":
        weights = rng.integers(0, 2 ** 31 - 1, n)
    ignore = draw(st.sampled_from([None, 0, 255, -1, num_classes]))
    return num_classes, dtype, truth, pred, weights, ignore


@given(_big_cases())
@settings(max_examples=60, deadline=None)
def test_kernel_path_equals_numpy_replay(case):
    num_classes, dtype, truth, pred, weights, ignore = case
    copies = [None if a is None else a.copy() for a in (truth, pred, weights)]
    fast = compat.MeanIoU(num_classes, dtype=dtype, ignore_class=ignore)
    slow = compat.MeanIoU(num_classes, dtype=dtype, ignore_class=ignore)
    slow._use_kernel = False
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # Keras' float-weight warning
        for metric in (fast, slow):
            metric.update_state(truth, pred, weights)
            metric.update_state(truth[::-1], pred, None)
    assert fast.total_cm.dtype == slow.total_cm.dtype
    np.testing.assert_array_equal(fast.total_cm, slow.total_cm)
    np.testing.assert_array_equal(fast.result(), slow.result())
    for array, copy in zip((truth, pred, weights), copies):
        if array is not None:
            np.testing.assert_array_equal(array, copy)


@given(st.integers(2, 12), st.sampled_from([np.float16, np.float32, np.float64]), st.integers(0, 2 ** 32 - 1),
       st.sampled_from([None, "float32", "uint8"]), st.booleans())
@settings(max_examples=40, deadline=None)
def test_fused_scores_equal_numpy_replay(num_classes, score_dtype, seed, dtype, one_hot):
    rng = np.random.default_rng(seed)
    labels = rng.integers(0, num_classes, (3, 50))
    scores = rng.integers(0, 3, (3, 50, num_classes)).astype(score_dtype)
    scores[rng.random(scores.shape) < 0.01] = np.nan
    truth = np.eye(num_classes)[labels] if one_hot else labels
    if one_hot and rng.random() < 0.5:
        truth[0, 0] = 0.5  # not one-hot: Keras' argmax decides
    factory = compat.OneHotMeanIoU if one_hot else (lambda n, **kw: compat.MeanIoU(n, sparse_y_pred=False, **kw))
    fast, slow = factory(num_classes, dtype=dtype), factory(num_classes, dtype=dtype)
    slow._use_kernel = False
    fast.update_state(truth, scores)
    slow.update_state(truth, scores)
    np.testing.assert_array_equal(fast.total_cm, slow.total_cm)


@given(st.sampled_from(strategies.THRESHOLDS), st.integers(0, 2 ** 32 - 1), st.sampled_from(strategies.FLOAT_DTYPES))
@settings(max_examples=40, deadline=None)
def test_binary_threshold_kernel_equals_numpy_replay(threshold, seed, dtype):
    rng = np.random.default_rng(seed)
    truth = rng.integers(-1, 3, 500)
    pred = rng.choice(np.array(strategies.PROBABILITIES), 500).astype(dtype)
    fast, slow = compat.BinaryIoU(threshold=threshold), compat.BinaryIoU(threshold=threshold)
    slow._use_kernel = False
    fast.update_state(truth, pred)
    slow.update_state(truth, pred)
    np.testing.assert_array_equal(fast.total_cm, slow.total_cm)


# -- torch's summation order ---------------------------------------------------------------------

@pytest.mark.parametrize("name", ["float32", "float64", "float16", "bfloat16"])
def test_summation_order_matches_torch(name):
    torch = pytest.importorskip("torch")
    if torch.backends.cpu.get_cpu_capability() not in ("AVX2", "AVX512"):
        pytest.skip("the summation order reproduced is torch's x86-64 AVX2/AVX-512 kernel")
    dt = compat._Dtype(name)
    rng = np.random.default_rng(0)
    for size in list(range(1, 70)) + [100, 129, 200, 300]:
        matrix = (rng.random((size, size)) * rng.choice([1, 100, 1e4])).astype(np.float32)
        tensor = torch.tensor(matrix).to(getattr(torch, name))
        values = dt.cast(matrix)
        for dim, ours in ((0, compat._sum_columns_torch), (1, compat._sum_rows_torch)):
            with np.errstate(over="ignore"):
                got = ours(values, dt).astype(np.float32)
            np.testing.assert_array_equal(got, torch.sum(tensor, dim=dim).float().numpy(), err_msg=f"{size} {dim}")
    if name == "float32":
        for size in list(range(1, 300)) + [1000, 4096, 20000]:
            vector = (rng.random(size) * rng.choice([1, 1e-3, 1e5])).astype(np.float32)
            assert compat._sum_float32_torch(vector) == torch.sum(torch.tensor(vector)).item()
