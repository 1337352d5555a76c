"""fastiou eval's counting of 8-bit maps under a label mapping: raw values counted into a
(V, V) matrix sized from the values seen so far, then folded through the mapping. The
oracle maps every pixel first and counts with the NumPy reference."""

import threading

import numpy as np
import pytest

from fastiou import reference
from fastiou.evaluate import _engine, _io
from fastiou.evaluate._io import EvalError

NUM_CLASSES = 5
# raw value -> class: 10..14 -> 0..4, 150 -> 3, 200 -> ignored (255); others stay as they are
MAPPING = {**{10 + c: c for c in range(NUM_CLASSES)}, 150: 3, 200: 255}


def _options(**changes):
    fields = dict(num_classes=NUM_CLASSES, ignore_index=(255,),
                  label_map=_io.as_label_mapping(MAPPING, "label_map"),
                  pred_label_map=_io.as_label_mapping(MAPPING, "pred_label_map"))
    fields.update(changes)
    return _engine.EvalOptions(**fields)


def _expected(truth, pred, options):
    mapped_truth = _engine._map_truth(truth, options)
    mapped_pred = _engine._map_pred(pred, options)
    return reference.confusion_matrix(mapped_truth.ravel(), mapped_pred.ravel(), NUM_CLASSES,
                                      list(options.ignore_index))


def _in_new_thread(function):
    """Run `function` in a fresh thread (fresh thread-local state); return its result."""
    result = {}

    def run():
        try:
            result["value"] = function()
        except Exception as exc:  # re-raised in the calling thread
            result["error"] = exc

    thread = threading.Thread(target=run)
    thread.start()
    thread.join()
    if "error" in result:
        raise result["error"]
    return result["value"]


def test_pairs_with_new_larger_and_smaller_values_count_exactly():
    rng = np.random.default_rng(0)
    options = _options()
    # value sets: small, then larger ones (a recount each), then smaller again; 200 (ignored)
    # in the ground truth only, 150 in the predictions only
    pools = [([10, 11, 12], [10, 11]), ([10, 13, 14, 200], [12, 13]), ([11, 12], [11, 150]),
             ([10, 11, 12, 13, 14], [10, 14]), ([200, 14], [150, 14])]
    pairs = [(rng.choice(gt_values, (6, 7)).astype(np.uint8),
              rng.choice(pred_values, (6, 7)).astype(np.uint8)) for gt_values, pred_values in pools]

    def count_all():
        pair = _io.LabelPair("x", "gt.png", "pred.png")
        return [_engine._count_folded(pair, truth, pred, options, 1)[0] for truth, pred in pairs]

    for (truth, pred), matrix in zip(pairs, _in_new_thread(count_all)):
        np.testing.assert_array_equal(matrix, _expected(truth, pred, options))
        assert matrix.dtype == np.int64


@pytest.mark.parametrize("n_threads", [1, 2, 3, 7, None, -1])
def test_thread_count_does_not_change_the_counts(n_threads):
    rng = np.random.default_rng(1)
    truth = rng.choice([10, 11, 12, 13, 14, 200], (64, 80)).astype(np.uint8)
    pred = rng.choice([10, 11, 12, 13, 14], (64, 80)).astype(np.uint8)
    pair = _io.LabelPair("x", "gt.png", "pred.png")
    matrix = _in_new_thread(lambda: _engine._count_folded(pair, truth, pred, _options(), n_threads)[0])
    np.testing.assert_array_equal(matrix, _expected(truth, pred, _options()))


def test_a_value_outside_the_classes_names_the_file_even_after_smaller_pairs():
    options = _options()
    good = np.full((3, 4), 10, np.uint8)
    bad = good.copy()
    bad[1, 2] = 40  # not mapped, and not below NUM_CLASSES

    def count_both():
        _engine._count_folded(_io.LabelPair("a", "a_gt.png", "a.png"), good, good, options, 1)
        _engine._count_folded(_io.LabelPair("b", "b_gt.png", "b.png"), good, bad, options, 1)

    with pytest.raises(EvalError, match=r"b\.png has 1 pixel\(s\) with label\(s\) outside \[0, 5\): 40"):
        _in_new_thread(count_both)
