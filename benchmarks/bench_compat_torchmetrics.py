"""Speed of fastiou.compat.torchmetrics against the fastiou core call each function wraps,
with torchmetrics' own time for information, measured in one run.

Usage: python benchmarks/bench_compat_torchmetrics.py [--scale 1.0] [--repeat 41] [--markdown]

Each compat function counts with one fastiou pass (``fastiou.confusion_matrix`` with the
same threshold / class axis / ignore value, or ``ConfusionMatrix.update`` for the Metric
classes) and adds torchmetrics' checks and its float32 reduction; the ratio column is the
median over rounds of compat time / core time, both timed back to back in each round on the
same inputs, so that a busy machine slows both alike. Inputs are NumPy arrays (the compat
layer takes CPU tensors without a copy); torchmetrics gets the same data as tensors, with
its default ``validate_args=True``.
"""

import argparse
import os
import statistics
import time

import numpy as np

import fastiou
from fastiou._shared._threads import resolve_n_threads
from fastiou.compat import torchmetrics as compat
from fastiou.evaluate._bench import cpu_model, median_seconds

CLASSES = 19
LABELS = 5


def workloads(scale=1.0, seed=0):
    """{name: (compat call, core call, torchmetrics call or None)} on shared inputs."""
    rng = np.random.default_rng(seed)
    batch = max(1, int(round(8 * scale)))
    shape = (batch, 512, 512)
    binary_target = rng.integers(0, 2, shape).astype(np.uint8)
    probabilities = rng.random(shape, dtype=np.float32)
    logits = rng.standard_normal(shape, dtype=np.float32)
    ignored_target = np.where(rng.random(shape) < 0.05, 255, binary_target).astype(np.uint8)
    labels_target = rng.integers(0, CLASSES, shape).astype(np.uint8)
    labels_target[rng.random(shape) < 0.05] = 255
    labels_pred = np.where(rng.random(shape) < 0.8, labels_target % CLASSES,
                           rng.integers(0, CLASSES, shape)).astype(np.uint8)
    scores_batch = max(1, batch // 2)
    scores = rng.standard_normal((scores_batch, CLASSES, 256, 512), dtype=np.float32)
    scores_target = rng.integers(0, CLASSES, (scores_batch, 256, 512)).astype(np.uint8)
    multilabel_target = rng.integers(0, 2, (batch, LABELS, 256, 256)).astype(np.uint8)
    multilabel_probabilities = rng.random((batch, LABELS, 256, 256), dtype=np.float32)

    def torch_call(function, *arrays, **options):
        try:
            import torch
            import torchmetrics.functional.classification as tmf
        except ImportError:
            return None
        tensors = [torch.from_numpy(a.astype(np.int64) if a.dtype == np.uint8 else a) for a in arrays]
        return lambda: getattr(tmf, function)(*tensors, **options)

    def core_update(inputs, num_classes, **options):
        accumulator = fastiou.ConfusionMatrix(num_classes, **options)
        return lambda: accumulator.update(*inputs)

    cases = {
        f"binary_jaccard_index, probabilities {shape}": (
            lambda: compat.binary_jaccard_index(probabilities, binary_target),
            lambda: fastiou.confusion_matrix(binary_target, probabilities, 2, threshold=0.5),
            torch_call("binary_jaccard_index", probabilities, binary_target)),
        f"binary_jaccard_index, logits {shape}": (
            lambda: compat.binary_jaccard_index(logits, binary_target),
            lambda: fastiou.confusion_matrix(binary_target, logits, 2, threshold=0.0),
            torch_call("binary_jaccard_index", logits, binary_target)),
        f"binary_jaccard_index, probabilities, ignore_index=255 {shape}": (
            lambda: compat.binary_jaccard_index(probabilities, ignored_target, ignore_index=255),
            lambda: fastiou.confusion_matrix(ignored_target, probabilities, 2, threshold=0.5, ignore_index=255),
            torch_call("binary_jaccard_index", probabilities, ignored_target, ignore_index=255)),
        f"binary_confusion_matrix, probabilities {shape}": (
            lambda: compat.binary_confusion_matrix(probabilities, binary_target),
            lambda: fastiou.confusion_matrix(binary_target, probabilities, 2, threshold=0.5),
            torch_call("binary_confusion_matrix", probabilities, binary_target)),
        f"multiclass_jaccard_index, uint8 labels, ignore_index=255 {shape}": (
            lambda: compat.multiclass_jaccard_index(labels_pred, labels_target, CLASSES, ignore_index=255),
            lambda: fastiou.confusion_matrix(labels_target, labels_pred, CLASSES, ignore_index=255),
            torch_call("multiclass_jaccard_index", labels_pred, labels_target, num_classes=CLASSES,
                       ignore_index=255)),
        f"multiclass_jaccard_index, scores {scores.shape}": (
            lambda: compat.multiclass_jaccard_index(scores, scores_target, CLASSES),
            lambda: fastiou.confusion_matrix(scores_target, scores, CLASSES, axis=1),
            torch_call("multiclass_jaccard_index", scores, scores_target, num_classes=CLASSES)),
        f"multiclass_confusion_matrix, uint8 labels, ignore_index=255 {shape}": (
            lambda: compat.multiclass_confusion_matrix(labels_pred, labels_target, CLASSES, ignore_index=255),
            lambda: fastiou.confusion_matrix(labels_target, labels_pred, CLASSES, ignore_index=255),
            torch_call("multiclass_confusion_matrix", labels_pred, labels_target, num_classes=CLASSES,
                       ignore_index=255)),
        f"multilabel_jaccard_index, probabilities {multilabel_probabilities.shape}": (
            lambda: compat.multilabel_jaccard_index(multilabel_probabilities, multilabel_target, LABELS),
            lambda: fastiou.confusion_matrix(multilabel_target, multilabel_probabilities, LABELS, multilabel=True,
                                             axis=1, threshold=0.5),
            torch_call("multilabel_jaccard_index", multilabel_probabilities, multilabel_target,
                       num_labels=LABELS)),
        f"multilabel_confusion_matrix, probabilities {multilabel_probabilities.shape}": (
            lambda: compat.multilabel_confusion_matrix(multilabel_probabilities, multilabel_target, LABELS),
            lambda: fastiou.confusion_matrix(multilabel_target, multilabel_probabilities, LABELS, multilabel=True,
                                             axis=1, threshold=0.5),
            torch_call("multilabel_confusion_matrix", multilabel_probabilities, multilabel_target,
                       num_labels=LABELS)),
    }
    jaccard = compat.MulticlassJaccardIndex(CLASSES, ignore_index=255)
    cases[f"MulticlassJaccardIndex.update, uint8 labels, ignore_index=255 {shape}"] = (
        lambda: jaccard.update(labels_pred, labels_target),
        core_update((labels_target, labels_pred), CLASSES, ignore_index=255),
        None)
    binary = compat.BinaryJaccardIndex()
    cases[f"BinaryJaccardIndex.forward, probabilities {shape}"] = (
        lambda: binary(probabilities, binary_target),
        lambda: fastiou.confusion_matrix(binary_target, probabilities, 2, threshold=0.5),
        None)
    return cases


def paired_times(compat_call, core_call, repeat):
    """(compat s, core s, ratio): the medians over `repeat` rounds, each round timing both
    calls back to back (in alternating order), and the median of the per-round ratios.

    On a shared machine the load changes from one round to the next; a round's two calls
    see about the same load, so the median of the per-round ratios is the steadiest
    estimate of the overhead (the separate medians and minima move more)."""
    compat_call()
    core_call()
    compat_times, core_times, ratios = [], [], []
    for round_ in range(repeat):
        pair = [compat_call, core_call] if round_ % 2 == 0 else [core_call, compat_call]
        times = []
        for function in pair:
            start = time.perf_counter()
            function()
            times.append(time.perf_counter() - start)
        compat_s, core_s = times if round_ % 2 == 0 else times[::-1]
        compat_times.append(compat_s)
        core_times.append(core_s)
        ratios.append(compat_s / core_s)
    return statistics.median(compat_times), statistics.median(core_times), statistics.median(ratios)


def run(scale=1.0, repeat=9):
    """Rows (workload, compat s, core s, ratio, torchmetrics s or None)."""
    rows = []
    for name, (compat_call, core_call, torch_call) in workloads(scale).items():
        compat_s, core_s, ratio = paired_times(compat_call, core_call, repeat)
        torch_s = median_seconds(torch_call, max(1, repeat // 5)) if torch_call else None
        rows.append((name, compat_s, core_s, ratio, torch_s))
    return rows


def format_rows(rows, markdown=False):
    header = ("workload", "compat", "core call", "ratio", "torchmetrics")
    lines = []
    cells = [(n, f"{c * 1e3:.2f} ms", f"{k * 1e3:.2f} ms", f"{r:.2f}x",
              "-" if t is None else f"{t * 1e3:.1f} ms") for n, c, k, r, t in rows]
    if markdown:
        lines.append("| " + " | ".join(header) + " |")
        lines.append("|" + "---|" * len(header))
        lines.extend("| " + " | ".join(row) + " |" for row in cells)
    else:
        widths = [max(len(str(x)) for x in column) for column in zip(header, *cells)]
        for row in (header, *cells):
            lines.append("  ".join(str(x).ljust(w) for x, w in zip(row, widths)))
    return "\n".join(lines)


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--scale", type=float, default=1.0, help="batch size factor (1.0: 8 images)")
    parser.add_argument("--repeat", type=int, default=41)
    parser.add_argument("--markdown", action="store_true")
    args = parser.parse_args(argv)
    threads = resolve_n_threads(None)
    load = os.getloadavg()[0] if hasattr(os, "getloadavg") else float("nan")
    print(f"CPU: {cpu_model()}; nproc = {os.cpu_count()}; fastiou threads = {threads}; "
          f"load average {load:.1f}; medians of {args.repeat} rounds (ratio: median of per-round ratios)")
    rows = run(args.scale, args.repeat)
    print(format_rows(rows, args.markdown))
    print(f"worst ratio: {max(r for _, _, _, r, _ in rows):.2f}x")


if __name__ == "__main__":
    main()
