"""Speed of fastiou.compat.cityscapes against the core fastiou call each function wraps, with
cityscapesScripts' own time for information; every timing from one run.

    python benchmarks/bench_compat_cityscapes.py [--pairs 20] [--repeat 5] [--skip-cityscapes]

Writes `--pairs` Cityscapes-sized (1024 x 2048) label-id PNG pairs as Cityscapes stores them
(8-bit grayscale ``*_labelIds.png`` and 16-bit ``*_instanceIds.png``, scenes from
``fastiou.demo``; a few void ids predicted), then times, alternating the calls and keeping
the median of `--repeat` runs of each:

1. ``evaluateImgLists`` on the files without instance scores, against the engine of
   ``fastiou eval`` it wraps (``fastiou.evaluate._engine.evaluate_local`` over the 34 label ids:
   every pair decoded and counted, on every core);
2. ``evaluateImgLists`` with ``args.evalInstLevelScore`` (cityscapesScripts' default), against
   what it wraps: the three maps of each pair read by fastiou's reader and counted by
   ``fastiou.segmentation._core.count_pairs``, in the same thread pool (the instance statistics on top
   have no core counterpart);
3. ``evaluatePair`` on arrays, against ``count_pairs`` over the 34 ids on the same arrays;
4. the score functions (every class and category from a matrix), against cityscapesScripts'
   (they wrap no core call);
5. cityscapesScripts 2.3.0's ``evaluateImgLists`` on the same files (its NumPy path; the run
   states which), for information: without and with instance scores.

The target is a ratio compat / core of at most 1.2. The results are checked to be equal.
"""

import argparse
import contextlib
import os
import statistics
import sys
import tempfile
import threading
import time

import numpy as np

from fastiou._shared._threads import available_cpus
from fastiou.compat import cityscapes
from fastiou.evaluate import demo
from fastiou.evaluate._bench import cpu_model
from fastiou.evaluate._engine import EvalOptions, evaluate_local, map_in_order, thread_budget
from fastiou.evaluate._io import LabelPair, read_label_map
from fastiou.evaluate._png import Scratch
from fastiou.segmentation._core import count_pairs

HEIGHT, WIDTH = 1024, 2048
TRAIN_TO_LABEL_ID = np.zeros(256, dtype=np.uint8)  # void (255) -> 0, "unlabeled"
for label in cityscapes.labels:
    if 0 <= label.trainId < 255 and label.id >= 0 and not label.ignoreInEval:
        TRAIN_TO_LABEL_ID[label.trainId] = label.id
INSTANCE_IDS = [label.id for label in cityscapes.labels if label.hasInstances]


def scene(rng):
    """(label ids, predicted label ids, instance ids) of one Cityscapes-like image: instance
    classes cut into instances 128 columns wide, patches of void ids predicted."""
    train_ids = demo.make_scene(rng, HEIGHT, WIDTH)
    truth = TRAIN_TO_LABEL_ID[train_ids]
    pred = TRAIN_TO_LABEL_ID[demo.make_prediction(rng, train_ids)]
    for _ in range(20):  # a model's void predictions: patches of "unlabeled", "static", "parking"
        y, x = rng.integers(0, HEIGHT - 32), rng.integers(0, WIDTH - 64)
        pred[y:y + 32, x:x + 64] = rng.choice([0, 4, 9])
    instances = truth.astype(np.uint16)
    things = np.isin(truth, INSTANCE_IDS)
    columns = np.broadcast_to(np.arange(WIDTH, dtype=np.uint16) // 128, truth.shape)
    instances[things] = truth[things].astype(np.uint16) * 1000 + columns[things]
    return truth, pred, instances


def write_dataset(folder, n_pairs, seed=0):
    """``gt/<name>_gtFine_labelIds.png`` (8-bit, written by Pillow as Cityscapes' files are),
    ``gt/<name>_gtFine_instanceIds.png`` (16-bit) and ``pred/<name>_pred.png``."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(folder, "gt"))
    os.makedirs(os.path.join(folder, "pred"))
    preds, gts, arrays = [], [], []
    for index in range(n_pairs):
        truth, pred, instances = scene(rng)
        name = f"{demo.CITIES[index % 4]}_{index:06d}_000019"
        gt = os.path.join(folder, "gt", f"{name}_gtFine_labelIds.png")
        prediction = os.path.join(folder, "pred", f"{name}_pred.png")
        Image.fromarray(truth).save(gt)
        Image.fromarray(instances).save(gt.replace("labelIds", "instanceIds"))
        Image.fromarray(pred).save(prediction)
        preds.append(prediction)
        gts.append(gt)
        arrays.append((truth, pred, instances))
    return preds, gts, arrays


def one_openmp_thread():
    """A context in which OpenMP regions run on one thread (threadpoolctl), if available."""
    try:
        from threadpoolctl import threadpool_limits
    except ImportError:
        return contextlib.nullcontext()
    return threadpool_limits(limits=1, user_api="openmp")


def medians(calls, repeat):
    """Median seconds of each call, run in turn `repeat` times after one warm-up run each."""
    times = [[] for _ in calls]
    for call in calls:
        call()
    for _ in range(repeat):
        for call, spent in zip(calls, times):
            start = time.perf_counter()
            call()
            spent.append(time.perf_counter() - start)
    return [statistics.median(spent) for spent in times]


def settings(instance_level):
    args = cityscapes.CArgs()
    for name, value in vars(cityscapes.args).items():
        setattr(args, name, value)
    args.evalInstLevelScore, args.evalPixelAccuracy = instance_level, False
    args.JSONOutput, args.quiet = False, True
    return args


def core_engine(preds, gts):
    """What (1) wraps: fastiou eval's engine over the 34 label ids."""
    pairs = [LabelPair(str(i), g, p) for i, (p, g) in enumerate(zip(preds, gts))]
    return evaluate_local(pairs, EvalOptions(num_classes=34))[0].matrix


def core_read_and_count(preds, gts):
    """What (2) wraps: the three maps of each pair read and counted, in the same pool."""
    jobs, kernel_threads = thread_budget(None)
    buffers = threading.local()

    def one(pair):
        if not hasattr(buffers, "scratches"):  # reused buffers, as fastiou eval reads
            buffers.scratches = (Scratch(), Scratch(), Scratch())
        pred, gt = pair
        prediction = read_label_map(pred, scratch=buffers.scratches[0])
        truth = read_label_map(gt, scratch=buffers.scratches[1])
        read_label_map(gt.replace("labelIds", "instanceIds"), scratch=buffers.scratches[2])
        return count_pairs(truth, prediction, 34, out_of_range="ignore", n_threads=kernel_threads)

    total = np.zeros((34, 34), np.int64)
    for _, counts in map_in_order(one, list(zip(preds, gts)), jobs):
        total += counts.matrix
    return total


def row(name, compat_time, core_time=None, note=""):
    ratio = f"{compat_time / core_time:6.2f}x" if core_time else "      "
    core = f"{core_time * 1e3:9.2f}" if core_time else " " * 9
    print(f"{name:<58} {compat_time * 1e3:9.2f} {core} {ratio}  {note}")


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5)
    parser.add_argument("--skip-cityscapes", action="store_true")
    options = parser.parse_args(argv)
    jobs, kernel_threads = thread_budget(None)
    print(f"fastiou.compat.cityscapes benchmark: {options.pairs} pairs of {HEIGHT}x{WIDTH} "
          f"label-id PNGs; {available_cpus()} cores ({jobs} decoding threads x {kernel_threads} "
          f"kernel threads), {cpu_model()}; medians of {options.repeat} alternating runs")
    print(f"{'':<58} {'compat ms':>9} {'core ms':>9} {'ratio':>7}")
    with tempfile.TemporaryDirectory(prefix="fastiou-cityscapes-") as folder:
        preds, gts, arrays = write_dataset(folder, options.pairs)
        plain, with_instances = settings(False), settings(True)

        result = cityscapes.evaluateImgLists(preds, gts, plain)
        assert result["confMatrix"] == core_engine(preds, gts).tolist()
        compat_time, core_time = medians([lambda: cityscapes.evaluateImgLists(preds, gts, plain),
                                          lambda: core_engine(preds, gts)], options.repeat)
        row("1. evaluateImgLists, files, no instance scores", compat_time, core_time,
            "core: fastiou eval's engine")

        compat_time, core_time = medians(
            [lambda: cityscapes.evaluateImgLists(preds, gts, with_instances),
             lambda: core_read_and_count(preds, gts)], options.repeat)
        row("2. evaluateImgLists, files, instance scores", compat_time, core_time,
            "core: read 3 maps + count_pairs")

        truth, pred, instances = arrays[0]
        matrix = cityscapes.generateMatrix(plain)
        stats = cityscapes.generateInstanceStats(with_instances)
        cityscapes.generateMatrix(with_instances)
        with one_openmp_thread():  # waking a second thread costs more than counting a map
            compat_time, core_time = medians(
                [lambda: cityscapes.evaluatePair(pred, truth, matrix, {}, {}, plain),
                 lambda: count_pairs(truth, pred, 34, out_of_range="ignore")],
                options.repeat * 20)
            row("3. evaluatePair, arrays, no instance scores", compat_time, core_time,
                "core: count_pairs over the 34 ids; 1 OpenMP thread")
            compat_time, core_time = medians(
                [lambda: cityscapes.evaluatePair(pred, truth, matrix, stats, {}, with_instances,
                                                 instanceImg=instances),
                 lambda: count_pairs(truth, pred, 34, out_of_range="ignore")],
                options.repeat * 20)
            row("   evaluatePair, arrays, instance scores", compat_time, core_time,
                "the instance statistics have no core counterpart")

        scores = ["getIouScoreForLabel x 34", "getIouScoreForCategory x 8"]
        full = np.array(result["confMatrix"], dtype=np.ulonglong)

        def class_scores(module, args):
            return [module.getIouScoreForLabel(i, full, args) for i in range(34)]

        def category_scores(module, args):
            return [module.getIouScoreForCategory(c, full, args) for c in cityscapes.category2labels]

        timings = {"compat": medians([lambda: class_scores(cityscapes, plain),
                                      lambda: category_scores(cityscapes, plain)],
                                     options.repeat * 20)}
        if not options.skip_cityscapes:
            run_cityscapes(preds, gts, result, options, scores, timings, full, class_scores,
                           category_scores)
        else:
            for name, spent in zip(scores, timings["compat"]):
                row(f"4. {name}", spent)


def run_cityscapes(preds, gts, result, options, scores, timings, full, class_scores,
                   category_scores):
    import cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling as peer

    peer_args = settings(False)  # the functions only read its attributes
    peer.generateMatrix(peer_args)
    timings["peer"] = medians([lambda: class_scores(peer, peer_args),
                               lambda: category_scores(peer, peer_args)], options.repeat * 20)
    for name, ours, theirs in zip(scores, timings["compat"], timings["peer"]):
        row(f"4. {name}", ours, None, f"cityscapesScripts {theirs * 1e3:.3f} ms "
            f"({theirs / ours:.1f}x the compat time)")
    path = "compiled cEvaluatePair" if peer.CSUPPORT else \
        "NumPy np.unique path: the pip wheel has no compiled kernel"
    lent = not hasattr(np, "in1d")
    if lent:  # cityscapesScripts 2.3.0 calls np.in1d, which NumPy 2.4 removed
        np.in1d = lambda values, test, invert=False: np.isin(np.ravel(values), test, invert=invert)
    try:
        for instance_level in (False, True):
            peer_args = settings(instance_level)
            start = time.perf_counter()
            theirs = peer.evaluateImgLists(preds, gts, peer_args)
            spent = time.perf_counter() - start
            ours = cityscapes.evaluateImgLists(preds, gts, settings(instance_level))
            same = ours["confMatrix"] == theirs["confMatrix"] and all(
                (a == b) or (a != a and b != b) for a, b in
                zip(ours["classInstScores"].values(), theirs["classInstScores"].values()))
            label = "with" if instance_level else "without"
            row(f"5. cityscapesScripts 2.3.0, {label} instance scores (1 run)", spent, None,
                f"{path}; results equal: {same}")
    finally:
        if lent:
            del np.in1d
    assert result["averageScoreClasses"] == ours["averageScoreClasses"]


if __name__ == "__main__":
    sys.exit(main())
