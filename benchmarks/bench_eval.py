"""Benchmark of ``fastiou eval`` on Cityscapes-sized PNG label maps, all timings from one run.

    python benchmarks/bench_eval.py [--pairs 200] [--unique 20] [--skip-cityscapes] [--skip-dask]
                                    [--inflaters]

Writes `--pairs` synthetic 1024x2048 ground-truth / prediction pairs in Cityscapes label ids
(scenes from ``fastiou.demo``; `--unique` distinct scenes, copied under new names to reach
`--pairs`, which only saves generation time: every file is decoded in full each time), then
times, on the same files:

1. decoding every PNG, in a thread pool of the same size as ``fastiou eval``'s, with Pillow
   and with fastiou's own decoder (the floor: no evaluation can be faster than reading
   its input, so the bar is taken against the faster of the two; the run states which
   inflater fastiou's decoder used);
2. ``fastiou eval`` (in-process ``fastiou.cli.main``, label ids mapped to train ids; the run
   states which inflater inflated the pairs);
3. cityscapesScripts' ``evalPixelLevelSemanticLabeling.evaluateImgLists`` (the pip wheel
   ships no compiled kernel, so ``CSUPPORT`` is False and it runs its NumPy ``np.unique``
   path; the run states which);
4. ``fastiou eval --dask-scheduler`` on a ``LocalCluster`` of 2 single-threaded worker
   processes (cluster start-up not timed).

Bars (issue 5): (2) <= 1.3x (1); (3) / (2) >= 10; (4) <= 1.5x (2). Results are checked to be
equal (mean IoU and per-class IoU against cityscapesScripts; matrices between the paths).

``--inflaters`` (issue 15) then times, in rounds that take every candidate in turn (the best
of `--repeat` rounds kept), the decode alone with each inflater this installation has
(:func:`fastiou.evaluate._png.inflaters`: libdeflate and zlib-ng through imagecodecs, the standard
library's zlib) and ``fastiou eval`` with its PNG pairs inflated by each of them.
"""

import argparse
import json
import os
import shutil
import sys
import tempfile
import threading
import time
from concurrent.futures import ThreadPoolExecutor

import numpy as np

from fastiou._shared._threads import available_cpus
from fastiou.cli import main
from fastiou.evaluate import _byte_classes, _png, demo
from fastiou.evaluate._io import CITYSCAPES_TRAIN_IDS
from fastiou.evaluate._png import Scratch, inflater, read_png

HEIGHT, WIDTH = 1024, 2048
TRAIN_TO_LABEL_ID = np.zeros(256, dtype=np.uint8)  # void (255) -> 0, "unlabeled"
for label_id, train_id in CITYSCAPES_TRAIN_IDS.items():
    TRAIN_TO_LABEL_ID[train_id] = label_id


def cpu_model():
    with open("/proc/cpuinfo") as fh:
        for line in fh:
            if line.startswith("model name"):
                return line.split(":", 1)[1].strip()
    return "unknown CPU"


def write_dataset(folder, n_pairs, n_unique, seed=0):
    """Cityscapes-named label-id PNGs: gt/<name>_gtFine_labelIds.png, pred/<name>_pred.png.

    Written as 8-bit grayscale PNGs by Pillow, as cityscapesScripts' json2labelImg writes the
    real ``*_labelIds.png`` files (Pillow picks a filter per row, Paeth among them).
    """
    from PIL import Image

    rng = np.random.default_rng(seed)
    gt_dir, pred_dir = os.path.join(folder, "gt"), os.path.join(folder, "pred")
    os.makedirs(gt_dir), os.makedirs(pred_dir)
    pairs = []
    for index in range(n_pairs):
        name = f"{demo.CITIES[index % 4]}_{index:06d}_000019"
        gt = os.path.join(gt_dir, name + "_gtFine_labelIds.png")
        pred = os.path.join(pred_dir, name + "_pred.png")
        if index < n_unique:
            truth = demo.make_scene(rng, HEIGHT, WIDTH)
            prediction = demo.make_prediction(rng, truth)
            Image.fromarray(TRAIN_TO_LABEL_ID[truth]).save(gt)
            Image.fromarray(TRAIN_TO_LABEL_ID[prediction]).save(pred)
        else:
            shutil.copyfile(pairs[index % n_unique][0], gt)
            shutil.copyfile(pairs[index % n_unique][1], pred)
        pairs.append((gt, pred))
    return gt_dir, pred_dir, pairs


def pillow_decoder():
    """Decode one file with Pillow, as fastiou eval did before it had its own decoder."""
    from PIL import Image

    def decode(path):
        with Image.open(path) as image:
            np.asarray(image)

    return decode


def fastiou_decoder():
    """Decode one file with fastiou's PNG decoder into a reusable buffer per thread, as
    ``fastiou eval`` does."""
    buffers = threading.local()

    def decode(path):
        if not hasattr(buffers, "scratch"):
            buffers.scratch = Scratch()
        read_png(path, buffers.scratch)

    return decode


def decode_only(pairs, threads, decode):
    """Decode both files of every pair with `decode` in a pool of `threads`, keeping nothing."""
    def decode_pair(pair):
        for path in pair:
            decode(path)

    with ThreadPoolExecutor(threads) as pool:
        for _ in pool.map(decode_pair, pairs):
            pass


def fastiou_eval(gt_dir, pred_dir, extra=()):
    """Run the CLI in-process; return its JSON report."""
    out = os.path.join(tempfile.gettempdir(), f"fastiou-bench-{os.getpid()}.json")
    names = os.path.join(os.path.dirname(gt_dir), "class_names.txt")
    with open(names, "w") as fh:
        fh.write("\n".join(demo.CITYSCAPES_CLASSES) + "\n")
    argv = ["eval", gt_dir, pred_dir, "-n", "19", "--class-names", names, "--ignore-index", "255", "--gt-suffix",
            "_gtFine_labelIds", "--pred-suffix", "_pred", "--label-map", "cityscapes",
            "--pred-label-map", "cityscapes", "--format", "json", "--out", out, "--no-progress",
            *extra]
    if main(argv) != 0:
        raise SystemExit("fastiou eval failed")
    with open(out) as fh:
        report = json.load(fh)
    os.remove(out)
    return report


def cityscapes_eval(pairs):
    """cityscapesScripts' evaluation of the same files; returns (results, which path ran)."""
    import cityscapesscripts.evaluation.evalPixelLevelSemanticLabeling as cs

    cs.args.evalInstLevelScore = False
    cs.args.evalPixelAccuracy = False
    cs.args.JSONOutput = False
    cs.args.quiet = True
    results = cs.evaluateImgLists([p for _, p in pairs], [g for g, _ in pairs], cs.args)
    path = "compiled cEvaluatePair (CSUPPORT=True)" if cs.CSUPPORT else \
        "NumPy np.unique fallback (CSUPPORT=False: the pip wheel has no compiled kernel)"
    return results, path


def dask_eval(gt_dir, pred_dir, report, repeat, malloc_trim):
    """Best time of the CLI on a LocalCluster of 2 single-threaded worker processes.

    Dask starts workers with ``MALLOC_TRIM_THRESHOLD_=65536``, which turns off glibc's
    adaptive mmap threshold: every multi-megabyte decode buffer is then mapped and faulted
    in afresh. ``malloc_trim=False`` starts them with glibc's defaults instead.
    """
    import dask
    import distributed

    environ = dict(dask.config.get("distributed.nanny.pre-spawn-environ"))
    if not malloc_trim:
        environ.pop("MALLOC_TRIM_THRESHOLD_", None)
    with dask.config.set({"distributed.nanny.pre-spawn-environ": environ}), \
            distributed.LocalCluster(n_workers=2, threads_per_worker=1, processes=True,
                                     dashboard_address=None, silence_logs=50) as cluster:
        extra = ["--dask-scheduler", cluster.scheduler_address]
        fastiou_eval(gt_dir, pred_dir, extra)  # warm-up: workers import fastiou
        t_dask, _, dask_report = timed(fastiou_eval, gt_dir, pred_dir, extra, repeat=repeat)
    return t_dask, dask_report["confusion_matrix"] == report["confusion_matrix"]


def compare_inflaters(gt_dir, pred_dir, pairs, cores, report, repeat, pillow):
    """Decode-only and ``fastiou eval`` times with each PNG inflater, best of `repeat` rounds
    that take every candidate in turn; prints a table of ratios to the fastest decode."""
    def with_inflater(candidate, function, *args):
        old = _png._set_inflater(candidate)
        try:
            return function(*args)
        finally:
            _png._set_inflater(old)

    runs = {}  # label -> (kind, zero-argument callable)
    for candidate in _png.inflaters():
        runs[f"decode only, {candidate.name}"] = ("decode", lambda c=candidate: with_inflater(
            c, decode_only, pairs, cores, fastiou_decoder()))
        runs[f"eval, {candidate.name}"] = ("eval", lambda c=candidate: with_inflater(
            c, fastiou_eval, gt_dir, pred_dir))
    best = {label: (float("inf"), float("nan")) for label in runs}
    same = True
    for _ in range(repeat):
        for label, (kind, run) in runs.items():
            wall, cpu, result = timed(run)
            if wall < best[label][0]:
                best[label] = (wall, cpu)
            if kind == "eval":
                same = same and result["confusion_matrix"] == report["confusion_matrix"]
    fastest = min(min(t for label, (t, _) in best.items() if runs[label][0] == "decode"),
                  pillow[0])
    print(f"  inflaters, best of {repeat} interleaved rounds (Pillow's decode only "
          f"{pillow[0]:.2f} s wall); same matrices: {'yes' if same else 'NO'}")
    print(f"  {'':58s} {'wall s':>8s} {'CPU s':>8s} {'x fastest decode':>17s}")
    for label, (wall, cpu) in best.items():
        print(f"  {label:58s} {wall:8.2f} {cpu:8.2f} {wall / fastest:17.2f}")


def timed(function, *args, repeat=1):
    """Best wall-clock time of `repeat` runs, the CPU time of this process in that run, the result.

    CPU time counts the work whatever the load of the shared machine; it misses the work of
    Dask worker processes."""
    best, cpu, result = float("inf"), float("nan"), None
    for _ in range(repeat):
        start, start_cpu = time.perf_counter(), time.process_time()
        result = function(*args)
        wall = time.perf_counter() - start
        if wall < best:
            best, cpu = wall, time.process_time() - start_cpu
    return best, cpu, result


def main_bench(argv=None):
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--pairs", type=int, default=200)
    parser.add_argument("--unique", type=int, default=20)
    parser.add_argument("--repeat", type=int, default=5,
                        help="runs of the fast paths (decode alone, eval, Dask); best kept")
    parser.add_argument("--skip-cityscapes", action="store_true")
    parser.add_argument("--skip-dask", action="store_true")
    parser.add_argument("--inflaters", action="store_true",
                        help="also compare every PNG inflater: decode only and fastiou eval")
    args = parser.parse_args(argv)
    cores = available_cpus()
    print(f"fastiou eval benchmark: {args.pairs} pairs of {HEIGHT}x{WIDTH} PNG label maps "
          f"({args.unique} distinct scenes), {cores} cores, {cpu_model()}")
    with tempfile.TemporaryDirectory(prefix="fastiou-bench-eval-") as folder:
        start = time.perf_counter()
        gt_dir, pred_dir, pairs = write_dataset(folder, args.pairs, min(args.unique, args.pairs))
        print(f"  data written in {time.perf_counter() - start:.1f} s "
              f"({sum(os.path.getsize(p) for pair in pairs for p in pair) / 2**20:.0f} MiB)")
        load = os.getloadavg()[0]
        decoders = {"Pillow": pillow_decoder(), "fastiou": fastiou_decoder()}
        decode_times = {}
        for name, decode in decoders.items():
            decode_only(pairs[: min(len(pairs), 8)], cores, decode)  # warm-up: imports, page cache
            decode_times[name] = timed(decode_only, pairs, cores, decode, repeat=args.repeat)[:2]
        t_eval, cpu_eval, report = timed(fastiou_eval, gt_dir, pred_dir, repeat=args.repeat)
        threads = report["threads"]
        fastest = min(decode_times, key=lambda name: decode_times[name][0])
        t_decode, cpu_decode = decode_times[fastest]
        print(f"  load average before the runs: {load:.1f} on {cores} cores; fastiou's PNG "
              f"decoder inflates with {inflater().name}; fastiou eval inflates PNG pairs with "
              f"{_byte_classes.pair_inflate_path()}")
        print(f"  {'':38s} {'wall s':>8s} {'CPU s':>8s}")
        for name, (t_name, cpu_name) in decode_times.items():
            print(f"  {f'decode only, {name} ({cores} threads)':38s} {t_name:8.2f} {cpu_name:8.2f}")
        label = f"fastiou eval ({threads['decode_threads']} x {threads['kernel_threads']} threads)"
        print(f"  {label:38s} "
              f"{t_eval:8.2f} {cpu_eval:8.2f}   {t_eval / t_decode:.2f}x the fastest decode-only "
              f"({fastest}) in wall time, {cpu_eval / cpu_decode:.2f}x in CPU time (bar <= 1.3x)")
        print(f"  mean IoU {report['mean']['iou']:.6f}, pixel accuracy "
              f"{report['overall']['pixel_acc']:.6f}")
        if not args.skip_cityscapes:
            t_cs, cpu_cs, (cs_results, cs_path) = timed(cityscapes_eval, pairs)
            cs_iou = cs_results["averageScoreClasses"]
            ours = {c["name"]: c["iou"] for c in report["classes"]}
            differences = [abs(cs_results["classScores"][name] - value) for name, value in ours.items()
                           if value is not None and not np.isnan(cs_results["classScores"][name])]
            print(f"  {'cityscapesScripts (1 thread)':38s} {t_cs:8.2f} {cpu_cs:8.2f}   fastiou is "
                  f"{t_cs / t_eval:.1f}x faster in wall time, {cpu_cs / cpu_eval:.1f}x in CPU time "
                  f"(bar >= 10x); Pillow's decoding alone is "
                  f"{decode_times['Pillow'][1] / cpu_cs:.0%} of its CPU time")
            print(f"    path: {cs_path}")
            print(f"    its mean IoU {cs_iou:.6f}; largest per-class IoU difference "
                  f"{max(differences):.1e}, mean IoU difference {abs(cs_iou - report['mean']['iou']):.1e}")
        if args.inflaters:
            compare_inflaters(gt_dir, pred_dir, pairs, cores, report, args.repeat,
                              decode_times["Pillow"])
        if not args.skip_dask:
            for trim in (True, False):
                t_dask, same = dask_eval(gt_dir, pred_dir, report, args.repeat, malloc_trim=trim)
                label = "default" if trim else "MALLOC_TRIM_THRESHOLD_ unset"
                print(f"  {f'fastiou eval on Dask, 2 x 1 ({label})':38s} {t_dask:8.2f} {'':8s}   "
                      f"{t_dask / t_eval:.2f}x the single-process CLI (bar <= 1.5x); "
                      f"same matrix: {'yes' if same else 'NO'}")
    return 0


if __name__ == "__main__":
    sys.exit(main_bench())
