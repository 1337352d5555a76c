"""Boundary IoU and BF score: fastiou's one-pass kernels against the per-class OpenCV path.

Run: ``python benchmarks/bench_boundary.py [--threads 2] [--repeat 5]``. Workload: a batch of
4 Cityscapes-like 1024x2048 scenes (``fastiou.demo.make_scene`` / ``make_prediction``),
19 classes, ``dilation_ratio=0.02`` (band depth 46). The OpenCV path is what
boundary-iou-api's ``mask_to_boundary`` does per class (and detectron2 would do if it eroded
each class): one padded ``cv2.erode`` per class, map and image, then the counts. Then
fastiou with 1000 classes (the same scenes with labels spread over 1000 ids) against 19:
the kernel's time follows the pixels, not the classes. The same for the BF score
(``fastiou.boundary_fscore``, tolerance 0.75 % of the diagonal, 17.2 pixels) against its
per-class OpenCV path: per class, map and image, the 4-connected perimeter (``cv2.erode``
with a cross on a zero-padded mask) and ``cv2.distanceTransform`` of the other map's
perimeter. Prints the CPU model, CPU count, threads and load average: the machine may be
shared, so compare rows of one run only.
"""

import argparse
import os
import platform

import numpy as np

import fastiou
from fastiou.evaluate._bench import cpu_model, median_seconds
from fastiou.evaluate.demo import make_prediction, make_scene
from fastiou.segmentation.bfscore import contour_counts


def opencv_boundary_counts(cv2, truth, pred, num_classes, dilation_ratio=0.02):
    """Per-class |Gb ∩ Pb|, |Gb|, |Pb| with one OpenCV erosion per class, map and image."""
    counts = np.zeros((3, num_classes), dtype=np.int64)
    kernel = np.ones((3, 3), dtype=np.uint8)
    height, width = truth.shape[1:]
    depth = max(1, int(round(dilation_ratio * np.sqrt(height ** 2 + width ** 2))))

    def band(mask):
        padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        return mask - cv2.erode(padded, kernel, iterations=depth)[1:height + 1, 1:width + 1]

    for t, p in zip(truth, pred):
        for c in range(num_classes):
            gb = band((t == c).astype(np.uint8))
            pb = band((p == c).astype(np.uint8))
            counts[:, c] += [np.count_nonzero(gb & pb), np.count_nonzero(gb), np.count_nonzero(pb)]
    return counts


def opencv_bf_counts(cv2, truth, pred, num_classes, theta):
    """Per-image (N, 4, C) BF score counts, one class at a time: perimeters by erosion with
    a cross, matches by the exact Euclidean distance transform of the other perimeter."""
    cross = cv2.getStructuringElement(cv2.MORPH_CROSS, (3, 3))
    height, width = truth.shape[1:]
    counts = np.zeros((len(truth), 4, num_classes), dtype=np.int64)

    def perimeter(mask):
        padded = cv2.copyMakeBorder(mask, 1, 1, 1, 1, cv2.BORDER_CONSTANT, value=0)
        return mask & ~cv2.erode(padded, cross)[1:height + 1, 1:width + 1]

    def near(contour):
        if not contour.any():
            return np.zeros(contour.shape, dtype=bool)
        return cv2.distanceTransform((contour == 0).astype(np.uint8), cv2.DIST_L2,
                                     cv2.DIST_MASK_PRECISE) < theta

    for image, (t, p) in enumerate(zip(truth, pred)):
        for c in range(num_classes):
            gc = perimeter((t == c).astype(np.uint8)).astype(bool)
            pc = perimeter((p == c).astype(np.uint8)).astype(bool)
            if not (gc.any() or pc.any()):
                continue
            counts[image, :, c] = [np.count_nonzero(gc), np.count_nonzero(gc & near(pc)),
                                   np.count_nonzero(pc), np.count_nonzero(pc & near(gc))]
    return counts


def bf_rows(cv2, args, truth, pred, truth_many, pred_many) -> None:
    """The BF score rows: fastiou (19 and 1000 classes) and the per-class OpenCV path."""
    theta = fastiou.bf_tolerance(1024, 2048)
    print(f"BF score, tolerance {theta:.2f} pixels (0.75 % of the diagonal):")

    def ours(t, p, c):
        return lambda: contour_counts(t, p, c, n_threads=args.threads)

    fast19 = median_seconds(ours(truth, pred, 19), args.repeat)
    fast1000 = median_seconds(ours(truth_many, pred_many, 1000), args.repeat)
    print(f"  fastiou, 19 classes                 {fast19 * 1e3:10.1f} ms")
    print(f"  fastiou, 1000 classes               {fast1000 * 1e3:10.1f} ms   "
          f"{fast1000 / fast19:5.2f}x the 19-class time")
    if cv2 is None:
        return
    expected = opencv_bf_counts(cv2, truth, pred, 19, theta)
    assert np.array_equal(contour_counts(truth, pred, 19).per_image, expected), \
        "fastiou and OpenCV disagree"
    slow = median_seconds(lambda: opencv_bf_counts(cv2, truth, pred, 19, theta),
                          max(1, args.repeat // 2))
    print(f"  OpenCV per class, 19 classes        {slow * 1e3:10.1f} ms   "
          f"{slow / fast19:5.1f}x fastiou's time (same counts checked)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--images", type=int, default=4)
    args = parser.parse_args()
    rng = np.random.default_rng(0)
    truth = np.stack([make_scene(rng, 1024, 2048) for _ in range(args.images)])
    pred = np.stack([make_prediction(rng, t) for t in truth])
    truth = np.where(truth == 255, 0, truth).astype(np.uint8)  # no void: 19 classes
    pred = np.where(pred == 255, 0, pred).astype(np.uint8)
    many = rng.permutation(1000)[:256].astype(np.uint16)  # 19 region ids spread over 1000 classes
    truth_many, pred_many = many[truth], many[pred]

    print(f"CPU: {cpu_model()}, {os.cpu_count()} CPUs, {platform.python_implementation()} "
          f"{platform.python_version()}, numpy {np.__version__}, fastiou {fastiou.__version__}, "
          f"n_threads={args.threads}, load average {os.getloadavg()[0]:.2f} (a shared machine: "
          "other processes may run; compare rows of this run only)")
    print(f"workload: {args.images} x 1024 x 2048 label maps, dilation_ratio=0.02 "
          f"(depth {fastiou.boundary_depth(1024, 2048)}), median of {args.repeat} runs")

    def ours(t, p, c):
        return lambda: fastiou.segmentation.boundary.boundary_counts(t, p, c, n_threads=args.threads)

    fast19 = median_seconds(ours(truth, pred, 19), args.repeat)
    fast1000 = median_seconds(ours(truth_many, pred_many, 1000), args.repeat)
    print(f"  fastiou, 19 classes                 {fast19 * 1e3:10.1f} ms")
    print(f"  fastiou, 1000 classes               {fast1000 * 1e3:10.1f} ms   "
          f"{fast1000 / fast19:5.2f}x the 19-class time")
    try:
        import cv2
    except ImportError:
        print("  OpenCV per class: skipped (pip install opencv-python-headless)")
        bf_rows(None, args, truth, pred, truth_many, pred_many)
        return
    expected = opencv_boundary_counts(cv2, truth, pred, 19)
    got = fastiou.segmentation.boundary.boundary_counts(truth, pred, 19)
    assert np.array_equal(np.stack(got[:3]), expected), "fastiou and OpenCV disagree"
    slow = median_seconds(lambda: opencv_boundary_counts(cv2, truth, pred, 19), max(1, args.repeat // 2))
    print(f"  OpenCV per class, 19 classes        {slow * 1e3:10.1f} ms   "
          f"{slow / fast19:5.1f}x fastiou's time (cv2 {cv2.__version__}, "
          f"{cv2.getNumThreads()} OpenCV threads; same counts checked)")
    bf_rows(cv2, args, truth, pred, truth_many, pred_many)


if __name__ == "__main__":
    main()
