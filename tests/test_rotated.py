"""Rotated-box IoU: agreement with shapely polygon clipping, conventions, special cases."""

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from fastiou import box_iou, rotated_box_iou

THREADS = (1, 2, 3, 7, None, -1)


def corners(box, clockwise=False, degrees=True):
    """detectron2's vertices of (cx, cy, w, h, angle), counter-clockwise on screen."""
    cx, cy, w, h, angle = box
    t = np.deg2rad(angle) if degrees else angle
    t = -t if clockwise else t
    u = np.array([np.cos(t), -np.sin(t)]) * w / 2
    v = np.array([np.sin(t), np.cos(t)]) * h / 2
    c = np.array([cx, cy])
    return [c + u + v, c - u + v, c - u - v, c + u - v]


def shapely_iou(boxes1, boxes2):
    shapely = pytest.importorskip("shapely")
    polygons1 = [shapely.Polygon(corners(b)) for b in boxes1]
    polygons2 = [shapely.Polygon(corners(b)) for b in boxes2]
    out = np.zeros((len(boxes1), len(boxes2)))
    for i, p in enumerate(polygons1):
        for j, q in enumerate(polygons2):
            inter = p.intersection(q).area
            union = p.area + q.area - inter
            out[i, j] = inter / union if union > 0 else 0.0
    return out


def random_rotated(rng, n, spread=20.0):
    return np.column_stack([rng.uniform(0, spread, n), rng.uniform(0, spread, n),
                            rng.uniform(0.5, 10, n), rng.uniform(0.5, 10, n),
                            rng.uniform(-180, 180, n)])


@pytest.fixture
def rng():
    return np.random.default_rng(2024)


def test_matches_shapely_on_random_pairs(rng):
    a, b = random_rotated(rng, 60), random_rotated(rng, 50)
    b[:10] = a[:10]                       # identical boxes
    b[10:15, 4] = a[10:15, 4] + 90        # same centre, turned a quarter
    got = rotated_box_iou(a, b)
    expected = shapely_iou(a, b)
    assert (expected > 0).mean() > 0.2
    np.testing.assert_allclose(got, expected, atol=1e-9, rtol=0)


def test_matches_shapely_far_from_the_origin(rng):
    a, b = random_rotated(rng, 20), random_rotated(rng, 20)
    shift = np.array([1e6, -1e6, 0, 0, 0])
    np.testing.assert_allclose(rotated_box_iou(a + shift, b + shift), shapely_iou(a, b), atol=1e-6)


def test_angle_conventions():
    # a long thin box at +45 degrees and two small squares on either side of its axis
    bar = [[0.0, 0.0, 10.0, 0.2, 45.0]]
    squares = [[3.0, -3.0, 1.0, 1.0, 0.0], [3.0, 3.0, 1.0, 1.0, 0.0]]
    ccw = rotated_box_iou(bar, squares)
    cw = rotated_box_iou(bar, squares, clockwise=True)
    # counter-clockwise on screen (y down): the bar's +x end goes up, to y < 0
    assert ccw[0, 0] > 0 and ccw[0, 1] == 0
    assert cw[0, 0] == 0 and cw[0, 1] > 0
    radians = np.array(bar)
    radians[:, 4] = np.deg2rad(radians[:, 4])
    np.testing.assert_allclose(rotated_box_iou(radians, squares, angle_unit="radians"), ccw, atol=1e-12)
    flipped = np.array(bar)
    flipped[:, 4] *= -1
    np.testing.assert_allclose(rotated_box_iou(flipped, squares), cw, atol=1e-12)


def test_mmcv_published_values():
    """The boxes and expected IoUs of mmcv's tests/test_ops/test_box_iou_rotated.py (4 decimals):
    radians, mmcv's default clockwise=True, and the same with negated angles and clockwise=False."""
    boxes1 = np.array([[1.0, 1.0, 3.0, 4.0, 0.5], [2.0, 2.0, 3.0, 4.0, 0.6], [7.0, 7.0, 8.0, 8.0, 0.4]],
                      dtype=np.float32)
    boxes2 = np.array([[0.0, 2.0, 2.0, 5.0, 0.3], [2.0, 1.0, 3.0, 3.0, 0.5], [5.0, 5.0, 6.0, 7.0, 0.4]],
                      dtype=np.float32)
    expected = [[0.3708, 0.4351, 0.0000], [0.1104, 0.4487, 0.0424], [0.0000, 0.0000, 0.3622]]
    got = rotated_box_iou(boxes1, boxes2, angle_unit="radians", clockwise=True)
    np.testing.assert_allclose(got, expected, atol=1e-4)
    np.testing.assert_allclose(rotated_box_iou(boxes1, boxes2, angle_unit="radians", clockwise=True,
                                               aligned=True), np.diag(expected), atol=1e-4)
    negated1, negated2 = boxes1.copy(), boxes2.copy()
    negated1[:, 4] *= -1
    negated2[:, 4] *= -1
    np.testing.assert_allclose(rotated_box_iou(negated1, negated2, angle_unit="radians"), expected, atol=1e-4)
    # the default (detectron2's direction) is a different geometry for these boxes
    assert np.abs(rotated_box_iou(boxes1, boxes2, angle_unit="radians") - expected).max() > 0.05


def test_quarter_turn_swaps_width_and_height(rng):
    a = random_rotated(rng, 15)
    turned = a.copy()
    turned[:, 2], turned[:, 3], turned[:, 4] = a[:, 3], a[:, 2], a[:, 4] + 90
    b = random_rotated(rng, 12)
    np.testing.assert_allclose(rotated_box_iou(turned, b), rotated_box_iou(a, b), atol=1e-9)


def test_zero_angle_equals_axis_aligned_iou(rng):
    a, b = random_rotated(rng, 30), random_rotated(rng, 25)
    a[:, 4] = 0
    b[:, 4] = rng.choice([0.0, 180.0, -180.0], 25)
    expected = box_iou(a[:, :4], b[:, :4], fmt="cxcywh")
    np.testing.assert_allclose(rotated_box_iou(a, b), expected, atol=1e-12)


def test_special_cases():
    boxes = np.array([
        [0, 0, 4, 2, 30],          # base
        [0, 0, 4, 2, 30],          # identical
        [0, 0, 2, 1, 30],          # nested, a quarter of the area
        [0, 0, 0, 2, 30],          # zero width
        [0, 0, 0, 0, 0],           # a point
        [100, 100, 4, 2, 30],      # disjoint
        [0, 0, -4, 2, 30],         # negative width: empty
    ], dtype=np.float64)
    iou = rotated_box_iou(boxes, boxes)
    assert iou[0, 1] == pytest.approx(1.0, abs=1e-12)
    assert iou[0, 2] == pytest.approx(0.25, abs=1e-12)
    assert (iou[3:5, :] == 0).all() and (iou[:, 3:5] == 0).all()
    assert iou[0, 5] == 0 and iou[5, 5] == pytest.approx(1.0, abs=1e-12)
    assert (iou[6] == 0).all()
    # touching on an edge and on a corner: 0
    touching = rotated_box_iou([[0, 0, 2, 2, 0]], [[2, 0, 2, 2, 0], [2, 2, 2, 2, 0], [2, 0, 2, 2, 90]])
    np.testing.assert_allclose(touching, 0, atol=1e-12)
    # a square inside its 45-degree copy: octagon-shaped intersection
    assert rotated_box_iou([[0, 0, 2, 2, 0]], [[0, 0, 2, 2, 45]])[0, 0] == pytest.approx(
        (8 * (np.sqrt(2) - 1)) / (8 - 8 * (np.sqrt(2) - 1)), abs=1e-12)


def test_non_finite_values_give_nan():
    boxes = np.array([[0, 0, 2, 2, 0], [0, 0, 2, 2, np.nan], [0, 0, np.inf, 2, 0], [np.inf, 0, 1, 1, 0]])
    got = rotated_box_iou(boxes, boxes)
    assert got[0, 0] == pytest.approx(1.0)
    assert np.isnan(got[1:]).all() and np.isnan(got[:, 1:]).all()
    assert np.isnan(rotated_box_iou(boxes, boxes, aligned=True)[1:]).all()


def test_thread_count_does_not_change_results(rng):
    a, b = random_rotated(rng, 150), random_rotated(rng, 130)
    first = rotated_box_iou(a, b, n_threads=1)
    for n_threads in THREADS:
        np.testing.assert_array_equal(rotated_box_iou(a, b, n_threads=n_threads), first)
        np.testing.assert_array_equal(rotated_box_iou(a[:130], b, aligned=True, n_threads=n_threads),
                                      np.diagonal(first))


def test_dtypes_batches_and_empty(rng):
    a, b = random_rotated(rng, 6), random_rotated(rng, 5)
    got32 = rotated_box_iou(a.astype(np.float32), b.astype(np.float32))
    assert got32.dtype == np.float32
    np.testing.assert_allclose(got32, rotated_box_iou(a.astype(np.float32).astype(np.float64), b.astype(np.float32)),
                               rtol=1e-6)
    assert rotated_box_iou(np.round(a).astype(int), b).dtype == np.float64
    batch = rotated_box_iou(np.stack([a, a[::-1]]), b)
    assert batch.shape == (2, 6, 5)
    np.testing.assert_array_equal(batch[1], rotated_box_iou(a[::-1], b))
    assert rotated_box_iou(np.zeros((0, 5)), b).shape == (0, 5)
    assert rotated_box_iou(a, np.zeros((0, 5))).shape == (6, 0)
    a_copy = a.copy()
    rotated_box_iou(a, b, clockwise=True, angle_unit="radians")
    np.testing.assert_array_equal(a, a_copy)


HALF_SIZE = st.floats(0.1, 50)
ROTATED = st.tuples(st.floats(-100, 100), st.floats(-100, 100), HALF_SIZE, HALF_SIZE, st.floats(-360, 360))


@settings(max_examples=50, deadline=None)
@given(st.lists(ROTATED, min_size=1, max_size=6), st.lists(ROTATED, min_size=1, max_size=6),
       st.floats(-360, 360), st.floats(-50, 50), st.floats(-50, 50))
def test_properties(first, second, turn, dx, dy):
    a, b = np.array(first), np.array(second)
    iou = rotated_box_iou(a, b)
    assert ((iou >= 0) & (iou <= 1)).all()
    np.testing.assert_allclose(iou, rotated_box_iou(b, a).T, atol=1e-9)
    np.testing.assert_allclose(np.diag(rotated_box_iou(a, a)), 1.0, atol=1e-9)

    def moved(boxes):
        # turn the whole scene about the origin (on screen, counter-clockwise) and shift it
        t = np.deg2rad(turn)
        x = np.cos(t) * boxes[:, 0] + np.sin(t) * boxes[:, 1]
        y = -np.sin(t) * boxes[:, 0] + np.cos(t) * boxes[:, 1]
        return np.column_stack([x + dx, y + dy, boxes[:, 2], boxes[:, 3], boxes[:, 4] + turn])

    np.testing.assert_allclose(rotated_box_iou(moved(a), moved(b)), iou, atol=1e-7)


@pytest.mark.parametrize("kwargs, error, match", [
    (dict(boxes1=np.ones((3, 4))), ValueError, r"`boxes1` must have shape \(\.\.\., N, 5\)"),
    (dict(boxes2=np.ones(5)), ValueError, "`boxes2` must have shape"),
    (dict(boxes2=np.ones((2, 5), dtype=bool)), TypeError, "`boxes2` must hold real numbers"),
    (dict(angle_unit="grad"), ValueError, "`angle_unit` must be one of 'degrees', 'radians'"),
    (dict(clockwise="yes"), TypeError, "`clockwise` must be True or False"),
    (dict(aligned=True, boxes2=np.ones((2, 5))), ValueError, "`aligned=True`"),
    (dict(n_threads=0), ValueError, "`n_threads`"),
])
def test_bad_input(kwargs, error, match):
    arguments = dict(boxes1=np.ones((3, 5)), boxes2=np.ones((3, 5)))
    arguments.update(kwargs)
    with pytest.raises(error, match=match):
        rotated_box_iou(arguments.pop("boxes1"), arguments.pop("boxes2"), **arguments)
