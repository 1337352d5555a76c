"""Box, rotated-box and mask IoU: fastiou against NumPy and the peers, measured in one run.

Run: ``python benchmarks/bench_boxes.py [--threads 2] [--repeat 15]``. Prints the CPU model,
the number of CPUs and threads, then one row per workload and competitor: median time and
how many times slower than fastiou it is. Peers that are not installed are skipped
(``pip install cython-bbox pycocotools shapely torch==2.13.0``).
"""

import argparse
import os
import platform

import numpy as np

import fastiou
from fastiou.evaluate._bench import cpu_model, median_seconds


def detection_boxes(rng, n, image=1000.0):
    """xyxy float32 boxes: corners uniform over the image, sizes 10 to 200 pixels."""
    xy = rng.uniform(0, image, (n, 2))
    wh = rng.uniform(10, 200, (n, 2))
    return np.hstack([xy, xy + wh]).astype(np.float32)


def numpy_broadcast_iou(a, b):
    """The NumPy snippet everyone writes (torchvision's formula with broadcasting)."""
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = np.maximum(a[:, None, :2], b[None, :, :2])
    rb = np.minimum(a[:, None, 2:], b[None, :, 2:])
    wh = np.clip(rb - lt, 0, None)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area_a[:, None] + area_b[None, :] - inter)


def torch_broadcast_iou(torch, a, b):
    area_a = (a[:, 2] - a[:, 0]) * (a[:, 3] - a[:, 1])
    area_b = (b[:, 2] - b[:, 0]) * (b[:, 3] - b[:, 1])
    lt = torch.max(a[:, None, :2], b[:, :2])
    rb = torch.min(a[:, None, 2:], b[:, 2:])
    wh = (rb - lt).clamp(min=0)
    inter = wh[..., 0] * wh[..., 1]
    return inter / (area_a[:, None] + area_b - inter)


def threads_label(count):
    """fastiou's rows state the argument: below 2**16 pairs a thread the call runs on fewer;
    None is the default call (OpenMP's default thread count), the one users make."""
    return "default n_threads" if count is None else f"n_threads={count}"


def report(title, rows, repeat):
    print(f"\n{title}")
    base = rows[0][1]
    for name, seconds in rows:
        ratio = seconds / base
        print(f"  {name:<46s} {seconds * 1e3:10.3f} ms   {ratio:7.2f}x fastiou's time")


def bench_boxes(n, threads, repeat, single_thread_rows=False):
    """fastiou's box IoU against NumPy and the peers on `n` x `n` detection boxes.

    cython_bbox takes only float64 and adds 1 to every width and height, so fastiou is
    also timed on the same float64 arrays with ``offset=1`` (the same computation, value
    for value) and that pair of rows is stated apart. `single_thread_rows` adds fastiou
    on one thread."""
    rng = np.random.default_rng(0)
    a, b = detection_boxes(rng, n), detection_boxes(rng, n)
    a64, b64 = a.astype(np.float64), b.astype(np.float64)
    thread_counts = [None, threads] + ([1] if single_thread_rows and threads != 1 else [])
    rows = []
    for count in thread_counts:
        rows.append((f"fastiou.box_iou float32 ({threads_label(count)})",
                     median_seconds(lambda: fastiou.box_iou(a, b, n_threads=count), repeat)))
    same_input = {}
    for count in thread_counts:
        name = f"fastiou.box_iou float64 offset=1 ({threads_label(count)})"
        same_input[name] = median_seconds(
            lambda: fastiou.box_iou(a64, b64, offset=1, n_threads=count), repeat)
        rows.append((name, same_input[name]))
    if n <= 2000:
        rows.append(("NumPy broadcasting float32",
                     median_seconds(lambda: numpy_broadcast_iou(a, b), repeat)))
    cython_bbox_seconds = None
    try:
        import cython_bbox
        cython_bbox_seconds = median_seconds(lambda: cython_bbox.bbox_overlaps(a64, b64), repeat)
        rows.append(("cython_bbox.bbox_overlaps float64 (+1)", cython_bbox_seconds))
    except ImportError:
        pass
    try:
        import torch
        torch.set_num_threads(threads)
        ta, tb = torch.from_numpy(a), torch.from_numpy(b)
        rows.append((f"torch broadcasting float32 ({threads} threads)",
                     median_seconds(lambda: torch_broadcast_iou(torch, ta, tb), repeat)))
    except ImportError:
        pass
    try:
        from pycocotools import mask as mask_utils
        xywh_a = fastiou.box_convert(a64, "xyxy", "xywh")
        xywh_b = fastiou.box_convert(b64, "xyxy", "xywh")
        crowd = [0] * n
        rows.append(("pycocotools mask.iou (xywh float64)",
                     median_seconds(lambda: mask_utils.iou(xywh_a, xywh_b, crowd), repeat)))
    except ImportError:
        pass
    overlapping = float((fastiou.box_iou(a, b) > 0).mean())
    report(f"box_iou {n}x{n} xyxy ({overlapping:.1%} of pairs overlap)", rows, repeat)
    if cython_bbox_seconds is not None:
        for name, seconds in same_input.items():
            print(f"  same input as cython_bbox (float64, +1): {name}: "
                  f"{cython_bbox_seconds / seconds:.2f}x faster than cython_bbox")


def instance_masks(rng, n, size):
    """Ellipse-shaped instances of random size and position."""
    yy, xx = np.mgrid[:size, :size]
    masks = np.zeros((n, size, size), dtype=bool)
    for k in range(n):
        cy, cx = rng.uniform(0, size, 2)
        ry, rx = rng.uniform(10, size / 3, 2)
        masks[k] = ((yy - cy) / ry) ** 2 + ((xx - cx) / rx) ** 2 < 1
    return masks


def bench_masks(n, size, threads, repeat):
    rng = np.random.default_rng(1)
    a, b = instance_masks(rng, n, size), instance_masks(rng, n, size)
    rows = [(f"fastiou.mask_iou bool arrays ({threads} threads)",
             median_seconds(lambda: fastiou.mask_iou(a, b, n_threads=threads), repeat))]

    def numpy_matmul():
        fa = a.reshape(n, -1).astype(np.float32)
        fb = b.reshape(n, -1).astype(np.float32)
        inter = fa @ fb.T
        union = fa.sum(1)[:, None] + fb.sum(1)[None, :] - inter
        return inter / np.maximum(union, 1)

    rows.append(("NumPy float32 matmul of flattened masks", median_seconds(numpy_matmul, repeat)))
    try:
        from pycocotools import mask as mask_utils

        def coco():
            ra = mask_utils.encode(np.asfortranarray(a.transpose(1, 2, 0).astype(np.uint8)))
            rb = mask_utils.encode(np.asfortranarray(b.transpose(1, 2, 0).astype(np.uint8)))
            return mask_utils.iou(ra, rb, [0] * n)

        rows.append(("pycocotools encode + iou", median_seconds(coco, repeat)))
        ra = mask_utils.encode(np.asfortranarray(a.transpose(1, 2, 0).astype(np.uint8)))
        rb = mask_utils.encode(np.asfortranarray(b.transpose(1, 2, 0).astype(np.uint8)))
        rle_time = median_seconds(lambda: fastiou.mask_iou(ra, rb, n_threads=threads), repeat)
        coco_iou_time = median_seconds(lambda: mask_utils.iou(ra, rb, [0] * n), repeat)
        print(f"\n  (RLE input: fastiou.mask_iou {rle_time * 1e3:.3f} ms, pycocotools mask.iou "
              f"{coco_iou_time * 1e3:.3f} ms: {coco_iou_time / rle_time:.2f}x)")
    except ImportError:
        pass
    report(f"mask_iou {n}x{n} masks of {size}x{size}", rows, repeat)


def rotated_boxes(rng, n, image=1000.0):
    return np.column_stack([rng.uniform(0, image, (n, 2)), rng.uniform(10, 200, (n, 2)),
                            rng.uniform(-180, 180, n)])


def bench_rotated(n, threads, repeat):
    rng = np.random.default_rng(2)
    a, b = rotated_boxes(rng, n), rotated_boxes(rng, n)
    rows = [(f"fastiou.rotated_box_iou ({threads} threads)",
             median_seconds(lambda: fastiou.rotated_box_iou(a, b, n_threads=threads), repeat))]
    try:
        import shapely
    except ImportError:
        shapely = None
    if shapely is not None:
        def polygons(boxes):
            t = np.deg2rad(boxes[:, 4])
            u = np.stack([np.cos(t), -np.sin(t)], 1) * boxes[:, 2:3] / 2
            v = np.stack([np.sin(t), np.cos(t)], 1) * boxes[:, 3:4] / 2
            c = boxes[:, :2]
            return shapely.polygons(np.stack([c + u + v, c - u + v, c - u - v, c + u - v], 1))

        pa, pb = polygons(a), polygons(b)
        rows_subset = max(1, n // 50)

        def shapely_vectorised():
            inter = shapely.area(shapely.intersection(pa[:rows_subset, None], pb[None, :]))
            area_a, area_b = shapely.area(pa[:rows_subset]), shapely.area(pb)
            return inter / (area_a[:, None] + area_b[None, :] - inter)

        seconds = median_seconds(shapely_vectorised, max(3, repeat // 5)) * (n / rows_subset)
        rows.append((f"shapely 2 vectorised (timed on {rows_subset} rows, scaled)", seconds))

        def shapely_loop():
            for p in pa[: max(1, rows_subset // 4)]:
                for q in pb:
                    inter = p.intersection(q).area
                    inter / (p.area + q.area - inter)

        seconds = median_seconds(shapely_loop, 3) * (n / max(1, rows_subset // 4))
        rows.append((f"shapely Python loop (timed on {max(1, rows_subset // 4)} rows, scaled)", seconds))
    overlapping = float((fastiou.rotated_box_iou(a, b) > 0).mean())
    report(f"rotated_box_iou {n}x{n} ({overlapping:.1%} of pairs overlap)", rows, repeat)


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=15)
    args = parser.parse_args()
    print(f"fastiou {fastiou.__version__}, NumPy {np.__version__}, Python {platform.python_version()}")
    print(f"CPU: {cpu_model()}; nproc = {os.cpu_count()}; threads = {args.threads}; "
          f"OpenMP = {fastiou.openmp_enabled()}; medians of {args.repeat} runs")
    bench_boxes(2000, args.threads, args.repeat)
    bench_boxes(200, args.threads, args.repeat * 20, single_thread_rows=True)
    bench_masks(100, 512, args.threads, max(3, args.repeat // 3))
    bench_rotated(1000, args.threads, max(3, args.repeat // 3))


if __name__ == "__main__":
    main()
