"""Instance-mask IoU and COCO RLE: NumPy reference, pycocotools, properties, bad input."""

import warnings

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from fastiou import mask_iou, rle_decode, rle_encode
from fastiou import reference as ref

THREADS = (1, 2, 3, 7, None, -1)


def random_masks(rng, n, height, width):
    """Rectangles, blobs, full, empty and noise masks."""
    masks = np.zeros((n, height, width), dtype=bool)
    for k in range(n):
        kind = k % 5
        if kind == 0:
            y, x = rng.integers(0, height), rng.integers(0, width)
            masks[k, y:y + rng.integers(1, height + 1), x:x + rng.integers(1, width + 1)] = True
        elif kind == 1:
            masks[k] = rng.random((height, width)) < rng.uniform(0.05, 0.95)
        elif kind == 2:
            masks[k] = True
        elif kind == 3:
            yy, xx = np.mgrid[:height, :width]
            cy, cx, r = rng.uniform(0, height), rng.uniform(0, width), rng.uniform(1, max(height, width))
            masks[k] = (yy - cy) ** 2 + (xx - cx) ** 2 < r ** 2
        # kind 4 stays empty
    return masks


def coco_encode(masks):
    mask_utils = pytest.importorskip("pycocotools.mask")
    return mask_utils.encode(np.asfortranarray(masks.transpose(1, 2, 0).astype(np.uint8)))


@pytest.fixture
def rng():
    return np.random.default_rng(7)


@pytest.mark.parametrize("shape", [(1, 1), (3, 5), (8, 8), (17, 31), (64, 64), (33, 130)])
def test_matches_numpy_reference(rng, shape):
    a, b = random_masks(rng, 7, *shape), random_masks(rng, 6, *shape)
    b[0] = a[0]
    crowd = rng.random(6) < 0.5
    np.testing.assert_allclose(mask_iou(a, b), ref.mask_iou(a, b), rtol=1e-15)
    np.testing.assert_allclose(mask_iou(a, b, iscrowd=crowd), ref.mask_iou(a, b, crowd), rtol=1e-15)


@pytest.mark.parametrize("dtype", [np.bool_, np.uint8, np.int8, np.int32, np.uint64])
def test_mask_dtypes_and_layouts(rng, dtype):
    a, b = random_masks(rng, 5, 20, 70), random_masks(rng, 4, 20, 70)
    expected = ref.mask_iou(a, b)
    scaled_a = a.astype(dtype) * (3 if dtype not in (np.bool_,) else 1)
    np.testing.assert_allclose(mask_iou(scaled_a, b.astype(dtype)), expected, rtol=1e-15)
    transposed = np.asfortranarray(scaled_a)
    np.testing.assert_allclose(mask_iou(transposed, b[:, :, ::-1][:, :, ::-1]), expected, rtol=1e-15)
    readonly = a.copy()
    readonly.flags.writeable = False
    np.testing.assert_allclose(mask_iou(readonly, b), expected, rtol=1e-15)


def test_thread_count_does_not_change_results(rng):
    a, b = random_masks(rng, 23, 40, 50), random_masks(rng, 19, 40, 50)
    first = mask_iou(a, b, n_threads=1)
    rles = rle_encode(b)
    for n_threads in THREADS:
        np.testing.assert_array_equal(mask_iou(a, b, n_threads=n_threads), first)
        np.testing.assert_array_equal(mask_iou(a, rles, n_threads=n_threads), first)


def test_empty_and_full_masks():
    empty = np.zeros((2, 4, 4), dtype=bool)
    full = np.ones((1, 4, 4), dtype=bool)
    np.testing.assert_array_equal(mask_iou(empty, empty), 0.0)
    np.testing.assert_array_equal(mask_iou(full, full), 1.0)
    np.testing.assert_array_equal(mask_iou(empty, full, iscrowd=[True]), 0.0)
    assert mask_iou(np.zeros((0, 4, 4), dtype=bool), full).shape == (0, 1)
    assert mask_iou(full, []).shape == (1, 0)
    assert mask_iou([], rle_encode(full)).shape == (0, 1)
    assert mask_iou(np.zeros((1, 0, 5), bool), np.zeros((2, 0, 5), bool)).tolist() == [[0.0, 0.0]]


def test_input_is_not_modified(rng):
    a = random_masks(rng, 4, 10, 10).astype(np.uint8) * 7
    copy = a.copy()
    mask_iou(a, a)
    rle_encode(a)
    np.testing.assert_array_equal(a, copy)


def test_pycocotools_golden_values(rng):
    mask_utils = pytest.importorskip("pycocotools.mask")
    a, b = random_masks(rng, 11, 45, 67), random_masks(rng, 9, 45, 67)
    rle_a, rle_b = coco_encode(a), coco_encode(b)
    crowd = [int(v) for v in rng.random(9) < 0.4]
    expected = mask_utils.iou(rle_a, rle_b, crowd)
    for first in (a, rle_a):
        for second in (b, rle_b):
            np.testing.assert_allclose(mask_iou(first, second, iscrowd=crowd), expected, rtol=1e-15, atol=0)
    # counts as str (as in COCO json files) and uncompressed list counts
    as_str = [{"size": r["size"], "counts": r["counts"].decode()} for r in rle_a]
    np.testing.assert_allclose(mask_iou(as_str, b, iscrowd=crowd), expected, rtol=1e-15)
    uncompressed = [{"size": [45, 67], "counts": ref.rle_runs(m)} for m in b]
    np.testing.assert_allclose(mask_iou(rle_a, uncompressed, iscrowd=crowd), expected, rtol=1e-15)


def test_rle_round_trips_with_pycocotools(rng):
    mask_utils = pytest.importorskip("pycocotools.mask")
    masks = random_masks(rng, 10, 33, 47)
    ours, theirs = rle_encode(masks), coco_encode(masks)
    assert ours == [{"size": t["size"], "counts": t["counts"]} for t in theirs]
    np.testing.assert_array_equal(rle_decode(theirs), masks)
    with warnings.catch_warnings():  # pycocotools' own NumPy 2 deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        decoded = mask_utils.decode(ours)
    np.testing.assert_array_equal(decoded.transpose(2, 0, 1), masks)
    single = rle_encode(masks[3])
    assert single == ours[3]
    np.testing.assert_array_equal(rle_decode(single), masks[3])
    with warnings.catch_warnings():  # pycocotools' own NumPy 2 deprecation warning
        warnings.simplefilter("ignore", DeprecationWarning)
        uncompressed = mask_utils.frPyObjects({"size": [33, 47], "counts": ref.rle_runs(masks[1])}, 33, 47)
    assert uncompressed["counts"] == ours[1]["counts"]


def test_rle_matches_pure_python_reference(rng):
    masks = random_masks(rng, 8, 19, 23)
    for mask, rle in zip(masks, rle_encode(masks)):
        assert rle["counts"] == ref.rle_string(ref.rle_runs(mask))
        assert ref.rle_runs_from_string(rle["counts"]) == ref.rle_runs(mask)
        np.testing.assert_array_equal(ref.rle_decode(rle), mask)
        np.testing.assert_array_equal(rle_decode({"size": [19, 23], "counts": ref.rle_runs(mask)}), mask)


def test_large_runs_and_sizes(rng):
    """Runs longer than one 5-bit group chain and differences that go negative."""
    mask = np.zeros((300, 500), dtype=bool)
    mask[:, 200:] = True
    mask[10:20, 20:30] = True
    rle = rle_encode(mask)
    assert rle["counts"] == ref.rle_string(ref.rle_runs(mask))
    np.testing.assert_array_equal(rle_decode(rle), mask)
    assert mask_iou(mask[None], [rle])[0, 0] == 1.0


@settings(max_examples=40, deadline=None)
@given(hnp.arrays(bool, st.tuples(st.integers(1, 4), st.integers(1, 9), st.integers(1, 70))),
       st.data())
def test_properties(a, data):
    b = data.draw(hnp.arrays(bool, (data.draw(st.integers(1, 4)),) + a.shape[1:]))
    iou = mask_iou(a, b)
    assert ((iou >= 0) & (iou <= 1)).all()
    np.testing.assert_array_equal(iou, mask_iou(b, a).T)
    np.testing.assert_allclose(iou, ref.mask_iou(a, b), rtol=1e-15)
    np.testing.assert_array_equal(rle_decode(rle_encode(a)), a)
    np.testing.assert_array_equal(mask_iou(rle_encode(a), b), iou)


@pytest.mark.parametrize("masks1, masks2, kwargs, error, match", [
    (np.ones((2, 4, 4)), np.ones((2, 4, 4), bool), {}, TypeError, "`masks1` must hold bool or integer masks"),
    (np.ones((4, 4), bool), np.ones((2, 4, 4), bool), {}, ValueError, r"`masks1` must have shape \(N, H, W\)"),
    (np.ones((2, 4, 4), bool), np.ones((2, 4, 5), bool), {}, ValueError, r"`masks2` has masks of size \(4, 5\)"),
    (np.ones((2, 4, 4), bool), rle_encode(np.ones((1, 4, 5), bool)), {}, ValueError, "`masks2` has masks of size"),
    (np.ones((1, 2, 2), bool), [{"size": [2, 2]}], {}, ValueError, r"`masks2\[0\]` is missing the key 'counts'"),
    (np.ones((1, 2, 2), bool), [{"size": [2, 2], "counts": [1, 1]}], {}, ValueError,
     r"`masks2\[0\]\['counts'\]` covers 2 pixels"),
    (np.ones((1, 2, 2), bool), [{"size": [2, 2], "counts": [2, -1, 3]}], {}, ValueError, "negative run length"),
    (np.ones((1, 2, 2), bool), [{"size": [2, 2], "counts": b"0 "}], {}, ValueError, "not a valid compressed"),
    (np.ones((1, 2, 2), bool), [{"size": [2, 2], "counts": b"4c"}], {}, ValueError, "ends inside a run"),
    (np.ones((1, 2, 2), bool), [{"size": [2, 2], "counts": "04é"}], {}, ValueError, "non-ASCII"),
    (np.ones((1, 2, 2), bool), [{"size": "2x2", "counts": b"04"}], {}, ValueError, r"\['size'\]` must be"),
    (np.ones((1, 2, 2), bool), [{"size": [2, -2], "counts": b"04"}], {}, ValueError, "non-negative ints"),
    (np.ones((1, 2, 2), bool), [{"size": [2, 2], "counts": [[1, 3]]}], {}, ValueError, "flat list of ints"),
    (np.ones((1, 2, 2), bool), [{"size": [2, 2], "counts": b"04"}, "x"], {}, TypeError,
     r"`masks2\[1\]` must be a COCO RLE dict"),
    ([{"size": [2, 2], "counts": b"04"}, {"size": [3, 3], "counts": b"09"}], np.ones((1, 2, 2), bool), {},
     ValueError, "all masks of `masks1` must have one size"),
    (np.ones((1, 2, 2), bool), np.ones((3, 2, 2), bool), dict(iscrowd=[1, 0]), ValueError,
     r"`iscrowd` must have one value per mask of `masks2`"),
    (np.ones((1, 2, 2), bool), np.ones((1, 2, 2), bool), dict(iscrowd=[0.5]), TypeError, "`iscrowd` must hold bools"),
    (np.ones((1, 2, 2), bool), np.ones((1, 2, 2), bool), dict(n_threads=0), ValueError, "`n_threads`"),
])
def test_bad_input(masks1, masks2, kwargs, error, match):
    with pytest.raises(error, match=match):
        mask_iou(masks1, masks2, **kwargs)


def test_bad_input_rle_helpers():
    with pytest.raises(TypeError, match="`rles` must be a COCO RLE dict or a list"):
        rle_decode("04")
    with pytest.raises(ValueError, match=r"`rles\[0\]\['counts'\]` covers"):
        rle_decode([{"size": [2, 2], "counts": [3]}])
    with pytest.raises(TypeError, match="`masks` must hold bool or integer masks"):
        rle_encode(np.ones((2, 2), dtype=float))
    with pytest.raises(ValueError, match=r"`masks` must have shape \(N, H, W\)"):
        rle_encode(np.ones(4, dtype=bool))


def test_rle_round_trip_of_masks_with_no_pixels():
    """Found by the fuzzer: decoding RLEs of 0-pixel masks crashed in a reshape."""
    for shape in [(2, 0, 10), (3, 10, 0), (1, 0, 0)]:
        masks = np.zeros(shape, bool)
        assert rle_decode(rle_encode(masks)).shape == shape
