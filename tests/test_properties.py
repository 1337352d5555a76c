"""Hypothesis properties of the confusion matrix and the IoU derived from it."""

import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

import fastiou
from fastiou import reference

DTYPES = st.sampled_from(["uint8", "int8", "uint16", "int16", "int32", "uint32", "int64", "uint64"])


@st.composite
def label_pairs(draw):
    num_classes = draw(st.integers(1, 12))
    dtype = draw(DTYPES)
    shape = draw(hnp.array_shapes(min_dims=1, max_dims=3, min_side=0, max_side=40))
    elements = st.integers(0, num_classes - 1)
    truth = draw(hnp.arrays(dtype, shape, elements=elements))
    pred = draw(hnp.arrays(dtype, shape, elements=elements))
    ignore = draw(st.one_of(st.none(), st.integers(0, num_classes + 2),
                            st.lists(st.integers(0, 255), max_size=3)))
    return truth, pred, num_classes, ignore


def _kept(truth, ignore):
    if ignore is None:
        return np.ones(truth.shape, bool)
    return ~np.isin(truth.astype(np.int64), np.atleast_1d(ignore))


@given(label_pairs(), st.sampled_from([1, 2, 3]))
def test_matrix_sums_to_kept_pairs_and_rows_to_truth_counts(pair, n_threads):
    truth, pred, num_classes, ignore = pair
    matrix = fastiou.confusion_matrix(truth, pred, num_classes, ignore_index=ignore, n_threads=n_threads)
    kept = _kept(truth, ignore)
    assert matrix.sum() == kept.sum()
    np.testing.assert_array_equal(matrix.sum(axis=1),
                                  np.bincount(truth[kept].astype(np.int64), minlength=num_classes))
    np.testing.assert_array_equal(matrix.sum(axis=0),
                                  np.bincount(pred[kept].astype(np.int64), minlength=num_classes))


@given(label_pairs(), st.integers(0, 10 ** 6))
def test_two_halves_add_up_to_the_whole(pair, cut_seed):
    truth, pred, num_classes, ignore = pair
    flat_t, flat_p = truth.ravel(), pred.ravel()
    cut = cut_seed % (flat_t.size + 1)
    whole = fastiou.confusion_matrix(flat_t, flat_p, num_classes, ignore_index=ignore)
    first = fastiou.confusion_matrix(flat_t[:cut], flat_p[:cut], num_classes, ignore_index=ignore)
    second = fastiou.confusion_matrix(flat_t[cut:], flat_p[cut:], num_classes, ignore_index=ignore)
    np.testing.assert_array_equal(first + second, whole)


@given(label_pairs())
def test_iou_is_in_unit_interval_and_matches_reference(pair):
    truth, pred, num_classes, ignore = pair
    iou = fastiou.per_class_iou(truth, pred, num_classes, ignore_index=ignore)
    expected = reference.iou_from_confusion(
        reference.confusion_matrix(truth, pred, num_classes, [] if ignore is None else np.atleast_1d(ignore)))
    np.testing.assert_array_equal(iou, expected)
    finite = iou[~np.isnan(iou)]
    assert ((finite >= 0) & (finite <= 1)).all()
    miou = fastiou.mean_iou(truth, pred, num_classes, ignore_index=ignore)
    expected_mean = reference.mean_iou(truth, pred, num_classes,
                                       [] if ignore is None else np.atleast_1d(ignore))
    if finite.size == 0:
        assert np.isnan(miou) and np.isnan(expected_mean)
    else:  # bit for bit the snippets' np.nanmean; the mean of the finite values up to rounding
        assert miou == expected_mean
        assert miou == pytest.approx(finite.mean(), rel=1e-15, abs=0)


@given(label_pairs(), st.data())
def test_weights_of_one_equal_counts(pair, data):
    truth, pred, num_classes, ignore = pair
    counts = fastiou.confusion_matrix(truth, pred, num_classes, ignore_index=ignore)
    weighted = fastiou.confusion_matrix(truth, pred, num_classes, ignore_index=ignore,
                                        sample_weight=np.ones(truth.shape[-1:]))
    assert weighted.dtype == np.float64
    np.testing.assert_array_equal(weighted, counts)
