"""fastiou.compat.torchmetrics against torchmetrics itself (skipped when it is not installed).

Randomised differential tests (hypothesis) feed the same tensors and arguments to both and
require the same result (dtype, shape and every bit, NaN included), the same warnings, or
the same exception type: a fast subset in the default suite, 10,000 examples per test under
the ``slow`` marker. Deterministic tests pin each reproduced quirk and every error path.
"""

import math
import os
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

# The default suite runs 40 examples per property test; the slow ones (``pytest -m slow``)
# run 10,000 each (2 to 4 minutes per test on a busy 2-core machine);
# FASTIOU_SLOW_EXAMPLES sets another count per test.
SLOW_EXAMPLES = int(os.environ.get("FASTIOU_SLOW_EXAMPLES", "10000"))
FAST = settings(max_examples=40, deadline=None, suppress_health_check=list(HealthCheck))
SLOW = settings(max_examples=SLOW_EXAMPLES, deadline=None, suppress_health_check=list(HealthCheck))

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


def relayout(draw, values):
    """The same tensor, sometimes as a view that is not C-contiguous (reversed memory order,
    or every other element of a tensor twice as long in its last axis)."""
    how = draw(st.sampled_from(["contiguous", "contiguous", "reversed", "strided"]))
    if how == "reversed" and values.ndim >= 2:
        order = list(range(values.ndim))[::-1]
        return values.permute(order).contiguous().permute(order)
    if how == "strided" and values.ndim >= 1:
        return torch.stack([values, values], dim=-1).flatten(-2)[..., ::2]
    return values


def draw_labels(draw, shape, values, tag):
    array = _rng(draw).choice(np.asarray(values, dtype=np.int64), size=shape)
    return relayout(draw, tensor(array, tag))


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
    return relayout(draw, tensor(values, tag))


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


def draw_label_values(draw, valid, ignore, invalid):
    """The target's values: the valid ones, the ignore value, sometimes out-of-range ones."""
    values = list(valid) + ([int(ignore)] if ignore is not None else [])
    if rare(draw):
        values += draw(st.lists(invalid, min_size=1, max_size=2))
    return values


def draw_reductions(draw, case, average=True):
    """`zero_division`, `normalize` and (for the Jaccard index) `average`."""
    if average:
        case["average"] = draw(averages_any if rare(draw) else averages_valid)
    case["zero_division"] = draw(zero_divisions)
    case["normalize"] = draw(normalizes) if rare(draw, 10) else draw(st.sampled_from([None, "true", "pred", "all"]))
    return case


@st.composite
def binary_cases(draw):
    case = draw_common(draw)
    shape = draw(shapes)
    values = draw_label_values(draw, [0, 1], case["ignore_index"], st.integers(-3, 300))
    case["target"] = draw_target(draw, shape, values)
    case["threshold"] = draw(thresholds_any if rare(draw) else thresholds_valid)
    case["preds"] = draw_zero_one_preds(draw, draw(shapes) if rare(draw, 20) else shape, case["threshold"])
    return draw_reductions(draw, case, average=False)


@st.composite
def multiclass_cases(draw):
    case = draw_common(draw)
    num_classes = draw(st.integers(1, 6)) if not rare(draw, 30) else draw(st.sampled_from([0, -1, 2.0, True]))
    case["num_classes"] = num_classes
    n_values = int(num_classes) if num_classes > 0 else 1
    shape = draw(shapes)
    values = draw_label_values(draw, range(n_values), case["ignore_index"], st.integers(-3, 12))
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
    return draw_reductions(draw, case)


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
    values = draw_label_values(draw, [0, 1], case["ignore_index"], st.integers(-3, 300))
    case["target"] = draw_target(draw, shape, values)
    case["threshold"] = draw(thresholds_any if rare(draw) else thresholds_valid)
    case["preds"] = draw_zero_one_preds(draw, draw(shapes) if rare(draw, 20) else shape, case["threshold"])
    return draw_reductions(draw, case)


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
def test_binary_matches_torchmetrics_slow(case):
    check_binary(case)


@pytest.mark.slow
@SLOW
@given(multiclass_cases())
def test_multiclass_matches_torchmetrics_slow(case):
    check_multiclass(case)


@pytest.mark.slow
@SLOW
@given(multilabel_cases())
def test_multilabel_matches_torchmetrics_slow(case):
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
def test_metric_classes_match_torchmetrics_slow(case):
    check_metric_sequence(case)


# --------------------------------------------------------------------------- the quirks, one by one

def both(function_name, *args, **kwargs):
    """Our result and torchmetrics' for the same call, checked equal; ours is returned."""
    ours = getattr(compat, function_name)
    theirs = getattr(tmf, function_name)
    tensors = [a if not isinstance(a, np.ndarray) else torch.from_numpy(a) for a in args]
    got, _ = compare(lambda: ours(*args, **kwargs), lambda: theirs(*tensors, **kwargs), function_name)
    if got.error is not None:
        raise got.error
    return got.value


def test_logits_test_covers_kept_entries_in_binary_and_the_whole_tensor_in_multilabel():
    # binary: the out-of-range 5.0 sits on an ignored entry, so no sigmoid: 0.7 > 0.5 only
    matrix = both("binary_confusion_matrix", np.array([0.2, 0.7, 5.0], np.float32), np.array([0, 1, -1]),
                  ignore_index=-1)
    assert matrix.tolist() == [[1, 0], [0, 1]]
    # multilabel: the same 5.0 on an ignored entry makes every value a logit (sigmoid(0.2) > 0.5)
    matrix = both("multilabel_confusion_matrix", np.array([[0.2, 0.7], [5.0, 0.4]], np.float32),
                  np.array([[0, 1], [-1, 0]]), 2, ignore_index=-1)
    assert matrix.tolist() == [[[0, 1], [0, 0]], [[0, 1], [0, 1]]]


def test_nan_makes_the_tensor_logits_and_is_never_positive():
    matrix = both("binary_confusion_matrix", np.array([0.2, np.nan, 0.7], np.float32), np.array([0, 1, 1]))
    assert matrix.tolist() == [[0, 1], [1, 1]]  # sigmoid(0.2) > 0.5; NaN negative


def test_threshold_is_compared_in_the_dtype_of_preds():
    # float16(0.3) == 0.2998..., which equals float16(threshold): not above it
    preds = torch.tensor([0.3, 0.31, 0.29], dtype=torch.float16)
    matrix = both("binary_confusion_matrix", preds.numpy(), np.array([1, 1, 1]), threshold=0.3)
    assert matrix.tolist() == [[0, 0], [2, 1]]
    # bfloat16 tensors (NumPy has no bfloat16) are taken as they are
    got = compat.binary_confusion_matrix(preds.to(torch.bfloat16), torch.tensor([1, 1, 1]), threshold=0.3)
    assert same_value(got, tmf.binary_confusion_matrix(preds.to(torch.bfloat16), torch.tensor([1, 1, 1]),
                                                       threshold=0.3))


def test_multilabel_functions_drop_label_number_ignore_index_but_the_class_does_not():
    preds = np.array([[1, 0, 1], [0, 1, 1]])
    target = np.array([[1, 2, 0], [0, 1, 1]])
    # per label 1.0, 1.0, 0.5; the ignore value 2 is also read as a label number: label 2 leaves
    functional = both("multilabel_jaccard_index", preds, target, 3, ignore_index=2)
    assert functional == np.float32(1.0)
    ours, theirs = compat.MultilabelJaccardIndex(3, ignore_index=2), tmc.MultilabelJaccardIndex(3, ignore_index=2)
    ours.update(preds, target)
    theirs.update(torch.from_numpy(preds), torch.from_numpy(target))
    assert same_value(ours.compute(), theirs.compute())
    assert ours.compute() != functional and abs(float(ours.compute()) - 2.5 / 3) < 1e-6


@pytest.mark.parametrize("zero_division", [math.nan, "nan", None, np.float32(0.0)])
def test_zero_division_that_is_not_a_python_number_gives_nan_through_macro(zero_division):
    preds, target = np.array([0, 1, 1]), np.array([0, 1, 0])
    per_class = both("multiclass_jaccard_index", preds, target, 3, average="none", zero_division=zero_division)
    assert per_class[:2].tolist() == [0.5, 0.5] and np.isnan(per_class[2])
    # macro leaves the absent class out with weight 0, but 0 * NaN is NaN
    assert np.isnan(both("multiclass_jaccard_index", preds, target, 3, average="macro", zero_division=zero_division))
    assert np.isnan(both("multiclass_jaccard_index", preds, target, 3, average="weighted",
                         zero_division=zero_division))


def test_zero_division_warn_warns_as_torchmetrics():
    with pytest.warns(UserWarning, match="Detected zero division"):
        assert compat.binary_jaccard_index(np.zeros(3, int), np.zeros(3, int), zero_division="warn") == 0


def test_one_class_and_single_channel_scores():
    zeros = np.zeros(4, dtype=np.int64)
    assert both("multiclass_jaccard_index", zeros, zeros, 1, validate_args=False) == np.float32(1.0)
    scores = np.random.default_rng(0).random((4, 1, 3)).astype(np.float32)
    target = np.array([[0, 1, 2]] * 4)
    # the argmax over one channel is 0 everywhere
    assert both("multiclass_confusion_matrix", scores, target, 3, validate_args=False).tolist() == \
        [[4, 0, 0], [4, 0, 0], [4, 0, 0]]
    with pytest.raises(ValueError, match="num_classes"):
        compat.multiclass_jaccard_index(zeros, zeros, 1)


def test_out_of_range_labels_alias_or_raise_without_validation():
    target = np.array([0, 1, 2])
    # target 0, pred 4 with 3 classes: 0 * 3 + 4 lands in cell (1, 1), as torchmetrics
    assert both("multiclass_confusion_matrix", np.array([4, 1, 1]), target, 3, validate_args=False).tolist() == \
        [[0, 0, 0], [0, 2, 0], [0, 1, 0]]
    with pytest.raises(RuntimeError, match="invalid for input of size 17"):
        both("multiclass_confusion_matrix", np.array([0, 1, 1]), np.array([0, 5, 1]), 3, validate_args=False)
    with pytest.raises(ValueError, match="non-negative"):  # the RuntimeError is a ValueError too
        both("multiclass_confusion_matrix", np.array([0, 1, 1]), np.array([0, -1, 1]), 3, validate_args=False)


def test_validation_skips_the_target_when_preds_are_scores():
    scores = np.eye(3, dtype=np.float32)[None].repeat(2, axis=0).transpose(0, 2, 1)  # (2, 3, 3)
    target = np.array([[0, 1, 4], [0, 1, 2]])  # 4 is out of range but never checked
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        both("multiclass_jaccard_index", scores, target, 3)


def test_ignore_index_is_cast_to_the_target_dtype():
    # uint8 != -1 compares with 255, as torch does
    value = both("binary_jaccard_index", np.array([1, 0, 1], np.uint8), np.array([1, 255, 0], np.uint8),
                 ignore_index=-1)
    assert value == np.float32(0.5)


def test_multilabel_ignore_value_that_wraps_in_uint8_raises_as_torchmetrics():
    with pytest.raises(RuntimeError, match="invalid for input of size"):
        both("multilabel_confusion_matrix", np.array([[0, 1]]), np.array([[0, 255]], np.uint8), 2,
             ignore_index=255)
    # without an ignored entry the same call counts normally
    assert both("multilabel_confusion_matrix", np.array([[0, 1]]), np.array([[0, 1]], np.uint8), 2,
                ignore_index=255).sum() == 2


def test_multilabel_average_is_checked_only_by_the_reduction():
    preds, target = np.array([[0, 1], [1, 1]]), np.array([[0, 1], [1, 0]])
    assert both("multilabel_jaccard_index", preds, target, 2, average="binary").tolist() == [0.0, np.float32(1 / 3)]
    with pytest.raises(ValueError, match="has to be one of"):
        compat.multilabel_jaccard_index(preds, target, 2, average="samples")


def test_normalize_sets_nan_to_zero_with_torchmetrics_warning():
    with pytest.warns(UserWarning, match="2 NaN values found in confusion matrix"):
        matrix = compat.multiclass_confusion_matrix(np.array([0, 0]), np.array([0, 0]), 2, normalize="true")
    assert matrix.dtype == np.float32 and matrix.tolist() == [[1.0, 0.0], [0.0, 0.0]]


def test_float_targets_are_taken_and_multilabel_float_targets_raise():
    value = both("binary_jaccard_index", np.array([1, 0, 1]), np.array([1.0, 0.0, 0.0], np.float32))
    assert value == np.float32(0.5)
    with pytest.raises(NotImplementedError):
        both("multilabel_confusion_matrix", np.array([[0, 1]]), np.array([[0.0, 1.0]], np.float32), 2)


def test_unsigned_wide_integers_are_counted():
    """torch 2.13 raises NotImplementedError for uint16 there; fastiou counts (documented)."""
    preds, target = np.array([0, 1, 1], np.uint16), np.array([0, 1, 0], np.uint16)
    assert compat.multiclass_confusion_matrix(preds, target, 2).tolist() == [[1, 1], [0, 1]]
    assert compat.binary_jaccard_index(preds.astype(np.uint32), target.astype(np.uint64)) == np.float32(0.5)


# --------------------------------------------------------------------------- Metric classes

def test_metric_forward_returns_the_batch_value_and_accumulates():
    ours, theirs = compat.MulticlassJaccardIndex(3), tmc.MulticlassJaccardIndex(3)
    first = (np.array([0, 1, 2]), np.array([0, 1, 1]))
    second = (np.array([2, 2, 2]), np.array([2, 1, 0]))
    for preds, target in (first, second):
        assert same_value(ours(preds, target), theirs(torch.from_numpy(preds), torch.from_numpy(target)))
    assert same_value(ours.compute(), theirs.compute())
    assert ours.update_count == theirs.update_count == 2
    assert ours.confmat.dtype == np.int64 and ours.confmat.tolist() == theirs.confmat.tolist()


def test_metric_merge_state_pickle_clone_and_reset():
    metric = compat.BinaryJaccardIndex()
    metric.update(np.array([0.9, 0.2]), np.array([1, 0]))
    other = pickle.loads(pickle.dumps(metric))
    other.update(np.array([0.9]), np.array([0]))
    metric.merge_state(other)
    assert metric.confmat.tolist() == [[2, 1], [0, 2]]
    metric.merge_state({"confmat": torch.tensor([[1, 0], [0, 1]])})
    assert metric.compute() == np.float32(3 / 4)
    clone = metric.clone()
    metric.reset()
    assert metric.confmat.sum() == 0 and metric.update_count == 0 and clone.confmat.sum() == 7


def test_merge_state_keeps_a_value_already_computed_as_torchmetrics():
    ours, theirs = compat.MulticlassJaccardIndex(2), tmc.MulticlassJaccardIndex(2)
    ours.update(np.array([0, 1]), np.array([0, 0]))
    theirs.update(torch.tensor([0, 1]), torch.tensor([0, 0]))
    stale = ours.compute()
    assert same_value(stale, theirs.compute())
    ours.merge_state({"confmat": np.array([[0, 0], [0, 5]])})
    theirs.merge_state({"confmat": torch.tensor([[0, 0], [0, 5]])})
    assert same_value(ours.compute(), theirs.compute()) and ours.compute() == stale


def test_metric_one_element_results_are_squeezed_and_compute_before_update_warns():
    ours = compat.MulticlassJaccardIndex(1, average="none", validate_args=False)
    theirs = tmc.MulticlassJaccardIndex(1, average="none", validate_args=False)
    compare(ours.compute, theirs.compute, "before update")
    ours.update(np.zeros(2, int), np.zeros(2, int))
    theirs.update(torch.zeros(2, dtype=torch.long), torch.zeros(2, dtype=torch.long))
    got, _ = compare(ours.compute, theirs.compute)
    assert np.ndim(got.value) == 0


def test_error_inside_forward_keeps_the_accumulated_state():
    metric = compat.BinaryConfusionMatrix()
    metric.update(np.array([1, 0]), np.array([1, 0]))
    with pytest.raises(RuntimeError):
        metric(np.array([1, 0]), np.array([1, 7]))
    assert metric.confmat.tolist() == [[1, 0], [0, 1]]


def test_task_wrappers_return_the_task_classes():
    assert type(compat.JaccardIndex("Binary")) is compat.BinaryJaccardIndex
    assert type(compat.JaccardIndex("multiclass", num_classes=3, zero_division=1)) is compat.MulticlassJaccardIndex
    assert type(compat.ConfusionMatrix("multilabel", num_labels=3)) is compat.MultilabelConfusionMatrix
    assert compat.JaccardIndex("multilabel", num_labels=2, average="micro").average == "micro"


# --------------------------------------------------------------------------- every error path

ERROR_CALLS = [
    ("binary_jaccard_index", (np.array([0.5]), np.array([1])), {"threshold": 1}, ValueError),
    ("binary_jaccard_index", (np.array([0.5]), np.array([1])), {"threshold": 1.5}, ValueError),
    ("binary_jaccard_index", (np.array([0.5]), np.array([1])), {"ignore_index": 1.0}, ValueError),
    ("binary_confusion_matrix", (np.array([0.5]), np.array([1])), {"normalize": "rows"}, ValueError),
    ("binary_jaccard_index", (np.array([0.5, 0.1]), np.array([1])), {}, RuntimeError),
    ("binary_jaccard_index", (np.array([0.5]), np.array([2])), {}, RuntimeError),
    ("binary_jaccard_index", (np.array([2]), np.array([1])), {}, RuntimeError),
    ("binary_jaccard_index", (np.array([1, 0, 1]), np.array([0, 1])), {"validate_args": False}, RuntimeError),
    ("binary_jaccard_index", (np.array([1, 0, 1]), np.array([0, 1])), {"validate_args": False, "ignore_index": 5},
     IndexError),
    ("multiclass_jaccard_index", (np.array([0]), np.array([0]), 1), {}, ValueError),
    ("multiclass_jaccard_index", (np.array([0]), np.array([0]), 3), {"average": "binary"}, ValueError),
    ("multiclass_jaccard_index", (np.array([0]), np.array([0]), 3), {"average": "samples", "validate_args": False},
     ValueError),
    ("multiclass_confusion_matrix", (np.zeros((2, 3), int), np.array([0, 1]), 3), {}, ValueError),
    ("multiclass_confusion_matrix", (np.zeros((2, 4), np.float32), np.array([0, 1]), 3), {}, ValueError),
    ("multiclass_confusion_matrix", (np.zeros((2, 3, 5), np.float32), np.zeros((2, 4), int), 3), {}, ValueError),
    ("multiclass_confusion_matrix", (np.array([0, 1]), np.array([0, 1, 2]), 3), {}, ValueError),
    ("multiclass_confusion_matrix", (np.zeros((1, 1, 1), int), np.array([0]), 3), {}, ValueError),
    ("multiclass_confusion_matrix", (np.array([0, 1, 2, 3]), np.array([0, 1, 2, 2]), 3), {}, RuntimeError),
    ("multiclass_confusion_matrix", (np.zeros(3, np.float32), np.array(1), 3), {}, IndexError),
    ("multiclass_confusion_matrix", (np.array([0]), np.array([0]), 3.0), {"validate_args": False}, TypeError),
    ("multiclass_confusion_matrix", (np.zeros((1, 0), np.float32), np.array([0]), 3), {"validate_args": False},
     IndexError),
    ("multiclass_confusion_matrix", (np.zeros((1, 2), bool), np.array([0]), 3), {"validate_args": False},
     RuntimeError),
    ("multilabel_jaccard_index", (np.zeros((2, 3)), np.zeros((2, 3), int), 1), {}, ValueError),
    ("multilabel_jaccard_index", (np.zeros((2, 3)), np.zeros((2, 4), int), 3), {}, RuntimeError),
    ("multilabel_jaccard_index", (np.zeros((2, 3)), np.zeros((2, 3), int), 4), {}, ValueError),
    ("multilabel_jaccard_index", (np.zeros(3), np.zeros(3, int), 3), {}, IndexError),
    ("multilabel_jaccard_index", (np.zeros((2, 3)), np.zeros((2, 3), int), 3), {"threshold": 2.0}, ValueError),
    ("multilabel_jaccard_index", (np.zeros((2, 5), int), np.zeros((2, 5), int), 4), {"validate_args": False},
     RuntimeError),
    ("multilabel_jaccard_index", (np.zeros((2, 3), int), np.full((2, 3), 2), 3), {}, RuntimeError),
    ("jaccard_index", (np.array([0]), np.array([0]), "multi-class"), {"num_classes": 2}, ValueError),
    ("jaccard_index", (np.array([0]), np.array([0]), "multiclass"), {}, ValueError),
    ("jaccard_index", (np.array([0]), np.array([0]), "multilabel"), {"num_labels": 2.0}, ValueError),
    ("confusion_matrix", (np.array([0]), np.array([0]), 3), {}, AttributeError),
]


@pytest.mark.parametrize("name, args, kwargs, error", ERROR_CALLS)
def test_errors_have_torchmetrics_types(name, args, kwargs, error):
    tensors = [torch.from_numpy(a) if isinstance(a, np.ndarray) else a for a in args]
    with pytest.raises(error):
        getattr(tmf, name)(*tensors, **kwargs)
    with pytest.raises(error) as caught:
        getattr(compat, name)(*args, **kwargs)
    if error is RuntimeError:  # fastiou's habit as well: bad values raise a ValueError
        assert isinstance(caught.value, ValueError)
    if error is AttributeError:
        assert isinstance(caught.value, TypeError)


@pytest.mark.parametrize("make, error", [
    (lambda m: m.BinaryJaccardIndex(unknown=1), ValueError),
    (lambda m: m.BinaryJaccardIndex(compute_with_cache=1), ValueError),
    (lambda m: m.BinaryJaccardIndex(dist_sync_on_step="yes"), ValueError),
    (lambda m: m.BinaryJaccardIndex(dist_sync_fn=3), ValueError),
    (lambda m: m.BinaryJaccardIndex(threshold=2.0), ValueError),
    (lambda m: m.MulticlassConfusionMatrix(1), ValueError),
    (lambda m: m.MulticlassConfusionMatrix(-2, validate_args=False), RuntimeError),
    (lambda m: m.MulticlassJaccardIndex(-2), RuntimeError),
    (lambda m: m.MulticlassJaccardIndex(2.5), TypeError),
    (lambda m: m.MulticlassJaccardIndex(3, average="samples"), ValueError),
    (lambda m: m.MultilabelJaccardIndex(3, average="samples"), ValueError),
    (lambda m: m.MultilabelConfusionMatrix(3, threshold=1), ValueError),
    (lambda m: m.JaccardIndex("multiclass"), ValueError),
    (lambda m: m.ConfusionMatrix("segmentation"), ValueError),
    (lambda m: m.ConfusionMatrix(None), AttributeError),
])
def test_metric_constructor_errors_have_torchmetrics_types(make, error):
    with pytest.raises(error):
        make(tmc)
    with pytest.raises(error):
        make(compat)


def test_merge_state_errors():
    metric = compat.MulticlassConfusionMatrix(3)
    with pytest.raises(ValueError, match="dict or an instance of Metric"):
        metric.merge_state([1, 2])
    with pytest.raises(ValueError, match="instance of MulticlassConfusionMatrix"):
        metric.merge_state(compat.BinaryConfusionMatrix())
    with pytest.raises(ValueError, match="confmat"):
        metric.merge_state({"counts": np.zeros((3, 3))})
    with pytest.raises(RuntimeError):
        metric.merge_state({"confmat": np.zeros((2, 2), int)})
    with pytest.raises(RuntimeError, match="dist_sync_on_step"):
        compat.MulticlassConfusionMatrix(3, dist_sync_on_step=True).merge_state({"confmat": np.zeros((3, 3))})
    # a subclass instance merges into its parent class, as in torchmetrics
    metric.merge_state(compat.MulticlassJaccardIndex(3))


def test_inputs_that_are_not_numbers_are_refused():
    with pytest.raises(TypeError, match="`preds` must hold"):
        compat.binary_jaccard_index(np.array(["a", "b"]), np.array([0, 1]))
    with pytest.raises(TypeError, match="`target` must hold"):
        compat.multiclass_jaccard_index(np.array([0, 1]), np.array([0j, 1j]), 2)


# --------------------------------------------------------------------------- the numerics

@pytest.mark.parametrize("threads", [1, 2, 3])
def test_float32_sums_follow_torch_order(threads):
    """Cascade order, and past torch's grain size (32768) one partial sum per thread."""
    rng = np.random.default_rng(7)
    before = torch.get_num_threads()
    torch.set_num_threads(threads)
    try:
        for size in [0, 1, 3, 7, 8, 9, 31, 64, 100, 511, 512, 513, 4097, 20000, 32769, 70001]:
            values = (rng.random(size) * 1e8).astype(np.float32)
            assert _numerics.sum_all(values) == torch.from_numpy(values).sum().numpy(), size
        for classes in [1, 2, 5, 8, 9, 33, 150, 300]:
            counts = rng.integers(0, 2**31, (classes, classes))
            floats = torch.from_numpy(counts).float()
            assert np.array_equal(_numerics.count_sums(counts, 0), floats.sum(0).numpy())
            assert np.array_equal(_numerics.count_sums(counts, -1), floats.sum(-1).numpy())
            assert np.array_equal(_numerics.count_sums(counts, (-2, -1)), floats.sum(dim=[-2, -1]).numpy())
    finally:
        torch.set_num_threads(before)


@pytest.mark.parametrize("classes", [2, 3, 19, 40])
def test_large_counts_reduce_like_torchmetrics(classes):
    """Counts past 2**24 (float32 stops being exact): torch's summation order matters."""
    counts = np.random.default_rng(classes).integers(0, 2**31, (classes, classes))
    for average in ["micro", "macro", "weighted", "none"]:
        ours, theirs = compat.MulticlassJaccardIndex(classes, average=average), \
            tmc.MulticlassJaccardIndex(classes, average=average)
        ours.merge_state({"confmat": counts})
        theirs.merge_state({"confmat": torch.from_numpy(counts)})
        ours._update_count = theirs._update_count = 1
        assert same_value(ours.compute(), theirs.compute()), average
    for normalize in ["true", "pred", "all"]:
        ours, theirs = compat.MulticlassConfusionMatrix(classes, normalize=normalize), \
            tmc.MulticlassConfusionMatrix(classes, normalize=normalize)
        ours.merge_state({"confmat": counts})
        theirs.merge_state({"confmat": torch.from_numpy(counts)})
        ours._update_count = theirs._update_count = 1
        assert same_value(ours.compute(), theirs.compute()), normalize


@pytest.mark.parametrize("tag", FLOAT_TAGS)
def test_sigmoid_cut_matches_torch_values_around_it(tag):
    dtype = TORCH_DTYPES[tag]
    storage = np.float32 if tag == "bfloat16" else np.dtype(tag).type
    rng = np.random.default_rng(3)
    for threshold in [0.5, 0.0, 0.25, 0.9, 1e-6, 1 - 1e-6, 5e-324] + list(rng.random(20)):
        cut = _numerics.logit_cut(threshold, tag)
        if cut is None or not np.isfinite(cut):
            continue
        around = [storage(cut)]
        for _ in range(6):
            around.append(np.nextafter(around[-1], storage(np.inf)))
            around.insert(0, np.nextafter(around[0], storage(-np.inf)))
        values = torch.from_numpy(np.array(around, dtype=storage)).to(dtype)
        # one element at a time: torch's scalar sigmoid (see the documented SIMD caveat)
        expected = [bool(values[i:i + 1].sigmoid() > threshold) for i in range(len(values))]
        carried = values.float().numpy() if tag == "bfloat16" else values.numpy()
        assert _numerics.positives(carried, tag, threshold, True).tolist() == expected, threshold


@pytest.mark.parametrize("tag", ["uint8", "int8", "int16", "int64", "float16", "bfloat16", "float32"])
@pytest.mark.parametrize("value", [-1, 255, 256, -129, 0.3, 1e-8, 70000])
def test_scalars_cast_into_a_dtype_as_torch(tag, value):
    if isinstance(value, float) and tag not in FLOAT_TAGS:
        return
    expected = torch.tensor(value).to(TORCH_DTYPES[tag]) if isinstance(value, int) else \
        torch.tensor(value, dtype=torch.float64).to(torch.float32).to(TORCH_DTYPES[tag])
    got = _numerics.round_to(value, tag)
    assert float(got) == float(expected.float()) or (np.isinf(float(got)) and torch.isinf(expected.float()))


@pytest.mark.parametrize("position", [0, 20_000, 1_500_000, 3_999_999, None])
@pytest.mark.parametrize("value", [1.5, -0.5, math.nan, -0.0])
def test_logits_test_on_inputs_read_by_several_threads(position, value):
    from fastiou.compat.torchmetrics import _counting

    values = np.random.default_rng(0).random(4_000_000, dtype=np.float32)
    target = np.zeros(values.size, dtype=np.uint8)
    if position is not None:
        values[position] = value
        target[position] = 255
    outside = position is not None and not value == 0.0
    assert _counting.outside_unit(values) is outside
    assert _counting.outside_unit(values, target, 255) is False  # the odd value is ignored
    parts = _counting._largest_patterns(values.view(np.uint32), 3)
    assert [int(stop - start) for start, stop, _ in parts] == [1333333, 1333333, 1333334]
    assert max(largest for _, _, largest in parts) == int(values.view(np.uint32).max())


# --------------------------------------------------------------------------- surface

def test_numpy_lists_and_tensors_give_the_same_result():
    rng = np.random.default_rng(2)
    scores = rng.standard_normal((3, 4, 5)).astype(np.float32)
    target = rng.integers(0, 4, (3, 5))
    expected = compat.multiclass_jaccard_index(torch.from_numpy(scores), torch.from_numpy(target), 4)
    assert compat.multiclass_jaccard_index(scores, target, 4) == expected
    assert compat.multiclass_jaccard_index(scores.tolist(), target.tolist(), 4) == expected
    strided = torch.from_numpy(scores).transpose(0, 2).contiguous().transpose(0, 2)  # not C-contiguous
    assert compat.multiclass_jaccard_index(strided.requires_grad_(), torch.from_numpy(target), 4) == expected


def test_return_types_follow_torchmetrics_dtypes():
    preds, target = np.array([0, 1, 1]), np.array([0, 1, 0])
    assert type(compat.binary_jaccard_index(preds, target)) is np.float32
    assert compat.multiclass_jaccard_index(preds, target, 2, average="none").dtype == np.float32
    assert compat.multiclass_confusion_matrix(preds, target, 2).dtype == np.int64
    assert compat.multiclass_confusion_matrix(preds, target, 2, normalize="all").dtype == np.float32


def test_docstring_examples():
    import doctest

    for module in (_functional, _metrics):
        result = doctest.testmod(module, optionflags=doctest.NORMALIZE_WHITESPACE)
        assert result.failed == 0 and result.attempted > 0, module.__name__


def test_torch_is_never_imported():
    code = ("import sys, numpy as np\n"
            "from fastiou.compat import torchmetrics as tm\n"
            "tm.binary_jaccard_index(np.array([0.2, 3.0]), np.array([0, 1]))\n"
            "tm.MulticlassJaccardIndex(3)(np.array([0, 1]), np.array([0, 2]))\n"
            "assert 'torch' not in sys.modules, 'torch was imported'\n")
    subprocess.run([sys.executable, "-c", code], check=True)
