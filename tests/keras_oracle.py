"""Run fastiou.compat.keras and the real Keras 3 (torch backend) side by side.

Every differential test builds one Keras metric and one compat metric of the same class and
arguments, replays the same calls on both (``update_state``, calling the object, ``result``,
``reset_state``) and demands the same outcome of every call: the same state matrix (dtype
and bits), the same float32 result bit for bit (NaN where Keras gives NaN), an exception of
Keras' type where Keras raises (and none where it does not), and Keras' float-weight warning
exactly where Keras warns. Keras objects are slow to build, so a test builds each reference
metric once and resets it between examples (:func:`reference_metric`).
"""

import os
import warnings

import numpy as np

os.environ.setdefault("KERAS_BACKEND", "torch")


def import_keras():
    """Keras 3 on the torch backend, or None when it (or torch) is not installed."""
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            import keras
    except Exception:  # not installed, or no usable backend
        return None
    if keras.backend.backend() != "torch":
        return None
    return keras


keras = import_keras()
CLASS_NAMES = ("IoU", "MeanIoU", "BinaryIoU", "OneHotIoU", "OneHotMeanIoU")


def as_numpy(value):
    """A Keras tensor / variable (or a compat array) as a NumPy array; bfloat16 as float32."""
    if value is None:
        return None
    if hasattr(value, "value") and not isinstance(value, np.ndarray):  # a keras Variable
        value = value.value
    if hasattr(value, "detach"):
        value = value.detach().cpu()
        if str(value.dtype) == "torch.bfloat16":
            return value.float().numpy(), "bfloat16"
        return value.numpy(), str(value.dtype).replace("torch.", "")
    array = np.asarray(value)
    name = array.dtype.name
    if name == "bfloat16":
        return array.astype(np.float32), name
    return array, name


_REFERENCES = {}


def reference_metric(class_name, kwargs):
    """A Keras metric for these arguments, built once and reset before each use.

    Building a Keras metric costs milliseconds (and numbers a global name counter), so the
    differential tests reuse one object per argument set.
    """
    key = (class_name, repr(sorted(kwargs.items())))
    metric = _REFERENCES.get(key)
    if metric is None:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metric = getattr(keras.metrics, class_name)(**kwargs)
        if len(_REFERENCES) > 2000:
            _REFERENCES.clear()
        _REFERENCES[key] = metric
    else:
        metric.reset_state()
    return metric


def outcome(metric, method, args):
    """What one call does: ``(value, exception type, float-weight warning issued)``."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        try:
            value = getattr(metric, method)(*args)
            error = None
        except Exception as exc:  # compared by type with the other library's
            value, error = None, exc
    warned = any(issubclass(w.category, UserWarning) and "int" in str(w.message)
                 and "float" in str(w.message) for w in caught)
    return value, error, warned


def state_of(metric):
    array, name = as_numpy(metric.total_cm)
    return array, name


def same_array(ours, theirs):
    """Equal dtype name and equal values (NaN equals NaN, -0.0 equals 0.0)."""
    (a, a_name), (b, b_name) = ours, theirs
    if a_name != b_name or a.shape != b.shape:
        return False
    if a.dtype.kind == "f":
        return bool(np.array_equal(a, b, equal_nan=True))
    return bool(np.array_equal(a, b))


def compare(ours, theirs, calls):
    """Replay `calls` (``(method, args)`` tuples) on both metrics; a list of mismatches."""
    problems = []
    for i, (method, args) in enumerate(calls):
        value_ours, error_ours, warned_ours = outcome(ours, method, args)
        value_theirs, error_theirs, warned_theirs = outcome(theirs, method, args)
        where = f"call {i} {method}"
        if error_theirs is not None:
            if not isinstance(error_ours, type(error_theirs)):
                problems.append(f"{where}: Keras raised {type(error_theirs).__name__}: "
                                f"{error_theirs}; fastiou gave {error_ours!r} / {value_ours!r}")
        elif error_ours is not None:
            problems.append(f"{where}: fastiou raised {type(error_ours).__name__}: {error_ours}; "
                            f"Keras gave {value_theirs!r}")
        elif method in ("result", "__call__"):
            a, b = as_numpy(value_ours), as_numpy(value_theirs)
            if not same_array(a, b):
                problems.append(f"{where}: fastiou {a[0]!r} ({a[1]}), Keras {b[0]!r} ({b[1]})")
        if warned_ours != warned_theirs and error_theirs is None:
            problems.append(f"{where}: float-weight warning fastiou={warned_ours} Keras={warned_theirs}")
        if not same_array(state_of(ours), state_of(theirs)):
            problems.append(f"{where}: state fastiou {state_of(ours)} Keras {state_of(theirs)}")
        if problems:
            break
    return problems
