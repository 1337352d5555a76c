"""The box compatibility profiles against the fastiou calls they correspond to, in one run.

Run: ``python benchmarks/bench_compat_boxes.py [--n 1000] [--repeat 15]``. For every
function of ``fastiou.compat.torchvision``, ``.mmdet``, ``.cython_bbox`` and
``.pycocotools`` it prints the median time of the compat call, of the core fastiou call
that computes the same quantity (``fastiou.box_iou`` with the matching ``mode``,
``offset``, ``fmt``, ``iscrowd``; ``fastiou.mask_iou``; ``fastiou.box_area``), their ratio,
and the peer's own time for information (torchvision and mmdet run from their published
wheels' source, as the tests do, when those can be had). Compat calls get what the peer
takes (torch tensors for torchvision and mmdet, float64 arrays for cython_bbox and
pycocotools); core calls get NumPy arrays of the same dtype. The CPU model, ``nproc`` and
the load average are printed first.
"""

import argparse
import os
import sys
from pathlib import Path

import numpy as np

import fastiou
from fastiou.evaluate._bench import cpu_model, median_seconds

sys.path.insert(0, str(Path(__file__).resolve().parent))
from bench_boxes import detection_boxes, instance_masks  # noqa: E402


def _peer_modules():
    """torchvision's boxes module and mmdet's iou2d_calculator, or None each."""
    sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
    try:
        import peer_sources
    except ImportError:
        return None, None
    modules = []
    for loader in (peer_sources.torchvision_boxes, peer_sources.mmdet_iou_calculator):
        try:
            modules.append(loader())
        except BaseException:  # noqa: BLE001 - pytest.skip when a wheel cannot be had
            modules.append(None)
    return modules


def workloads(n):
    """(profile, function, compat call, core call, peer call or None[, core call on the
    compat call's own input]) rows. The last is given where the compat call takes torch
    tensors: the core call then also converts them (the core row gets NumPy arrays)."""
    rng = np.random.default_rng(0)
    a32, b32 = detection_boxes(rng, n), detection_boxes(rng, n)
    a64, b64 = a32.astype(np.float64), b32.astype(np.float64)
    xywh_a = a64.copy()
    xywh_a[:, 2:] -= xywh_a[:, :2]
    xywh_b = b64.copy()
    xywh_b[:, 2:] -= xywh_b[:, :2]
    crowd = np.zeros(n, dtype=np.uint8)
    crowd[::10] = 1
    rows = []
    from fastiou.compat import cython_bbox as cb_compat
    from fastiou.compat import pycocotools as coco_compat
    try:
        import cython_bbox
    except ImportError:
        cython_bbox = None
    try:
        from pycocotools import mask as coco
    except ImportError:
        coco = None
    rows.append(("cython_bbox", "bbox_overlaps", lambda: cb_compat.bbox_overlaps(a64, b64),
                 lambda: fastiou.box_iou(a64, b64, offset=1),
                 (lambda: cython_bbox.bbox_overlaps(a64, b64)) if cython_bbox else None))
    crowd_flags = crowd.astype(bool)
    rows.append(("pycocotools", "iou (boxes, 10 % crowd)", lambda: coco_compat.iou(xywh_a, xywh_b, crowd),
                 lambda: fastiou.box_iou(xywh_a, xywh_b, fmt="xywh", iscrowd=crowd_flags),
                 (lambda: coco.iou(xywh_a, xywh_b, crowd)) if coco else None))
    zero_crowd = np.zeros(n, dtype=np.uint8)
    rows.append(("pycocotools", "iou (boxes, no crowd)", lambda: coco_compat.iou(xywh_a, xywh_b, zero_crowd),
                 lambda: fastiou.box_iou(xywh_a, xywh_b, fmt="xywh", iscrowd=zero_crowd.astype(bool)),
                 (lambda: coco.iou(xywh_a, xywh_b, zero_crowd)) if coco else None))
    masks_a = instance_masks(rng, 100, 256)
    masks_b = instance_masks(rng, 100, 256)
    rles_a = fastiou.rle_encode(masks_a)
    rles_b = fastiou.rle_encode(masks_b)
    mask_crowd = np.zeros(100, dtype=np.uint8)
    rows.append(("pycocotools", "iou (100x100 RLE masks 256x256)",
                 lambda: coco_compat.iou(rles_a, rles_b, mask_crowd),
                 lambda: fastiou.mask_iou(rles_a, rles_b, iscrowd=mask_crowd.astype(bool)),
                 (lambda: coco.iou(rles_a, rles_b, mask_crowd)) if coco else None))
    try:
        import torch
    except ImportError:
        return rows
    from fastiou.compat import mmdet as mm_compat
    from fastiou.compat import torchvision as tv_compat
    tv, mm = _peer_modules()
    ta, tb = torch.from_numpy(a32), torch.from_numpy(b32)
    for name, core_mode, peer_name in (("box_iou", "iou", "box_iou"),
                                       ("generalized_box_iou", "giou", "generalized_box_iou"),
                                       ("distance_box_iou", "diou", "distance_box_iou"),
                                       ("complete_box_iou", "ciou", "complete_box_iou")):
        compat_fn = getattr(tv_compat, name)
        peer_fn = getattr(tv, peer_name) if tv is not None else None
        rows.append(("torchvision", f"{name} float32",
                     lambda f=compat_fn: f(ta, tb),
                     lambda m=core_mode: fastiou.box_iou(a32, b32, mode=m),
                     (lambda f=peer_fn: f(ta, tb)) if peer_fn else None,
                     lambda m=core_mode: fastiou.box_iou(ta, tb, mode=m)))
    rows.append(("torchvision", "box_area float32 (N boxes)", lambda: tv_compat.box_area(ta),
                 lambda: fastiou.box_area(a32), (lambda: tv.box_area(ta)) if tv else None,
                 lambda: fastiou.box_area(ta)))
    rows.append(("torchvision", "box_convert xywh->xyxy (N boxes)",
                 lambda: tv_compat.box_convert(ta, "xywh", "xyxy"),
                 lambda: fastiou.box_convert(a32, "xywh", "xyxy"),
                 (lambda: tv.box_convert(ta, "xywh", "xyxy")) if tv else None,
                 lambda: fastiou.box_convert(ta, "xywh", "xyxy")))
    for mode in ("iou", "iof", "giou"):
        rows.append(("mmdet", f"bbox_overlaps mode={mode} float32",
                     lambda m=mode: mm_compat.bbox_overlaps(ta, tb, m),
                     lambda m=mode: fastiou.box_iou(a32, b32, mode=m),
                     (lambda m=mode: mm.bbox_overlaps(ta, tb, m)) if mm else None,
                     lambda m=mode: fastiou.box_iou(ta, tb, mode=m)))
    rows.append(("mmdet", "bbox_overlaps is_aligned (N pairs)",
                 lambda: mm_compat.bbox_overlaps(ta, tb, is_aligned=True),
                 lambda: fastiou.box_iou(a32, b32, aligned=True),
                 (lambda: mm.bbox_overlaps(ta, tb, is_aligned=True)) if mm else None,
                 lambda: fastiou.box_iou(ta, tb, aligned=True)))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--n", type=int, default=1000, help="boxes per set (default 1000)")
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args(argv)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"CPU: {cpu_model()}; nproc = {os.cpu_count()}; load average {load:.2f}; "
          f"{args.n} x {args.n} boxes; medians of {args.repeat} calls")
    print("ratio: compat / core with NumPy arrays; same input: compat / core given the compat "
          "call's own input (torch tensors for torchvision and mmdet)")
    print(f"{'profile':<12s} {'function':<36s} {'compat':>10s} {'core':>10s} {'ratio':>7s} "
          f"{'same input':>10s} {'peer':>10s}")
    worst = 0.0
    for profile, name, compat, core, peer, *same_input in workloads(args.n):
        compat_time = median_seconds(compat, args.repeat)
        core_time = median_seconds(core, args.repeat)
        same_time = median_seconds(same_input[0], args.repeat) if same_input else core_time
        peer_time = median_seconds(peer, max(3, args.repeat // 3)) if peer else float("nan")
        ratio = compat_time / core_time
        worst = max(worst, ratio)
        print(f"{profile:<12s} {name:<36s} {compat_time * 1e3:8.3f}ms {core_time * 1e3:8.3f}ms "
              f"{ratio:6.2f}x {compat_time / same_time:9.2f}x {peer_time * 1e3:8.2f}ms")
    print(f"largest compat / core ratio: {worst:.2f}x")


if __name__ == "__main__":
    main()
