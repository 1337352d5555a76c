"""fastiou.compat.torchmetrics against torchmetrics itself (skipped when it is not installed).

Randomised differential tests (hypothesis) feed the same tensors and arguments to both and
require the same result (dtype, shape and every bit, NaN included), the same warnings, or
the same exception type: a fast subset in the default suite, 10,000 examples per test under
the ``slow`` marker. Deterministic tests pin each reproduced quirk and every error path.
"""

import math
import pickle
import subprocess
import sys
import warnings

import numpy as np
import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastiou.compat import torchmetrics as compat
from fastiou.compat.torchmetrics import _functional, _metrics, _numerics

torch = pytest.importorskip("torch")
tmf = pytest.importorskip("torchmetrics.functional.classification")
tmc = pytest.importorskip("torchmetrics.classification")

FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=10_000, deadline=None, suppress_health_check=list(HealthCheck))

TORCH_DTYPES = {"bool": torch.bool, "uint8": torch.uint8, "int8": torch.int8, "int16": torch.int16,
                "int32": torch.int32, "int64": torch.int64, "float16": torch.float16,
                "bfloat16": torch.bfloat16, "float32": torch.float32, "float64": torch.float64}
INT_TAGS = ["bool", "uint8", "int8", "int16", "int32", "int64"]
FLOAT_TAGS = ["float16", "bfloat16", "float32", "float64"]


# --------------------------------------------------------------------------- comparison

class Outcome:
    """A call's result or exception, and the warnings it emitted."""

    def __init__(self, call):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            try:
                self.value, self.error = call(), None
            except Exception as exc:  # the exception type is what is compared
                self.value, self.error = None, exc
        self.warnings = [(w.category, str(w.message)) for w in caught]


def _as_array(value):
    if isinstance(value, torch.Tensor):
        return value.numpy()
    return np.asarray(value)


def same_value(got, expected):
    got, expected = _as_array(got), _as_array(expected)
    return (got.shape == expected.shape and got.dtype == expected.dtype
            and np.array_equal(got, expected, equal_nan=got.dtype.kind == "f"))


def assert_same(got, expected, context=""):
    if expected.error is not None:
        assert got.error is not None, (context, "torchmetrics raised", repr(expected.error), "we gave", got.value)
        assert isinstance(got.error, type(expected.error)), (context, repr(got.error), repr(expected.error))
        return
    assert got.error is None, (context, "we raised", repr(got.error), "torchmetrics gave", expected.value)
    assert same_value(got.value, expected.value), (context, got.value, expected.value)
    assert got.warnings == expected.warnings, (context, got.warnings, expected.warnings)


def compare(ours, theirs, context=""):
    expected = Outcome(theirs)
    got = Outcome(ours)
    assert_same(got, expected, context)
    return got, expected


def tensor(values, tag):
    return torch.from_numpy(np.asarray(values)).to(TORCH_DTYPES[tag])


def as_numpy(value):
    """The NumPy form of a tensor, or the tensor itself for bfloat16 (NumPy has none)."""
    return value if value.dtype == torch.bfloat16 else value.numpy()


def snapshot(*tensors):
    return [t.clone() for t in tensors]


def unchanged(before, after):
    return all(torch.equal(a, b) or (a.is_floating_point() and torch.equal(a.isnan(), b.isnan())
                                     and torch.equal(a.nan_to_num(), b.nan_to_num()))
               for a, b in zip(before, after))


# --------------------------------------------------------------------------- strategies
#
# Hypothesis draws shapes, dtypes, arguments and a palette of values; a drawn seed fills the
# arrays from the palette (element by element drawing would make 10,000 examples too slow).

SPECIAL_FLOATS = [0.0, -0.0, 1.0, 0.5, 0.3, 0.25, 0.7, 1e-8, 8.940696716308594e-08, 5e-324, 1e-45, 2.0, -1.0,
                  math.inf, -math.inf, math.nan, 0.49999997, 0.50000006, 0.99999994, -88.72283935546875,
                  -88.7228, 17.0, -17.34375, 709.0, -710.0, 1.5612511283791261e-16]
thresholds_valid = st.one_of(st.sampled_from([0.5, 0.0, 1.0, 0.3, 0.7, 1e-7]), st.floats(0.0, 1.0))
thresholds_any = st.one_of(thresholds_valid, st.sampled_from([-0.5, 1.5, 0, 1, math.nan, math.inf, True]))
ignore_indices = st.one_of(st.none(), st.sampled_from([-1, 0, 1, 2, 255, -100, 256, -129]), st.integers(-300, 300))
zero_divisions = st.sampled_from([0, 1, 0.0, 1.0, 0.5, math.nan, "nan", None, "warn", np.float32(1.0),
                                  np.float64(0.25), True])
normalizes = st.one_of(st.sampled_from([None, "none", "true", "pred", "all"]), st.just("rows"))
averages_valid = st.sampled_from(["micro", "macro", "weighted", "none", None])
averages_any = st.one_of(averages_valid, st.sampled_from(["binary", "samples"]))
shapes = hnp.array_shapes(min_dims=0, max_dims=3, min_side=0, max_side=5)


def rare(draw, one_in=8):
    return draw(st.integers(0, one_in - 1)) == 0


def _rng(draw):
    return np.random.default_rng(draw(st.integers(0, 2**32 - 1)))


def draw_labels(draw, shape, values, tag):
    array = _rng(draw).choice(np.asarray(values, dtype=np.int64), size=shape)
    return tensor(array, tag)


def draw_floats(draw, shape, tag, kind, threshold=0.5):
    """Probabilities (in [0, 1]) or logits, mixed with a palette of special values (the
    threshold and its neighbours in the dtype, 0, -0, 1, tiny, infinite, NaN ...)."""
    rng = _rng(draw)
    storage = np.float32 if tag == "bfloat16" else np.dtype(tag).type
    near = []
    if isinstance(threshold, float) and math.isfinite(threshold):
        t = storage(threshold)
        near = [float(t), float(np.nextafter(t, storage(2))), float(np.nextafter(t, storage(-1)))]
    if kind == "probabilities":
        palette = draw(st.lists(st.sampled_from([v for v in SPECIAL_FLOATS if 0 <= v <= 1] + near), max_size=3))
        values = rng.random(shape)
    else:
        palette = draw(st.lists(st.sampled_from(SPECIAL_FLOATS + near), max_size=3))
        values = rng.standard_normal(shape) * draw(st.sampled_from([1.0, 3.0, 30.0, 1e-6]))
    if palette:
        chosen = rng.random(shape) < draw(st.sampled_from([0.1, 0.5, 1.0]))
        values = np.where(chosen, rng.choice(np.asarray(palette, dtype=np.float64), size=shape), values)
    return tensor(values, tag)


def draw_target(draw, shape, values):
    if rare(draw, 16):  # float targets: torchmetrics takes them
        return draw_labels(draw, shape, values, draw(st.sampled_from(["float32", "float64"])))
    tag = draw(st.sampled_from(INT_TAGS))
    if tag == "bool":
        values = [0, 1]
    return draw_labels(draw, shape, values, tag)


def draw_common(draw):
    return {
        "validate_args": draw(st.booleans()),
        "ignore_index": draw(ignore_indices) if not rare(draw, 40) else True,
        "numpy_inputs": draw(st.booleans()),
    }


def draw_zero_one_preds(draw, shape, threshold):
    kind = draw(st.sampled_from(["labels", "probabilities", "logits"]))
    if kind == "labels":
        values = [0, 1] + (draw(st.lists(st.integers(-2, 3), max_size=2)) if rare(draw) else [])
        return draw_labels(draw, shape, values, draw(st.sampled_from(INT_TAGS)))
    return draw_floats(draw, shape, draw(st.sampled_from(FLOAT_TAGS)), kind, threshold)


@st.composite
def binary_cases(draw):
    case = draw_common(draw)
    shape = draw(shapes)
    ignore = case["ignore_index"]
    values = [0, 1] + ([int(ignore)] if ignore is not None else [])
    if rare(draw):
        values += draw(st.lists(st.integers(-3, 300), min_size=1, max_size=2))
    case["target"] = draw_target(draw, shape, values)
    case["threshold"] = draw(thresholds_any if rare(draw) else thresholds_valid)
    case["preds"] = draw_zero_one_preds(draw, draw(shapes) if rare(draw, 20) else shape, case["threshold"])
    case["zero_division"] = draw(zero_divisions)
    case["normalize"] = draw(normalizes) if rare(draw, 10) else draw(st.sampled_from([None, "true", "pred", "all"]))
    return case


@st.composite
def multiclass_cases(draw):
    case = draw_common(draw)
    num_classes = draw(st.integers(1, 6)) if not rare(draw, 30) else draw(st.sampled_from([0, -1, 2.0, True]))
    case["num_classes"] = num_classes
    n_values = int(num_classes) if num_classes > 0 else 1
    shape = draw(shapes)
    ignore = case["ignore_index"]
    values = list(range(n_values)) + ([int(ignore)] if ignore is not None else [])
    if rare(draw):
        values += draw(st.lists(st.integers(-3, 12), min_size=1, max_size=2))
    case["target"] = draw_target(draw, shape, values)
    kind = draw(st.sampled_from(["labels", "scores", "scores", "float labels", "int scores"]))
    if kind in ("scores", "int scores") and len(shape) >= 1:
        channels = n_values if not rare(draw, 6) else draw(st.integers(0, 4))
        pshape = (shape[0], channels) + shape[1:]
        if rare(draw, 20):
            pshape = draw(hnp.array_shapes(min_dims=len(shape) + 1, max_dims=len(shape) + 1, min_side=0, max_side=4))
        if kind == "scores":
            case["preds"] = draw_floats(draw, pshape, draw(st.sampled_from(FLOAT_TAGS)), "logits")
        else:
            case["preds"] = draw_labels(draw, pshape, [0, 1, 2], draw(st.sampled_from(INT_TAGS)))
    else:
        pshape = draw(shapes) if rare(draw, 20) else shape
        pvalues = values if not rare(draw) else values + draw(st.lists(st.integers(-3, 12), max_size=2))
        tag = draw(st.sampled_from(INT_TAGS)) if kind == "labels" else "float32"
        if tag == "bool":
            pvalues = [0, 1]
        case["preds"] = draw_labels(draw, pshape, pvalues, tag)
    case["average"] = draw(averages_any if rare(draw) else averages_valid)
    case["zero_division"] = draw(zero_divisions)
    case["normalize"] = draw(normalizes) if rare(draw, 10) else draw(st.sampled_from([None, "true", "pred", "all"]))
    return case


@st.composite
def multilabel_cases(draw):
    case = draw_common(draw)
    num_labels = draw(st.integers(1, 5)) if not rare(draw, 30) else draw(st.sampled_from([0, -1, 2.0]))
    case["num_labels"] = num_labels
    n_labels = int(num_labels) if num_labels > 0 else 1
    if rare(draw, 12):
        shape = draw(shapes)
    else:
        extra = draw(hnp.array_shapes(min_dims=0, max_dims=2, min_side=0, max_side=3))
        shape = (draw(st.integers(0, 4)), n_labels) + extra
    ignore = case["ignore_index"]
    values = [0, 1] + ([int(ignore)] if ignore is not None else [])
    if rare(draw):
        values += draw(st.lists(st.integers(-3, 300), min_size=1, max_size=2))
    case["target"] = draw_target(draw, shape, values)
    case["threshold"] = draw(thresholds_any if rare(draw) else thresholds_valid)
    case["preds"] = draw_zero_one_preds(draw, draw(shapes) if rare(draw, 20) else shape, case["threshold"])
    case["average"] = draw(averages_any if rare(draw) else averages_valid)
    case["zero_division"] = draw(zero_divisions)
    case["normalize"] = draw(normalizes) if rare(draw, 10) else draw(st.sampled_from([None, "true", "pred", "all"]))
    return case


def _inputs(case):
    preds, target = case["preds"], case["target"]
    if case["numpy_inputs"]:
        return as_numpy(preds), as_numpy(target)
    return preds, target


# --------------------------------------------------------------------------- functional: properties

def check_binary(case):
    p, t = case["preds"], case["target"]
    before = snapshot(p, t)
    op, ot = _inputs(case)
    args = (case["threshold"], case["ignore_index"], case["validate_args"])
    compare(lambda: compat.binary_jaccard_index(op, ot, *args, case["zero_division"]),
            lambda: tmf.binary_jaccard_index(p, t, *args, case["zero_division"]), "jaccard")
    normalize = case["normalize"]
    compare(lambda: compat.binary_confusion_matrix(op, ot, case["threshold"], normalize, *args[1:]),
            lambda: tmf.binary_confusion_matrix(p, t, case["threshold"], normalize, *args[1:]), "confmat")
    compare(lambda: compat.jaccard_index(op, ot, "binary", *args[:1], None, None, "macro", *args[1:],
                                         case["zero_division"]),
            lambda: tmf.jaccard_index(p, t, "binary", *args[:1], None, None, "macro", *args[1:],
                                      case["zero_division"]), "dispatcher")
    assert unchanged(before, [p, t])


def check_multiclass(case):
    p, t = case["preds"], case["target"]
    before = snapshot(p, t)
    op, ot = _inputs(case)
    num_classes, ignore, validate = case["num_classes"], case["ignore_index"], case["validate_args"]
    average, zero_division = case["average"], case["zero_division"]
    compare(lambda: compat.multiclass_jaccard_index(op, ot, num_classes, average, ignore, validate, zero_division),
            lambda: tmf.multiclass_jaccard_index(p, t, num_classes, average, ignore, validate, zero_division),
            "jaccard")
    normalize = case["normalize"]
    compare(lambda: compat.multiclass_confusion_matrix(op, ot, num_classes, normalize, ignore, validate),
            lambda: tmf.multiclass_confusion_matrix(p, t, num_classes, normalize, ignore, validate), "confmat")
    compare(lambda: compat.confusion_matrix(op, ot, "MultiClass", 0.5, num_classes, None, normalize, ignore, validate),
            lambda: tmf.confusion_matrix(p, t, "MultiClass", 0.5, num_classes, None, normalize, ignore, validate),
            "dispatcher")
    assert unchanged(before, [p, t])


def check_multilabel(case):
    p, t = case["preds"], case["target"]
    before = snapshot(p, t)
    op, ot = _inputs(case)
    num_labels, threshold, ignore = case["num_labels"], case["threshold"], case["ignore_index"]
    validate, average, zero_division = case["validate_args"], case["average"], case["zero_division"]
    compare(lambda: compat.multilabel_jaccard_index(op, ot, num_labels, threshold, average, ignore, validate,
                                                    zero_division),
            lambda: tmf.multilabel_jaccard_index(p, t, num_labels, threshold, average, ignore, validate,
                                                 zero_division), "jaccard")
    normalize = case["normalize"]
    compare(lambda: compat.multilabel_confusion_matrix(op, ot, num_labels, threshold, normalize, ignore, validate),
            lambda: tmf.multilabel_confusion_matrix(p, t, num_labels, threshold, normalize, ignore, validate),
            "confmat")
    compare(lambda: compat.jaccard_index(op, ot, "multilabel", threshold, None, num_labels, average, ignore,
                                         validate, zero_division),
            lambda: tmf.jaccard_index(p, t, "multilabel", threshold, None, num_labels, average, ignore, validate,
                                      zero_division), "dispatcher")
    assert unchanged(before, [p, t])


@FAST
@given(binary_cases())
def test_binary_matches_torchmetrics(case):
    check_binary(case)


@FAST
@given(multiclass_cases())
def test_multiclass_matches_torchmetrics(case):
    check_multiclass(case)


@FAST
@given(multilabel_cases())
def test_multilabel_matches_torchmetrics(case):
    check_multilabel(case)


@pytest.mark.slow
@SLOW
@given(binary_cases())
def test_binary_matches_torchmetrics_10000(case):
    check_binary(case)


@pytest.mark.slow
@SLOW
@given(multiclass_cases())
def test_multiclass_matches_torchmetrics_10000(case):
    check_multiclass(case)


@pytest.mark.slow
@SLOW
@given(multilabel_cases())
def test_multilabel_matches_torchmetrics_10000(case):
    check_multilabel(case)


# --------------------------------------------------------------------------- Metric classes: properties

@st.composite
def metric_cases(draw):
    task = draw(st.sampled_from(["binary", "multiclass", "multilabel"]))
    size = draw(st.integers(2, 4))
    ignore = draw(st.sampled_from([None, -1, 0, 1, 255]))
    options = {"task": task, "ignore_index": ignore, "validate_args": draw(st.booleans()),
               "threshold": draw(thresholds_valid), "num_classes": size, "num_labels": size}
    kwargs = {}
    if rare(draw, 4):
        kwargs["compute_with_cache"] = draw(st.booleans())
    if rare(draw, 6):
        kwargs["dist_sync_on_step"] = True
    jaccard = {"average": draw(averages_valid), "zero_division": draw(st.sampled_from([0, 1, 0.5, math.nan]))}
    confmat = {"normalize": draw(st.sampled_from([None, "true", "pred", "all"]))}
    ops = []
    for _ in range(draw(st.integers(1, 5))):
        op = draw(st.sampled_from(["update", "forward", "compute", "reset", "merge", "pickle"]))
        ops.append((op, draw(metric_batches(task, size, ignore)) if op in ("update", "forward", "merge") else None))
    return options, kwargs, jaccard, confmat, ops


@st.composite
def metric_batches(draw, task, size, ignore):
    n = draw(st.integers(0, 4))
    values = [0, 1] if task != "multiclass" else list(range(size))
    if ignore is not None:
        values = values + [ignore]
    if rare(draw, 10):
        values = values + [draw(st.integers(-2, 6))]
    if task == "multiclass":
        shape = (n, draw(st.integers(1, 3)))
        target = draw_labels(draw, shape, values, "int64")
        if draw(st.booleans()):
            return draw_floats(draw, (n, size) + shape[1:], "float32", "logits"), target
        return draw_labels(draw, shape, list(range(size)), "int64"), target
    shape = (n, 3) if task == "binary" else (n, size)
    target = draw_labels(draw, shape, values, "int64")
    kind = draw(st.sampled_from(["labels", "probabilities", "logits"]))
    if kind == "labels":
        return draw_labels(draw, shape, [0, 1], "int64"), target
    return draw_floats(draw, shape, "float32", kind), target


def _metric_pair(options, kwargs, jaccard, confmat, which):
    if which == "jaccard":
        arguments = {**options, **jaccard, **kwargs}
        return compat.JaccardIndex(**arguments), tmc.JaccardIndex(**arguments)
    arguments = {**options, **confmat, **kwargs}
    return compat.ConfusionMatrix(**arguments), tmc.ConfusionMatrix(**arguments)


def check_metric_sequence(case):
    options, kwargs, jaccard, confmat, ops = case
    for which in ("jaccard", "confmat"):
        ours, theirs = _metric_pair(options, kwargs, jaccard, confmat, which)
        assert type(ours).__name__ == type(theirs).__name__
        for op, batch in ops:
            if op == "update":
                compare(lambda: ours.update(*batch), lambda: theirs.update(*batch), "update")
            elif op == "forward":
                got, expected = compare(lambda: ours(*batch), lambda: theirs(*batch), "forward")
                if expected.error is not None:
                    break  # torchmetrics has reset its state; fastiou keeps it (documented)
            elif op == "compute":
                compare(ours.compute, theirs.compute, "compute")
            elif op == "reset":
                ours.reset()
                theirs.reset()
            elif op == "merge":
                other_ours, other_theirs = _metric_pair(options, kwargs, jaccard, confmat, which)
                compare(lambda: other_ours.update(*batch), lambda: other_theirs.update(*batch), "merge update")
                compare(lambda: ours.merge_state(other_ours), lambda: theirs.merge_state(other_theirs), "merge")
            else:
                ours = pickle.loads(pickle.dumps(ours))
                theirs = theirs.clone()
            assert ours.update_count == theirs.update_count
            assert same_value(ours.confmat, theirs.confmat)
        else:
            compare(ours.compute, theirs.compute, "final compute")


@FAST
@given(metric_cases())
def test_metric_classes_match_torchmetrics(case):
    check_metric_sequence(case)


@pytest.mark.slow
@SLOW
@given(metric_cases())
def test_metric_classes_match_torchmetrics_10000(case):
    check_metric_sequence(case)
