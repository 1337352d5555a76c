"""Threads that never hurt: every parallel kernel with the default thread count against
``n_threads=1``, while every core is busy with a competing CPU-bound process.

    python benchmarks/bench_contention.py              # busy machine (starts the competitors)
    python benchmarks/bench_contention.py --quiet      # no competitors
    python benchmarks/bench_contention.py --only box --repeat 9

The script starts one ``python -c 'while True: pass'`` per available core itself and stops
them when it ends (also on Ctrl-C or an error). The two thread counts are timed interleaved
(default, one, default, one, ...) and the medians compared, so a change of load during the
run hits both alike. The ratio ``default / n_threads=1`` is the figure of issue 16: at most
1.3 on a busy machine (on a quiet one it shows the speed-up of the threads).
"""

from __future__ import annotations

import argparse
import os
import signal
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from typing import Any

import numpy as np

import fastiou
from fastiou._shared._openmp_info import openmp_max_threads
from fastiou._shared._threads import available_cpus
from fastiou.evaluate import demo
from fastiou.evaluate._bench import cpu_model

Kernel = Callable[[Any], object]  # called with n_threads (None = default)


@contextmanager
def competitors(count: int) -> Iterator[list[subprocess.Popen[bytes]]]:
    """`count` CPU-bound Python processes, stopped (by their process id) on leaving."""
    procs: list[subprocess.Popen[bytes]] = []
    previous = signal.getsignal(signal.SIGTERM)

    def on_term(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, on_term)
    try:
        for _ in range(count):
            procs.append(subprocess.Popen([sys.executable, "-c", "while True: pass"]))
        time.sleep(0.3)  # let them reach their loop
        yield procs
    finally:
        for proc in procs:
            proc.terminate()
        for proc in procs:
            try:
                proc.wait(timeout=5)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
        signal.signal(signal.SIGTERM, previous)


def _labels(rng: np.random.Generator, shape: tuple[int, ...], classes: int, dtype: Any,
            cell: int = 16) -> np.ndarray:
    """Piecewise-constant label maps (runs like real segmentation maps) with 5 % noise."""
    *lead, h, w = shape
    coarse = rng.integers(0, classes, (*lead, -(-h // cell), -(-w // cell)))
    maps = coarse.repeat(cell, -2).repeat(cell, -1)[..., :h, :w]
    noise = rng.random(maps.shape) < 0.05
    maps[noise] = rng.integers(0, classes, int(noise.sum()))
    return np.ascontiguousarray(maps.astype(dtype))


def _boxes(rng: np.random.Generator, n: int) -> np.ndarray:
    xy = rng.random((n, 2)) * 500
    wh = rng.random((n, 2)) * 80 + 1
    return np.concatenate([xy, xy + wh], axis=1)


def kernels(scale: float) -> list[tuple[str, Kernel]]:
    """(name, call) of every public parallel kernel, each a few tens of ms on one thread."""
    rng = np.random.default_rng(0)
    side = max(64, int(1024 * scale ** 0.5))
    t8, p8 = _labels(rng, (8, side, side), 19, np.uint8), _labels(rng, (8, side, side), 19, np.uint8)
    t32, p32 = t8.astype(np.int32), p8.astype(np.int32)
    t64, p64 = t8.astype(np.int64), p8.astype(np.int64)
    weights = rng.random(t8.shape)
    small = (4, side // 2, side // 2)
    scores = rng.standard_normal((small[0], 19, *small[1:])).astype(np.float32)
    t_small = t8[:small[0], :small[1], :small[2]].copy()
    bt = rng.random((64, side // 2, side // 2)) < 0.5
    bp = rng.random((64, side // 2, side // 2)) < 0.5
    prob = rng.random((16, side // 2, side // 2)).astype(np.float32)
    boxes1, boxes2 = _boxes(rng, int(2000 * scale ** 0.5)), _boxes(rng, int(2000 * scale ** 0.5))
    angles = rng.random((len(boxes1) // 4, 1)) * 90
    rot1 = np.concatenate([boxes1[: len(angles), :2], boxes1[: len(angles), 2:] - boxes1[: len(angles), :2], angles], 1)
    rot2 = np.concatenate([boxes2[: len(angles), :2], boxes2[: len(angles), 2:] - boxes2[: len(angles), :2], angles[::-1]], 1)
    m = max(16, int(200 * scale ** 0.5))
    masks1 = rng.random((m, 128, 128)) < 0.3
    masks2 = rng.random((m, 128, 128)) < 0.3
    # 1000 classes: the uint16 tables of several threads (a prediction 10 % off the truth)
    t1k = _labels(rng, (8, side, side), 1000, np.int32)
    p1k = t1k.copy()
    off = rng.random(t1k.shape) < 0.1
    p1k[off] = rng.integers(0, 1000, int(off.sum()))
    per_t = _labels(rng, (64, side // 4, side // 4), 19, np.int32)
    per_p = _labels(rng, (64, side // 4, side // 4), 19, np.int32)
    cm = fastiou.confusion_matrix
    return [
        ("confusion uint8 byte tables", lambda n: cm(t8, p8, 19, n_threads=n)),
        ("confusion uint8 ignore 255", lambda n: cm(t8, p8, 19, ignore_index=255, n_threads=n)),
        ("confusion int32", lambda n: cm(t32, p32, 19, n_threads=n)),
        ("confusion int64", lambda n: cm(t64, p64, 19, n_threads=n)),
        ("confusion 1000 classes int32", lambda n: cm(t1k, p1k, 1000, n_threads=n)),
        ("confusion weighted", lambda n: cm(t32, p32, 19, sample_weight=weights, n_threads=n)),
        ("confusion per_image int32", lambda n: cm(per_t, per_p, 19, per_image=True, n_threads=n)),
        ("fused argmax float32", lambda n: cm(t_small, scores, 19, axis=1, n_threads=n)),
        ("binary_iou", lambda n: fastiou.binary_iou(bt, bp, n_threads=n)),
        ("soft_iou", lambda n: fastiou.soft_iou(bt[:16], prob, n_threads=n)),
        ("box_iou", lambda n: fastiou.box_iou(boxes1, boxes2, n_threads=n)),
        ("box_iou giou", lambda n: fastiou.box_iou(boxes1, boxes2, mode="giou", n_threads=n)),
        ("rotated_box_iou", lambda n: fastiou.rotated_box_iou(rot1, rot2, n_threads=n)),
        ("mask_iou", lambda n: fastiou.mask_iou(masks1, masks2, n_threads=n)),
    ]


def eval_kernel(folder: str, scale: float) -> tuple[str, Kernel]:
    """``fastiou eval`` on demo PNG pairs: default ``--jobs`` (one per core) against ``--jobs 1``."""
    demo.make_dataset(folder, n_images=max(4, int(24 * scale)), height=512, width=1024)
    gt, pred = os.path.join(folder, "gtFine"), os.path.join(folder, "pred")
    from fastiou.evaluate.cli import main as cli_main

    def run(n_threads: Any) -> object:
        argv = [gt, pred, "-n", "19", "--ignore-index", "255", "--gt-suffix", "_gtFine_labelTrainIds",
                "--pred-suffix", "_pred", "--no-progress", "--format", "json", "--out", os.devnull]
        if n_threads is not None:
            argv += ["--jobs", str(n_threads)]
        return cli_main(["eval", *argv])

    return "fastiou eval (PNG pairs, --jobs)", run


def interleaved(kernel: Kernel, repeat: int) -> tuple[float, float]:
    """Median seconds with the default threads and with one, timed alternately."""
    kernel(None), kernel(1)  # warm-up: thread pool, caches, page faults
    default, single = [], []
    for _ in range(repeat):
        for n, times in ((None, default), (1, single)):
            start = time.perf_counter()
            kernel(n)
            times.append(time.perf_counter() - start)
    return statistics.median(default), statistics.median(single)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quiet", action="store_true", help="no competing processes")
    parser.add_argument("--competitors", type=int, default=None, help="default: one per core")
    parser.add_argument("--repeat", type=int, default=7)
    parser.add_argument("--scale", type=float, default=1.0, help="size of the inputs")
    parser.add_argument("--only", default="", help="run the kernels whose name contains this")
    parser.add_argument("--limit", type=float, default=1.3, help="highest acceptable ratio")
    args = parser.parse_args(argv)
    cores = available_cpus()
    n_busy = 0 if args.quiet else (cores if args.competitors is None else args.competitors)
    print(f"CPU: {cpu_model()}, {cores} cores, default threads {openmp_max_threads()}, "
          f"competitors: {n_busy}, load before: {os.getloadavg()[0]:.2f}")
    with tempfile.TemporaryDirectory() as folder:
        work = [k for k in kernels(args.scale) + [eval_kernel(folder, args.scale)]
                if args.only in k[0]]
        worst = 0.0
        with competitors(n_busy):
            print(f"{'kernel':34s} {'default':>10s} {'1 thread':>10s} {'ratio':>6s}")
            for name, kernel in work:
                default, single = interleaved(kernel, args.repeat)
                ratio = default / single
                worst = max(worst, ratio)
                flag = "" if args.quiet or ratio <= args.limit else "  > limit"
                print(f"{name:34s} {default * 1e3:8.2f}ms {single * 1e3:8.2f}ms {ratio:6.2f}{flag}",
                      flush=True)
        print(f"worst ratio {worst:.2f}, load after: {os.getloadavg()[0]:.2f}")
    return 0 if args.quiet or worst <= args.limit else 1


if __name__ == "__main__":
    sys.exit(main())
