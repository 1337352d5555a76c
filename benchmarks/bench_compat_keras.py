"""Speed of ``fastiou.compat.keras`` against the core fastiou call each class wraps, in one run.

Usage: python benchmarks/bench_compat_keras.py [--scale 1.0] [--repeat 7] [--keras]

For each workload the table shows the compat object's ``update_state`` + ``result`` time, the
time of the core fastiou call it wraps (``fastiou.confusion_matrix`` with the same labels,
options and weights, plus ``fastiou.metrics.iou`` of its matrix), and their ratio. The two
are timed in interleaved rounds (load on a shared machine hits both alike); the medians and
the best rounds are reported, each with its ratio. With ``--keras`` it also times Keras 3 itself (torch backend): its torch
backend counts with a Python loop over the pixels, so it is timed on a 64x64 crop and the
time is given per million pixels.

Workloads: 19 classes (+ void 255), batch of 8 uint8 label maps of 512x512 (2M pixels);
class scores / one-hot truth of (2, 256, 256, 19) float32; binary probabilities (8, 512, 512).
"""

import argparse
import os
import statistics
import time

import numpy as np

import fastiou
from fastiou import metrics
from fastiou._shared._threads import resolve_n_threads
from fastiou.compat import keras as compat
from fastiou.evaluate._bench import cpu_model

CLASSES = 19


def label_workload(scale=1.0, seed=0):
    """(truth, prediction) uint8 (B, 512, 512) with B = 8 * scale, 5 % void (255) in truth."""
    rng = np.random.default_rng(seed)
    batch = max(1, int(round(8 * scale)))
    truth = rng.integers(0, CLASSES, (batch, 512, 512)).astype(np.uint8)
    pred = np.where(rng.random(truth.shape) < 0.8, truth, rng.integers(0, CLASSES, truth.shape)).astype(np.uint8)
    truth[rng.random(truth.shape) < 0.05] = 255
    return truth, pred


def score_workload(scale=1.0, seed=1):
    """(labels uint8 (B, 256, 256), one-hot float32 and scores float32 (B, 256, 256, 19))."""
    rng = np.random.default_rng(seed)
    batch = max(1, int(round(2 * scale)))
    labels = rng.integers(0, CLASSES, (batch, 256, 256)).astype(np.uint8)
    scores = rng.random((batch, 256, 256, CLASSES), dtype=np.float32)
    one_hot = np.eye(CLASSES, dtype=np.float32)[labels]
    return labels, one_hot, scores


def probability_workload(scale=1.0, seed=2):
    rng = np.random.default_rng(seed)
    batch = max(1, int(round(8 * scale)))
    truth = rng.integers(0, 2, (batch, 512, 512)).astype(np.uint8)
    return truth, rng.random(truth.shape, dtype=np.float32)


def workloads(scale=1.0):
    """(name, compat factory, compat args, core function) for each workload."""
    truth, pred = label_workload(scale)
    labels, one_hot, scores = score_workload(scale)
    binary_truth, probabilities = probability_workload(scale)
    weights = np.random.default_rng(3).integers(0, 4, truth.shape).astype(np.int32)

    def core(*args, **kwargs):
        return lambda: metrics.iou(fastiou.confusion_matrix(*args, out_of_range="ignore", **kwargs), average="macro")

    shape = "x".join(map(str, truth.shape))
    return [
        (f"MeanIoU(19, ignore_class=255), uint8 {shape}", lambda: compat.MeanIoU(CLASSES, ignore_class=255),
         (truth, pred), core(truth, pred, CLASSES, ignore_index=255)),
        (f"MeanIoU(19, dtype='float32'), uint8 {shape}", lambda: compat.MeanIoU(CLASSES, dtype="float32"),
         (truth, pred), core(truth, pred, CLASSES)),
        (f"IoU(19, [0, 5, 11]), uint8 {shape}", lambda: compat.IoU(CLASSES, [0, 5, 11]),
         (truth, pred), core(truth, pred, CLASSES)),
        (f"MeanIoU(19), int32 weights {shape}", lambda: compat.MeanIoU(CLASSES),
         (truth, pred, weights), core(truth, pred, CLASSES, sample_weight=weights)),
        (f"MeanIoU(19, sparse_y_pred=False), {scores.shape} f32", lambda: compat.MeanIoU(CLASSES, sparse_y_pred=False),
         (labels, scores), core(labels, scores, CLASSES, axis=-1)),
        (f"OneHotMeanIoU(19), {scores.shape} f32 x2", lambda: compat.OneHotMeanIoU(CLASSES),
         (one_hot, scores), core(one_hot, scores, CLASSES, axis=-1)),
        (f"OneHotIoU(19, [1, 2]), {scores.shape} f32 x2", lambda: compat.OneHotIoU(CLASSES, [1, 2]),
         (one_hot, scores), core(one_hot, scores, CLASSES, axis=-1)),
        (f"BinaryIoU(threshold=0.5), f32 {shape}", lambda: compat.BinaryIoU(threshold=0.5),
         (binary_truth, probabilities), core(binary_truth, probabilities, 2, threshold=0.5)),
    ]


def interleaved_times(first, second, repeat):
    """Seconds of `repeat` calls of `first` and of `second`, timed alternately after one
    call of each (load on a shared machine then hits both alike)."""
    first(), second()
    times = ([], [])
    for _ in range(repeat):
        for function, bucket in zip((first, second), times):
            start = time.perf_counter()
            function()
            bucket.append(time.perf_counter() - start)
    return times


def compat_call(factory, args):
    metric = factory()

    def call():
        metric.reset_state()
        metric.update_state(*args)
        return metric.result()
    return call


def keras_per_megapixel(name, factory_args):
    """Keras' update_state + result on a 64x64 crop, in seconds per million pixels."""
    os.environ.setdefault("KERAS_BACKEND", "torch")
    import warnings

    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        import keras
    class_name, kwargs, args = factory_args
    metric = getattr(keras.metrics, class_name)(**kwargs)
    crop = tuple(a[:1, :64, :64] for a in args)
    pixels = 64 * 64

    def call():
        metric.reset_state()
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            metric.update_state(*crop)
        return metric.result()
    call()
    start = time.perf_counter()
    call()
    return (time.perf_counter() - start) / pixels * 1e6


KERAS_EQUIVALENTS = {
    0: ("MeanIoU", {"num_classes": CLASSES, "ignore_class": 255}),
    1: ("MeanIoU", {"num_classes": CLASSES, "dtype": "float32"}),
    2: ("IoU", {"num_classes": CLASSES, "target_class_ids": [0, 5, 11]}),
    3: ("MeanIoU", {"num_classes": CLASSES}),
    4: ("MeanIoU", {"num_classes": CLASSES, "sparse_y_pred": False}),
    5: ("OneHotMeanIoU", {"num_classes": CLASSES}),
    6: ("OneHotIoU", {"num_classes": CLASSES, "target_class_ids": [1, 2]}),
    7: ("BinaryIoU", {"threshold": 0.5}),
}


def run(scale=1.0, repeat=7, with_keras=False):
    rows = []
    for i, (name, factory, args, core) in enumerate(workloads(scale)):
        compat_times, core_times = interleaved_times(compat_call(factory, args), core, repeat)
        keras_s = None
        if with_keras:
            class_name, kwargs = KERAS_EQUIVALENTS[i]
            keras_s = keras_per_megapixel(name, (class_name, kwargs, args))
        pixels = int(np.prod(args[0].shape[:-1] if "OneHot" in name else args[0].shape))
        rows.append((name, compat_times, core_times, keras_s, pixels))
    return rows


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--scale", type=float, default=1.0, help="batch size factor (default 1)")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--keras", action="store_true", help="also time Keras 3 (torch backend) on a crop")
    args = parser.parse_args(argv)
    rows = run(args.scale, args.repeat, args.keras)
    print(f"fastiou {fastiou.__version__}, numpy {np.__version__}, CPU {cpu_model()}, "
          f"nproc {os.cpu_count()}, threads {resolve_n_threads(None)}, load {os.getloadavg()[0]:.1f}")
    header = (f"{'workload':56s} {'compat ms':>10s} {'core ms':>9s} {'ratio':>6s} "
              f"{'best compat':>12s} {'best core':>10s} {'ratio':>6s}")
    if args.keras:
        header += f" {'Keras s/Mpx':>12s} {'x Keras':>9s}"
    print("medians, then the best of the interleaved rounds (the less noisy on a busy machine)")
    print(header)
    for name, compat_times, core_times, keras_s, pixels in rows:
        compat_s, core_s = statistics.median(compat_times), statistics.median(core_times)
        best_compat, best_core = min(compat_times), min(core_times)
        line = (f"{name:56s} {compat_s * 1e3:10.2f} {core_s * 1e3:9.2f} {compat_s / core_s:6.2f} "
                f"{best_compat * 1e3:12.2f} {best_core * 1e3:10.2f} {best_compat / best_core:6.2f}")
        if keras_s is not None:
            line += f" {keras_s:12.2f} {keras_s * pixels / 1e6 / compat_s:9.0f}"
        print(line)


if __name__ == "__main__":
    main()
