"""torchmetrics' confusion-matrix counting (binary, multiclass, multilabel), counted by fastiou.

Each ``*_counts`` function returns the int64 matrix torchmetrics' ``_*_confusion_matrix_update``
gives for the same input, or raises the exception type it raises. Ordinary input (integer
targets, labels / scores / probabilities / logits, an ignore value) goes through one fastiou
counting pass, plus at most one cheap pass: the logits-or-probabilities decision, or, with
validation and an ignore value, a look at the label predictions the ignore value hides.
Anything else (a label outside the classes, float targets, shapes torch broadcasts, a
multilabel ignore value that wraps around in a small dtype ...) is counted by
:func:`emulate_counts`, a NumPy transcription of torchmetrics' own steps with torch's dtype
rules, so that it gives torchmetrics' aliased counts or raises where torchmetrics raises.
"""

import numbers
import threading
from typing import NamedTuple

import numpy as np

from fastiou._shared._threads import resolve_n_threads, threads_for_size
from fastiou.compat import to_numpy
from fastiou.compat.torchmetrics._numerics import (
    RuntimeValueError,
    add,
    equals_scalar,
    is_float,
    logit_cut,
    positives,
    round_to,
    times_scalar,
    to_long,
)
from fastiou.segmentation._core import count_pairs

ALLOWED_NORMALIZE = ("true", "pred", "all", "none", None)
# the first chunk of the logits check is small: logits are found in it almost always
_FIRST_CHUNK, _CHUNK = 1 << 14, 1 << 20
# below this many values per thread the logits check reads on one thread
_MIN_UNIT_TEST_PER_THREAD = 1 << 20


class Input(NamedTuple):
    """An array and the name of the torch dtype it stands for (bfloat16 carried as float32)."""

    values: np.ndarray
    tag: str


def as_input(values, name):
    """`values` (a tensor, an array or a nested list) as an :class:`Input`, not copied."""
    if hasattr(values, "detach") and str(getattr(values, "dtype", "")) == "torch.bfloat16":
        return Input(values.detach().float().cpu().numpy(), "bfloat16")
    array = to_numpy(values, name)
    kind = array.dtype.kind
    if kind == "b":
        return Input(array, "bool")
    if kind in "iu" or (kind == "f" and array.dtype.itemsize in (2, 4, 8)):
        return Input(array, array.dtype.name)
    raise TypeError(f"`{name}` must hold bools, integers or floats (float16/32/64, bfloat16), "
                    f"got dtype {array.dtype}")


def torch_size(shape):
    return f"torch.Size({list(shape)})"


# --------------------------------------------------------------------------- argument checks

def check_ignore_index(ignore_index):
    if ignore_index is not None and not isinstance(ignore_index, int):
        raise ValueError(f"Expected argument `ignore_index` to either be `None` or an integer, but got {ignore_index}")


def check_normalize(normalize):
    if normalize not in ALLOWED_NORMALIZE:
        raise ValueError(f"Expected argument `normalize` to be one of {ALLOWED_NORMALIZE}, but got {normalize}.")


def check_binary_args(threshold, ignore_index, normalize=None):
    """torchmetrics' ``_binary_confusion_matrix_arg_validation``."""
    if not (isinstance(threshold, float) and (0 <= threshold <= 1)):
        raise ValueError(f"Expected argument `threshold` to be a float in the [0,1] range, but got {threshold}.")
    check_ignore_index(ignore_index)
    check_normalize(normalize)


def check_multiclass_args(num_classes, ignore_index, normalize=None):
    """torchmetrics' ``_multiclass_confusion_matrix_arg_validation``."""
    if not isinstance(num_classes, int) or num_classes < 2:
        raise ValueError(f"Expected argument `num_classes` to be an integer larger than 1, but got {num_classes}")
    check_ignore_index(ignore_index)
    check_normalize(normalize)


def check_multilabel_args(num_labels, threshold, ignore_index, normalize=None):
    """torchmetrics' ``_multilabel_confusion_matrix_arg_validation``."""
    if not isinstance(num_labels, int) or num_labels < 2:
        raise ValueError(f"Expected argument `num_labels` to be an integer larger than 1, but got {num_labels}")
    if not (isinstance(threshold, float) and (0 <= threshold <= 1)):
        raise ValueError(f"Expected argument `threshold` to be a float, but got {threshold}.")
    check_ignore_index(ignore_index)
    check_normalize(normalize)


# --------------------------------------------------------------------------- tensor checks

def _unique(values):
    """torch.unique's values: NaNs are not merged."""
    flat = np.asarray(values).reshape(-1)
    if flat.dtype.kind == "f":
        return np.unique(flat, equal_nan=False)
    return np.unique(flat)


def _outside_zero_one(unique, tag, ignore_index):
    bad = ~equals_scalar(unique, tag, 0) & ~equals_scalar(unique, tag, 1)
    if ignore_index is not None:
        bad &= ~equals_scalar(unique, tag, ignore_index)
    return bool(bad.any())


def _check_same_shape(preds, target):
    if preds.values.shape != target.values.shape:
        raise RuntimeValueError(
            "Predictions and targets are expected to have the same shape, but got "
            f"{torch_size(preds.values.shape)} and {torch_size(target.values.shape)}."
        )


def _check_zero_one_values(preds, target, ignore_index):
    unique = _unique(target.values)
    if _outside_zero_one(unique, target.tag, ignore_index):
        raise RuntimeValueError(
            f"Detected the following values in `target`: {unique} but expected only"
            f" the following values {[0, 1] if ignore_index is None else [ignore_index]}."
        )
    if not is_float(preds.tag):
        unique = _unique(preds.values)
        if _outside_zero_one(unique, preds.tag, None):
            raise RuntimeValueError(
                f"Detected the following values in `preds`: {unique} but expected only"
                " the following values [0,1] since preds is a label tensor."
            )


def validate_binary(preds, target, ignore_index):
    """torchmetrics' ``_binary_confusion_matrix_tensor_validation``."""
    _check_same_shape(preds, target)
    _check_zero_one_values(preds, target, ignore_index)


def validate_multiclass_shapes(preds, target, num_classes):
    """The shape part of ``_multiclass_confusion_matrix_tensor_validation``."""
    p, t = preds.values, target.values
    if p.ndim == t.ndim + 1:
        if not is_float(preds.tag):
            raise ValueError("If `preds` have one dimension more than `target`, `preds` should be a float tensor.")
        if p.shape[1] != num_classes:
            raise ValueError("If `preds` have one dimension more than `target`, `preds.shape[1]` should be"
                             " equal to number of classes.")
        if p.shape[2:] != t.shape[1:]:
            raise ValueError("If `preds` have one dimension more than `target`, the shape of `preds` should be"
                             " (N, C, ...), and the shape of `target` should be (N, ...).")
    elif p.ndim == t.ndim:
        if p.shape != t.shape:
            raise ValueError("The `preds` and `target` should have the same shape,",
                             f" got `preds` with shape={torch_size(p.shape)} and `target` with "
                             f"shape={torch_size(t.shape)}.")
    else:
        raise ValueError("Either `preds` and `target` both should have the (same) shape (N, ...), or `target` "
                         "should be (N, ...) and `preds` should be (N, C, ...).")


def validate_multiclass_values(preds, target, num_classes, ignore_index):
    """The value part: at most `num_classes` (+1 with an ignore value) distinct values.

    As in torchmetrics, nothing is checked when `preds` is float (an operator-precedence
    slip there drops the target check too)."""
    if is_float(preds.tag):
        return
    check_value = num_classes if ignore_index is None else num_classes + 1
    for array, name in ((target, "target"), (preds, "preds")):
        n_unique = len(_unique(array.values))
        if n_unique > check_value:
            raise RuntimeValueError(
                f"Detected more unique values in `{name}` than expected. Expected only {check_value} but found"
                f" {n_unique} in `target`."
            )


def validate_multilabel_shapes(preds, target, num_labels):
    _check_same_shape(preds, target)
    if preds.values.ndim < 2:
        raise IndexError("tuple index out of range")
    if preds.values.shape[1] != num_labels:
        raise ValueError(
            "Expected both `target.shape[1]` and `preds.shape[1]` to be equal to the number of labels"
            f" but got {preds.values.shape[1]} and expected {num_labels}"
        )


# --------------------------------------------------------------------------- helpers of the fast paths

def _label_ignore(ignore_index, tag):
    """The label value torch's ``target != ignore_index`` drops, as an int; None when it
    matches no value of `tag` (or `ignore_index` is None). Only for integer `ignore_index`."""
    if ignore_index is None:
        return None
    if tag == "bool":
        return int(ignore_index) if int(ignore_index) in (0, 1) else None
    return int(round_to(ignore_index, tag))


def _plain_int(value):
    return isinstance(value, numbers.Integral)


def _size(value):
    """An int torch takes as a tensor size (bools are refused there)."""
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def _labels_below(values, tag, limit):
    """Every label in `values` lies in [0, limit) (bool counts as 0/1)."""
    if values.size == 0 or tag == "bool":
        return limit >= 2 or values.size == 0
    unsigned = values.view(values.dtype.str.replace("i", "u")) if values.dtype.kind == "i" else values
    return int(unsigned.max()) < limit


def _chunks(size):
    start, step = 0, _FIRST_CHUNK
    while start < size:
        yield slice(start, min(start + step, size))
        start += step
        step = _CHUNK


_UNIT_BITS = {2: (np.uint16, 0x3C00), 4: (np.uint32, 0x3F800000), 8: (np.uint64, 0x3FF0000000000000)}


def _largest_patterns(bits, threads):
    """The largest bit pattern of each of `threads` contiguous parts of `bits`, the parts
    read on that many Python threads (NumPy's max releases the GIL)."""
    bounds = np.linspace(0, bits.size, threads + 1).astype(np.int64)
    parts = [bits[start:stop] for start, stop in zip(bounds[:-1], bounds[1:])]
    results = [0] * threads

    def read(slot):
        results[slot] = int(parts[slot].max())

    workers = [threading.Thread(target=read, args=(slot,)) for slot in range(1, threads)]
    for worker in workers:
        worker.start()
    read(0)
    for worker in workers:
        worker.join()
    return list(zip(bounds[:-1], bounds[1:], results))


def outside_unit(values, target=None, ignore=None):
    """torchmetrics' logits test: a value is below 0, above 1 or NaN (only values whose
    `target` is not the label `ignore` count, when both are given).

    Reads the values as unsigned bit patterns first (a float in [0, 1] is a pattern up to
    that of 1.0; -0.0, the only other in-range value, is checked exactly), chunk by chunk,
    stopping at the first value outside: logits usually stop it in the first small chunk.
    Past it, large inputs are read on fastiou's threads; the mask of kept entries is only
    made for a chunk with a value outside."""
    flat = np.asarray(values).reshape(-1)
    kept = None if ignore is None else np.asarray(target).reshape(-1)
    unsigned, one = _UNIT_BITS[flat.dtype.itemsize]
    bits = (flat if flat.dtype.isnative else flat.astype(flat.dtype.newbyteorder("="))).view(unsigned)

    def outside(start, stop):
        for chunk in _chunks(stop - start):
            chunk = slice(start + chunk.start, start + chunk.stop)
            if int(bits[chunk].max()) <= one:
                continue
            part = flat[chunk] if kept is None else flat[chunk][kept[chunk] != ignore]
            with np.errstate(invalid="ignore"):
                if not ((part >= 0) & (part <= 1)).all():
                    return True
        return False

    head = min(flat.size, _FIRST_CHUNK)
    if outside(0, head):
        return True
    threads = threads_for_size(resolve_n_threads(None), flat.size - head, _MIN_UNIT_TEST_PER_THREAD)
    if threads == 1:
        return outside(head, flat.size)
    for start, stop, largest in _largest_patterns(bits[head:], threads):
        if largest > one and outside(head + int(start), head + int(stop)):
            return True
    return False


def _threshold_option(values, tag, threshold, logits):
    """How fastiou's ``p > threshold`` counts torchmetrics' (optionally sigmoided) ``p > t``:
    ``("threshold", value)``, or ``("labels", 0/1 array)`` when no such value exists."""
    if logits:
        cut = logit_cut(threshold, tag)
        if cut is not None and np.isfinite(cut):
            return "threshold", cut
    else:
        limit = float(round_to(threshold, tag))
        if np.isfinite(limit):
            return "threshold", limit
    return "labels", positives(values, tag, threshold, logits).view(np.uint8)


def _count(target, preds_values, num_classes, ignore, **options):
    return count_pairs(target, preds_values, num_classes, ignore_index=ignore, out_of_range="ignore", **options)


def _at_least_1d(values):
    return values.reshape(1) if values.ndim == 0 else values


# --------------------------------------------------------------------------- binary

def binary_counts(preds, target, threshold, ignore_index, validate):
    """The (2, 2) counts of torchmetrics' binary confusion matrix (tensor validation
    included when `validate`)."""
    same_shape = preds.values.shape == target.values.shape
    simple = same_shape and not is_float(target.tag) and (ignore_index is None or _plain_int(ignore_index))
    if validate and not same_shape:
        validate_binary(preds, target, ignore_index)
    if not simple or (is_float(preds.tag) and not isinstance(threshold, numbers.Real)):
        return _checked_emulation("binary", preds, target, validate, threshold=threshold,
                                  ignore_index=ignore_index)
    ignore = _label_ignore(ignore_index, target.tag)
    t, p = _at_least_1d(target.values), _at_least_1d(preds.values)
    options = {}
    if is_float(preds.tag):
        kind, value = _threshold_option(p, preds.tag, threshold, outside_unit(p, t, ignore))
        if kind == "threshold":
            options["threshold"] = value
        else:
            p = value
    counts = _count(t, p, 2, ignore, **options)
    if counts.n_bad_true or counts.n_bad_pred or (
            validate and ignore is not None and preds.tag != "bool" and not is_float(preds.tag)
            and not _labels_below(p, preds.tag, 2)):
        return _checked_emulation("binary", preds, target, validate, threshold=threshold,
                                  ignore_index=ignore_index)
    return counts.matrix


# --------------------------------------------------------------------------- multiclass

def multiclass_counts(preds, target, num_classes, ignore_index, validate):
    """The (C, C) counts of torchmetrics' multiclass confusion matrix."""
    if validate:
        validate_multiclass_shapes(preds, target, num_classes)
    p, t = preds.values, target.values
    scores = p.ndim == t.ndim + 1 and t.ndim >= 1 and is_float(preds.tag) and p.shape[0] == t.shape[0] \
        and p.shape[2:] == t.shape[1:]
    labels = p.shape == t.shape
    simple = (scores or labels) and not is_float(target.tag) and _size(num_classes) \
        and num_classes >= 1 and (ignore_index is None or _plain_int(ignore_index))
    if simple and scores and p.shape[1] not in (1, num_classes):
        simple = False
    if not simple:
        return _checked_emulation("multiclass", preds, target, validate, num_classes=num_classes,
                                  ignore_index=ignore_index)
    ignore = _label_ignore(ignore_index, target.tag)
    t = _at_least_1d(t)
    options = {}
    if scores and p.shape[1] == num_classes and num_classes >= 2:
        options["axis"] = 1
    elif scores:  # one score per pixel: the argmax is 0 everywhere
        p = np.broadcast_to(np.zeros((), dtype=np.uint8), t.shape)
    elif is_float(preds.tag):
        p = to_long(_at_least_1d(p), preds.tag)
    else:
        p = _at_least_1d(p)
    counts = _count(t, p, int(num_classes), ignore, **options)
    if counts.n_bad_true or counts.n_bad_pred:
        return _checked_emulation("multiclass", preds, target, validate, num_classes=num_classes,
                                  ignore_index=ignore_index)
    if validate and ignore is not None and not is_float(preds.tag) and \
            not _labels_below(p, preds.tag, num_classes):
        # a prediction outside the classes hidden by the ignore value: torchmetrics counts
        # distinct values, which may still pass
        validate_multiclass_values(preds, target, num_classes, ignore_index)
    return counts.matrix


# --------------------------------------------------------------------------- multilabel

def _ignored_entries_drop(preds_tag, target_tag, num_labels):
    """Whether torchmetrics' mapping of an ignored entry (target and prediction set to
    ``-4 * num_labels``) stays negative for every label, so that the entry is dropped; it
    does not when that value wraps around in a small integer dtype (uint8, bool, int8)."""
    marker = -4 * num_labels
    t_value, t_tag = times_scalar(np.array(round_to(marker, target_tag)), target_tag, 2)
    p_tag = "bool" if is_float(preds_tag) else preds_tag
    value, tag = add(t_value, t_tag, np.array(round_to(marker, p_tag)), p_tag)
    value, tag = add(value, tag, np.array(4 * (num_labels - 1)), "int64")
    return bool(value < 0)


def multilabel_counts(preds, target, num_labels, threshold, ignore_index, validate):
    """The (L, 2, 2) counts of torchmetrics' multilabel confusion matrix."""
    if validate:
        validate_multilabel_shapes(preds, target, num_labels)
    p, t = preds.values, target.values
    simple = p.shape == t.shape and p.ndim >= 2 and _size(num_labels) and num_labels >= 1 \
        and p.shape[1] == num_labels and not is_float(target.tag) \
        and (ignore_index is None or _plain_int(ignore_index)) \
        and (not is_float(preds.tag) or isinstance(threshold, numbers.Real))
    if not simple:
        return _checked_emulation("multilabel", preds, target, validate, num_labels=num_labels,
                                  threshold=threshold, ignore_index=ignore_index)
    ignore = _label_ignore(ignore_index, target.tag)
    options = {"multilabel": True, "axis": 1}
    if is_float(preds.tag):
        kind, value = _threshold_option(p, preds.tag, threshold, outside_unit(p))
        if kind == "threshold":
            options["threshold"] = value
        else:
            p = value
    counts = _count(t, p, int(num_labels), ignore, **options)
    dropped = t.size - int(counts.matrix.sum())
    if counts.n_bad_true or counts.n_bad_pred or (
            dropped and not _ignored_entries_drop(preds.tag, target.tag, num_labels)) or (
            validate and ignore is not None and preds.tag != "bool" and not is_float(preds.tag)
            and not _labels_below(p, preds.tag, 2)):
        return _checked_emulation("multilabel", preds, target, validate, num_labels=num_labels,
                                  threshold=threshold, ignore_index=ignore_index)
    return counts.matrix


# --------------------------------------------------------------------------- emulation

def _checked_emulation(task, preds, target, validate, **arguments):
    if validate:
        if task == "binary":
            validate_binary(preds, target, arguments["ignore_index"])
        elif task == "multiclass":
            validate_multiclass_values(preds, target, arguments["num_classes"], arguments["ignore_index"])
        else:
            _check_zero_one_values(preds, target, arguments["ignore_index"])
    return emulate_counts(task, preds, target, **arguments)


def _select(values, keep):
    if values.shape != keep.shape:
        raise IndexError(f"The shape of the mask [{keep.shape[0]}] at index 0 does not match the shape of the "
                         f"indexed tensor [{values.shape[0]}] at index 0")
    return values[keep]


def _check_bincount_input(mapping):
    if mapping.size and int(mapping.min()) < 0:
        raise RuntimeValueError("bincount only supports 1-d non-negative integral inputs.")


def _bincount(mapping, minlength, shape):
    """``torch.bincount(mapping, minlength).reshape(shape)`` with torch's errors."""
    _check_bincount_input(mapping)
    for size in shape:
        if size < 0:
            raise RuntimeValueError(f"invalid shape dimension {size}")
    length = max(minlength, int(mapping.max()) + 1 if mapping.size else 0)
    expected = int(np.prod(shape, dtype=np.int64))
    if length != expected:
        raise RuntimeValueError(f"shape '{list(shape)}' is invalid for input of size {length}")
    return np.bincount(mapping, minlength=minlength).astype(np.int64).reshape(shape)


def _argmax_dim1(values, tag):
    if tag == "bool":
        raise RuntimeValueError("argmax(): does not support bool input")
    if values.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(values.ndim, 1)}, "
                         f"{max(values.ndim, 1) - 1}], but got 1)")
    if values.shape[1] == 0:
        raise IndexError("argmax(): Expected reduction dim 1 to have non-zero size.")
    return np.argmax(values, axis=1)


def _labels_last(values, num_labels):
    """``torch.movedim(x, 1, -1).reshape(-1, num_labels)``."""
    if values.ndim < 2:
        raise IndexError(f"Dimension out of range (expected to be in range of [{-max(values.ndim, 1)}, "
                         f"{max(values.ndim, 1) - 1}], but got 1)")
    if not _size(num_labels):
        raise TypeError(f"reshape(): argument 'shape' must be tuple of ints, but found element of type "
                        f"{type(num_labels).__name__}")
    num_labels = int(num_labels)
    moved = np.moveaxis(values, 1, -1)
    if num_labels <= 0 or moved.size % num_labels:
        if num_labels == 0 and moved.size == 0:
            raise RuntimeValueError("cannot reshape tensor of 0 elements into shape [-1, 0] because the "
                                    "unspecified dimension size -1 can be any value and is ambiguous")
        raise RuntimeValueError(f"shape '[-1, {num_labels}]' is invalid for input of size {moved.size}")
    return moved.reshape(-1, num_labels)


def emulate_counts(task, preds, target, num_classes=None, num_labels=None, threshold=0.5, ignore_index=None):
    """torchmetrics' format + update steps transcribed to NumPy with torch's dtype rules
    (no validation): used for the inputs the fast paths leave out, and by the tests."""
    if task == "binary":
        p, t = preds.values.reshape(-1), target.values.reshape(-1)
        p_tag = preds.tag
        if ignore_index is not None:
            keep = ~equals_scalar(t, target.tag, ignore_index)
            p, t = _select(p, keep), t[keep]
        if is_float(p_tag):
            p, p_tag = positives(p, p_tag, threshold, outside_unit(p)), "bool"
        mapping, tag = times_scalar(t, target.tag, 2)
        mapping, tag = add(mapping, tag, p, p_tag)
        return _bincount(to_long(mapping, tag).reshape(-1), 4, (2, 2))
    if task == "multiclass":
        p, p_tag = preds.values, preds.tag
        if p.ndim == target.values.ndim + 1:
            p, p_tag = _argmax_dim1(p, p_tag), "int64"
        p, t = p.reshape(-1), target.values.reshape(-1)
        if ignore_index is not None:
            keep = ~equals_scalar(t, target.tag, ignore_index)
            p, t = _select(p, keep), t[keep]
        integral = isinstance(num_classes, numbers.Integral)
        factor = np.int64(int(num_classes)) if integral else np.float32(num_classes)
        with np.errstate(over="ignore", invalid="ignore"):
            scaled = to_long(t, target.tag) * factor
        mapping, _ = add(scaled, "int64" if integral else "float32", to_long(p, p_tag), "int64")
        if not integral:
            raise TypeError(f"bincount(): argument 'minlength' must be int, not {type(num_classes).__name__}")
        if not _size(num_classes):  # a bool: torch counts, then refuses it as a size
            _check_bincount_input(mapping)
            raise TypeError("reshape() takes 1 positional argument but 2 were given")
        num_classes = int(num_classes)
        return _bincount(mapping.reshape(-1), num_classes * num_classes, (num_classes, num_classes))
    # multilabel
    p, p_tag = preds.values, preds.tag
    if is_float(p_tag):
        p, p_tag = positives(p, p_tag, threshold, outside_unit(p)), "bool"
    p = _labels_last(p, num_labels)
    t = _labels_last(target.values, num_labels)
    num_labels = int(num_labels)
    if ignore_index is not None:
        hidden = equals_scalar(t, target.tag, ignore_index)
        if p.shape != hidden.shape:
            raise IndexError(f"The shape of the mask [{hidden.shape[0]}, {num_labels}] at index 0 does not match "
                             f"the shape of the indexed tensor [{p.shape[0]}, {num_labels}] at index 0")
        p, t = p.copy(), t.copy()
        p[hidden] = round_to(-4 * num_labels, p_tag)
        t[hidden] = round_to(-4 * num_labels, target.tag)
    mapping, tag = times_scalar(t, target.tag, 2)
    mapping, tag = add(mapping, tag, p, p_tag)
    mapping, tag = add(mapping, tag, 4 * np.arange(num_labels, dtype=np.int64), "int64")
    mapping = mapping.reshape(-1)
    mapping = mapping[mapping >= 0]
    if is_float(tag):
        name = {"float16": "Half", "bfloat16": "BFloat16", "float32": "Float", "float64": "Double"}[tag]
        raise NotImplementedError(f"\"bincount_cpu\" not implemented for '{name}'")
    return _bincount(mapping, 4 * num_labels, (num_labels, 2, 2))
