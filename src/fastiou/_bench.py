"""``fastiou bench``: speed of the confusion-matrix kernel against the NumPy reference.

The baseline is the classic ``np.bincount`` snippet (:func:`fastiou.reference.bincount_confusion_matrix`).
The workloads are deterministic synthetic label maps: blocky ground-truth regions and
predictions with about 10 % of the pixels wrong. Every timing in one table comes from the
same run, so the speed-up ratios are meaningful even on a busy machine.
"""

import platform
import statistics
import time
from dataclasses import dataclass

import numpy as np

from fastiou import reference
from fastiou._config import config_info
from fastiou._core import confusion_matrix
from fastiou._threads import resolve_n_threads


@dataclass(frozen=True)
class Workload:
    key: str
    description: str
    shape: tuple
    num_classes: int
    dtype: str
    ignore_index: "int | None" = None


WORKLOADS = (
    Workload("a", "19 classes + ignore 255, uint8, 8x1024x2048", (8, 1024, 2048), 19, "uint8", 255),
    Workload("b", "150 classes, uint8, 64x512x512", (64, 512, 512), 150, "uint8"),
    Workload("c", "1000 classes, int32, 16M pixels", (16, 1024, 1024), 1000, "int32"),
    Workload("d", "19 classes, int64, 16M pixels", (16, 1024, 1024), 19, "int64"),
)

BLOCK = 32          # side of the blocky ground-truth regions, in pixels
ERROR_RATE = 0.10   # fraction of predicted pixels replaced by a random class
IGNORE_RATE = 0.05  # fraction of ground-truth blocks set to the ignore value


def make_label_maps(workload, scale=1.0, seed=0):
    """Return deterministic ``(y_true, y_pred)`` for `workload`, its leading axis scaled by `scale`."""
    rng = np.random.default_rng(seed)
    batch = max(1, int(round(workload.shape[0] * scale)))
    height, width = workload.shape[1:]
    coarse = rng.integers(0, workload.num_classes, (batch, -(-height // BLOCK), -(-width // BLOCK)))
    if workload.ignore_index is not None:
        coarse[rng.random(coarse.shape) < IGNORE_RATE] = workload.ignore_index
    y_true = np.repeat(np.repeat(coarse, BLOCK, axis=1), BLOCK, axis=2)[:, :height, :width]
    y_true = np.ascontiguousarray(y_true, dtype=workload.dtype)
    y_pred = y_true.copy()
    if workload.ignore_index is not None:
        ignored = y_true == workload.ignore_index
        y_pred[ignored] = rng.integers(0, workload.num_classes, int(ignored.sum()))
    wrong = rng.random(y_true.shape) < ERROR_RATE
    y_pred[wrong] = rng.integers(0, workload.num_classes, int(wrong.sum()))
    return y_true, y_pred


def reference_call(workload, y_true, y_pred):
    ignore = () if workload.ignore_index is None else (workload.ignore_index,)
    return reference.bincount_confusion_matrix(y_true, y_pred, workload.num_classes, ignore)


def fastiou_call(workload, y_true, y_pred, n_threads):
    return confusion_matrix(y_true, y_pred, workload.num_classes,
                            ignore_index=workload.ignore_index, n_threads=n_threads)


def median_seconds(function, repeat):
    """Median wall time of `repeat` calls of `function` (after one untimed call)."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_model():
    """The CPU model name from /proc/cpuinfo, else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


def run(keys=None, repeat=5, scale=1.0):
    """Time every selected workload; return a list of result dicts (seconds and ratios)."""
    all_threads = resolve_n_threads(-1)
    selected = [w for w in WORKLOADS if keys is None or w.key in keys]
    # warm up: the first parallel region starts the OpenMP thread pool
    warm_true, warm_pred = make_label_maps(WORKLOADS[0], scale=0.125)
    fastiou_call(WORKLOADS[0], warm_true, warm_pred, all_threads)
    results = []
    for workload in selected:
        y_true, y_pred = make_label_maps(workload, scale=scale)
        exact = np.array_equal(reference_call(workload, y_true, y_pred),
                               fastiou_call(workload, y_true, y_pred, all_threads))
        numpy_s = median_seconds(lambda: reference_call(workload, y_true, y_pred), max(1, repeat // 2))
        one_s = median_seconds(lambda: fastiou_call(workload, y_true, y_pred, 1), repeat)
        all_s = median_seconds(lambda: fastiou_call(workload, y_true, y_pred, all_threads), repeat)
        results.append({
            "workload": workload, "pixels": y_true.size, "exact": exact, "numpy_s": numpy_s,
            "one_thread_s": one_s, "all_threads_s": all_s, "threads": all_threads,
        })
    return results


def format_table(results, markdown=False):
    """Render `results` of :func:`run` as text (bn.bench() style) or a Markdown table."""
    info = config_info()
    threads = results[0]["threads"] if results else resolve_n_threads(-1)
    header = (f"fastiou {info['fastiou']} bench: CPU {cpu_model()}, {info['available_cpus']} cores, "
              f"all threads = {threads}, OpenMP {'on' if info['openmp'] else 'OFF'}, "
              f"numpy {info['numpy']}")
    columns = ["workload", "NumPy ref", "fastiou 1 thr", "fastiou all", "speed-up 1", "speed-up all",
               "exact"]
    rows = []
    for r in results:
        rows.append([
            f"({r['workload'].key}) {r['workload'].description}",
            f"{r['numpy_s'] * 1e3:.1f} ms", f"{r['one_thread_s'] * 1e3:.2f} ms",
            f"{r['all_threads_s'] * 1e3:.2f} ms",
            f"{r['numpy_s'] / r['one_thread_s']:.1f}x", f"{r['numpy_s'] / r['all_threads_s']:.1f}x",
            "yes" if r["exact"] else "NO",
        ])
    if markdown:
        lines = [header, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines)
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c)
              for i, c in enumerate(columns)]
    lines = [header, "  ".join(c.ljust(w) for c, w in zip(columns, widths))]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)) for row in rows]
    return "\n".join(lines)


def bench(keys=None, repeat=5, scale=1.0, markdown=False, file=None):
    """Run the benchmark and print its table; return the results.

    Parameters
    ----------
    keys : iterable of str, optional
        Workloads to run (``"a"`` to ``"d"``); all by default.
    repeat : int
        Timed calls per fastiou measurement (the median is reported).
    scale : float
        Multiplies the number of images of every workload (``< 1`` for a quick run).
    markdown : bool
        Print a Markdown table (as in the README) instead of plain text.
    file : file-like, optional
        Where to print (default stdout).

    Returns
    -------
    list of dict
        Per workload: seconds for NumPy, fastiou with one thread and with all threads,
        and whether the matrices were identical.

    Examples
    --------
    >>> import fastiou._bench
    >>> results = fastiou._bench.bench(keys="a", repeat=1, scale=0.01)  # doctest: +SKIP
    """
    results = run(keys=keys, repeat=repeat, scale=scale)
    print(format_table(results, markdown=markdown), file=file, flush=True)
    return results
