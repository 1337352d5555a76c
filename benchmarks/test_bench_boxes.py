"""pytest-benchmark timings of box, rotated-box and mask IoU against NumPy and the peers.

Run: ``pytest benchmarks/test_bench_boxes.py --benchmark-only``; peers that are not
installed are skipped. ``benchmarks/bench_boxes.py`` prints the same comparisons as ratios.
"""

import numpy as np
import pytest

import fastiou

from bench_boxes import (
    detection_boxes,
    instance_masks,
    numpy_broadcast_iou,
    rotated_boxes,
    torch_broadcast_iou,
)

SIZES = [200, 2000]


@pytest.fixture(scope="module", params=SIZES, ids=lambda n: f"{n}x{n}")
def box_pair(request):
    rng = np.random.default_rng(0)
    return detection_boxes(rng, request.param), detection_boxes(rng, request.param)


def test_fastiou_box_iou(benchmark, box_pair):
    benchmark.group = f"box_iou {len(box_pair[0])}"
    benchmark(fastiou.box_iou, *box_pair)


def test_fastiou_box_giou(benchmark, box_pair):
    benchmark.group = f"box_iou {len(box_pair[0])}"
    benchmark(fastiou.box_iou, *box_pair, mode="giou")


def test_fastiou_box_iou_cython_bbox_convention(benchmark, box_pair):
    """The computation cython_bbox does: float64 input, +1 on every width and height."""
    benchmark.group = f"box_iou {len(box_pair[0])}"
    a, b = (x.astype(np.float64) for x in box_pair)
    benchmark(fastiou.box_iou, a, b, offset=1)


def test_numpy_broadcasting(benchmark, box_pair):
    benchmark.group = f"box_iou {len(box_pair[0])}"
    benchmark(numpy_broadcast_iou, *box_pair)


def test_cython_bbox(benchmark, box_pair):
    cython_bbox = pytest.importorskip("cython_bbox")
    benchmark.group = f"box_iou {len(box_pair[0])}"
    a, b = (x.astype(np.float64) for x in box_pair)
    benchmark(cython_bbox.bbox_overlaps, a, b)


def test_torch_broadcasting(benchmark, box_pair):
    torch = pytest.importorskip("torch")
    benchmark.group = f"box_iou {len(box_pair[0])}"
    a, b = (torch.from_numpy(x) for x in box_pair)
    benchmark(torch_broadcast_iou, torch, a, b)


def test_pycocotools_boxes(benchmark, box_pair):
    mask_utils = pytest.importorskip("pycocotools.mask")
    benchmark.group = f"box_iou {len(box_pair[0])}"
    a, b = (fastiou.box_convert(x.astype(np.float64), "xyxy", "xywh") for x in box_pair)
    benchmark(mask_utils.iou, a, b, [0] * len(b))


@pytest.fixture(scope="module")
def mask_pair():
    rng = np.random.default_rng(1)
    return instance_masks(rng, 100, 512), instance_masks(rng, 100, 512)


def test_fastiou_mask_iou(benchmark, mask_pair):
    benchmark.group = "mask_iou 100x100 512x512"
    benchmark(fastiou.mask_iou, *mask_pair)


def test_numpy_matmul_masks(benchmark, mask_pair):
    benchmark.group = "mask_iou 100x100 512x512"
    a, b = mask_pair

    def matmul_iou():
        fa = a.reshape(len(a), -1).astype(np.float32)
        fb = b.reshape(len(b), -1).astype(np.float32)
        inter = fa @ fb.T
        return inter / np.maximum(fa.sum(1)[:, None] + fb.sum(1)[None, :] - inter, 1)

    benchmark.pedantic(matmul_iou, rounds=3)


def test_pycocotools_masks(benchmark, mask_pair):
    mask_utils = pytest.importorskip("pycocotools.mask")
    benchmark.group = "mask_iou 100x100 512x512"
    a, b = mask_pair

    def encode_and_iou():
        ra = mask_utils.encode(np.asfortranarray(a.transpose(1, 2, 0).astype(np.uint8)))
        rb = mask_utils.encode(np.asfortranarray(b.transpose(1, 2, 0).astype(np.uint8)))
        return mask_utils.iou(ra, rb, [0] * len(b))

    benchmark(encode_and_iou)


def test_fastiou_rotated(benchmark):
    rng = np.random.default_rng(2)
    a, b = rotated_boxes(rng, 1000), rotated_boxes(rng, 1000)
    benchmark.group = "rotated 1000x1000"
    benchmark(fastiou.rotated_box_iou, a, b)
