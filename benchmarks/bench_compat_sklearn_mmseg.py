"""Speed of the scikit-learn and mmseg compat profiles against the core fastiou call each wraps.

For every compat function: its best time, the best time of the core call it wraps on the
same input (same run, alternating), and the ratio compat / core. Best of N rather than the
median: on a shared machine the other jobs only ever add time, so the minimum is the figure
that repeats. The target is a ratio
of at most 1.2 on the common input (small non-negative integer labels). Lines marked
"encoded" time label values that are not small non-negative integers: the compat profile
first encodes them (``np.unique`` and a search), which the ratio shows.

Run: ``python benchmarks/bench_compat_sklearn_mmseg.py [--quick]``.
"""

import argparse
import time

import numpy as np

import fastiou
from fastiou.compat import mmseg, sklearn
from fastiou.evaluate._bench import cpu_model
from fastiou.segmentation._core import count_pairs

N_PIXELS = 1 << 22          # 4M labels per call (e.g. two 1024x2048 maps)
CLASSES = 19
ERROR_RATE = 0.1


def labels(n, dtype="uint8", offset=0, seed=0):
    rng = np.random.default_rng(seed)
    truth = rng.integers(0, CLASSES, n)
    pred = np.where(rng.random(n) < ERROR_RATE, rng.integers(0, CLASSES, n), truth)
    return (truth + offset).astype(dtype), (pred + offset).astype(dtype)


def segmentation_maps(n_images, shape=(512, 1024), seed=1):
    rng = np.random.default_rng(seed)
    pairs = []
    for _ in range(n_images):
        truth = rng.integers(0, CLASSES, shape).astype(np.uint8)
        truth[rng.random(shape) < 0.05] = 255
        pred = np.where(rng.random(shape) < ERROR_RATE, rng.integers(0, CLASSES, shape), truth).astype(np.int64)
        pairs.append((pred, truth))
    return pairs


def best_pair(compat_call, core_call, repeats):
    """Best seconds of the two calls, run alternately after a warm-up of each."""
    calls = [(compat_call, []), (core_call, [])] if core_call is not None else [(compat_call, [])]
    for call, _ in calls:
        call()
    for _ in range(repeats):
        for call, times in calls:
            start = time.perf_counter()
            call()
            times.append(time.perf_counter() - start)
    best = [min(times) for _, times in calls]
    return best[0], (best[1] if len(best) > 1 else None)


def cases(n):
    truth, pred = labels(n)
    truth64, pred64 = labels(n, "int64")
    far_truth, far_pred = labels(n, "int64", offset=31330)
    weights = np.random.default_rng(2).random(n)
    indicator_truth = np.random.default_rng(3).random((n // 8, 8)) < 0.3
    indicator_pred = indicator_truth ^ (np.random.default_rng(4).random((n // 8, 8)) < 0.1)
    encoded = np.searchsorted(np.arange(31330, 31330 + CLASSES), far_truth), \
        np.searchsorted(np.arange(31330, 31330 + CLASSES), far_pred)
    maps = segmentation_maps(4)
    pred_map, label_map = maps[0]

    def core_maps():
        for p, t in maps:
            count_pairs(t, p, CLASSES, ignore_index=255, out_of_range="miss")

    per_image = [mmseg.intersect_and_union(p, t, CLASSES, 255) for p, t in maps]
    return [
        ("sklearn.confusion_matrix uint8", lambda: sklearn.confusion_matrix(truth, pred),
         lambda: fastiou.confusion_matrix(truth, pred, CLASSES)),
        ("sklearn.confusion_matrix int64", lambda: sklearn.confusion_matrix(truth64, pred64),
         lambda: fastiou.confusion_matrix(truth64, pred64, CLASSES)),
        ("sklearn.confusion_matrix weights", lambda: sklearn.confusion_matrix(truth, pred, sample_weight=weights),
         lambda: fastiou.confusion_matrix(truth, pred, CLASSES, sample_weight=weights)),
        ("sklearn.confusion_matrix labels=", lambda: sklearn.confusion_matrix(truth, pred, labels=[3, 1, 2]),
         lambda: fastiou.confusion_matrix(truth, pred, CLASSES)),
        ("sklearn.confusion_matrix normalize", lambda: sklearn.confusion_matrix(truth, pred, normalize="true"),
         lambda: fastiou.confusion_matrix(truth, pred, CLASSES)),
        ("sklearn.multilabel_confusion_matrix", lambda: sklearn.multilabel_confusion_matrix(truth, pred),
         lambda: fastiou.confusion_matrix(truth, pred, CLASSES)),
        ("sklearn.jaccard_score macro", lambda: sklearn.jaccard_score(truth, pred, average="macro"),
         lambda: fastiou.confusion_matrix(truth, pred, CLASSES)),
        ("sklearn.jaccard_score indicator", lambda: sklearn.jaccard_score(indicator_truth, indicator_pred,
                                                                          average="macro"),
         lambda: fastiou.confusion_matrix(indicator_truth, indicator_pred, 8, multilabel=True, axis=1)),
        ("sklearn.confusion_matrix encoded", lambda: sklearn.confusion_matrix(far_truth, far_pred),
         lambda: fastiou.confusion_matrix(*encoded, CLASSES)),
        ("mmseg.intersect_and_union", lambda: mmseg.intersect_and_union(pred_map, label_map, CLASSES, 255),
         lambda: count_pairs(label_map, pred_map, CLASSES, ignore_index=255, out_of_range="miss")),
        ("mmseg.eval_metrics (4 maps)", lambda: mmseg.eval_metrics([p for p, _ in maps], [t for _, t in maps],
                                                                   CLASSES, 255, ["mIoU", "mDice", "mFscore"]),
         core_maps),
        ("mmseg.mean_iou (4 maps)", lambda: mmseg.mean_iou([p for p, _ in maps], [t for _, t in maps], CLASSES, 255),
         core_maps),
        ("mmseg.pre_eval_to_metrics (4 maps)", lambda: mmseg.pre_eval_to_metrics(per_image, ["mIoU", "mFscore"]),
         None),
    ]


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--quick", action="store_true", help="a smaller input and fewer repeats")
    options = parser.parse_args(argv)
    n = N_PIXELS // 16 if options.quick else N_PIXELS
    repeats = 5 if options.quick else 31
    print(f"fastiou {fastiou.__version__}; {cpu_model()}; {__import__('os').cpu_count()} CPUs; "
          f"{n:,} labels per call (maps: 4 x 512x1024); best of {repeats}")
    print(f"{'compat function':40s} {'compat ms':>10s} {'core ms':>10s} {'ratio':>7s}")
    for name, compat_call, core_call in cases(n):
        compat_time, core_time = best_pair(compat_call, core_call, repeats)
        if core_time is None:  # arithmetic on (C,) areas: no counting call to compare with
            print(f"{name:40s} {compat_time * 1e3:10.3f} {'-':>10s} {'-':>7s}")
            continue
        print(f"{name:40s} {compat_time * 1e3:10.3f} {core_time * 1e3:10.3f} {compat_time / core_time:7.2f}")


if __name__ == "__main__":
    main()
