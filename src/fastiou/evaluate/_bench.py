"""``fastiou bench``: speed of the confusion-matrix kernel against the NumPy reference.

The baseline is the classic ``np.bincount`` snippet (:func:`fastiou.reference.bincount_confusion_matrix`).
The workloads are deterministic synthetic label maps: blocky ground-truth regions with about
10 % of the predicted pixels wrong, or (e) smooth regions whose prediction is shifted so that
the errors lie along the boundaries. Two more lines put numbers on what a ratio cannot show:
the read bandwidth of (d) against a plain NumPy read of the same arrays, and the cost of a
small (256x256) call against a NumPy ``.sum()`` over it. Every timing comes from the same
run, so the ratios are meaningful even on a busy machine.
"""

from __future__ import annotations

import platform
import statistics
import time
from collections.abc import Callable, Collection, Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from typing import Any, TextIO

import numpy as np
import numpy.typing as npt

from fastiou import reference
from fastiou._config import config_info
from fastiou._shared._threads import resolve_n_threads
from fastiou._shared._typing import IntArray
from fastiou.segmentation._core import confusion_matrix

_Maps = tuple[npt.NDArray[Any], npt.NDArray[Any]]


@dataclass(frozen=True)
class Workload:
    key: str
    what: str  # the description without the shape
    shape: tuple[int, int, int]
    num_classes: int
    dtype: str
    ignore_index: "int | None" = None
    smooth: bool = False

    def describe(self, shape: tuple[int, ...] | None = None) -> str:
        """``what, BxHxW`` with the `shape` actually run (default: the full-size one)."""
        return f"{self.what}, {'x'.join(str(n) for n in (shape or self.shape))}"

    @property
    def description(self) -> str:
        """The workload at its full-size shape."""
        return self.describe()


WORKLOADS = (
    Workload("a", "19 classes + ignore 255, uint8", (8, 1024, 2048), 19, "uint8", 255),
    Workload("b", "150 classes, uint8", (64, 512, 512), 150, "uint8"),
    Workload("c", "1000 classes, int32", (16, 1024, 1024), 1000, "int32"),
    Workload("d", "19 classes, int64", (16, 1024, 1024), 19, "int64"),
    Workload("e", "(a) on smooth maps, errors along boundaries", (8, 1024, 2048), 19, "uint8", 255,
             smooth=True),
)
BANDWIDTH_KEY = "d"     # the workload whose read bandwidth is compared with a NumPy read
SMALL_KEY = "s"         # the small-input line: 256x256 uint8 against NumPy's .sum()
SMALL_SHAPE = (256, 256)

BLOCK = 32          # side of the blocky ground-truth regions, in pixels
ERROR_RATE = 0.10   # fraction of predicted pixels replaced by a random class
IGNORE_RATE = 0.05  # fraction of ground-truth blocks set to the ignore value
SMOOTH_CELL = 128   # side of the smooth maps' regions before their boundaries are bent
SMOOTH_SHIFT = (3, 5)  # the smooth prediction is the truth moved by this many pixels


def make_label_maps(workload: Workload, scale: float = 1.0, seed: int = 0) -> _Maps:
    """Return deterministic ``(y_true, y_pred)`` for `workload`, its leading axis scaled by `scale`."""
    rng = np.random.default_rng(seed)
    batch = max(1, int(round(workload.shape[0] * scale)))
    height, width = workload.shape[1:]
    if workload.smooth:
        return _smooth_label_maps(rng, workload, batch, height, width)
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


def _smooth_label_maps(rng: np.random.Generator, workload: Workload, batch: int, height: int,
                       width: int) -> _Maps:
    """Large regions with wavy boundaries, the bottom eighth ignored; the prediction is the
    truth shifted by `SMOOTH_SHIFT` with one blob of a wrong class per image."""
    coarse = rng.integers(0, workload.num_classes,
                          (batch, height // SMOOTH_CELL + 2, width // SMOOTH_CELL + 2))
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    cell_row = (rows + 20 * np.sin(cols / 57.0)).astype(np.int64).clip(0) // SMOOTH_CELL
    cell_col = (cols + 20 * np.sin(rows / 43.0)).astype(np.int64).clip(0) // SMOOTH_CELL
    y_true = np.ascontiguousarray(coarse[:, cell_row % coarse.shape[1], cell_col % coarse.shape[2]],
                                  dtype=workload.dtype)
    y_pred = np.roll(y_true, SMOOTH_SHIFT, axis=(1, 2))
    if workload.ignore_index is not None:
        y_true[:, height - height // 8:, :] = workload.ignore_index
    blob = (slice(None), slice(height // 3, height // 3 + 40), slice(width // 2, width // 2 + 60))
    y_pred[blob] = (y_pred[blob].astype(np.int64) + 1) % workload.num_classes
    return y_true, y_pred


def reference_call(workload: Workload, y_true: npt.NDArray[Any], y_pred: npt.NDArray[Any]) -> IntArray:
    ignore = () if workload.ignore_index is None else (workload.ignore_index,)
    return reference.bincount_confusion_matrix(y_true, y_pred, workload.num_classes, ignore)


def fastiou_call(workload: Workload, y_true: npt.NDArray[Any], y_pred: npt.NDArray[Any],
                 n_threads: int) -> IntArray:
    return confusion_matrix(y_true, y_pred, workload.num_classes,
                            ignore_index=workload.ignore_index, n_threads=n_threads)


def median_seconds(function: Callable[[], object], repeat: int) -> float:
    """Median wall time of `repeat` calls of `function` (after one untimed call)."""
    function()
    times = []
    for _ in range(repeat):
        start = time.perf_counter()
        function()
        times.append(time.perf_counter() - start)
    return statistics.median(times)


def cpu_model() -> str:
    """The CPU model name from /proc/cpuinfo, else what `platform` knows."""
    try:
        with open("/proc/cpuinfo") as fh:
            for line in fh:
                if line.startswith("model name"):
                    return line.split(":", 1)[1].strip()
    except OSError:
        pass
    return platform.processor() or platform.machine()


# the plain NumPy reads that measure a machine's read bandwidth (they release the GIL)
READ_KERNELS = {"sum": np.sum, "count_nonzero": np.count_nonzero,
                "bitwise_or.reduce": np.bitwise_or.reduce}


def read_calls(arrays: Sequence[npt.NDArray[Any]], threads: int,
               pool: ThreadPoolExecutor) -> dict[str, Callable[[], object]]:
    """For each of `READ_KERNELS`, a call that reads all of `arrays` with it, each array split
    into `threads` pieces run on `pool`."""
    pieces = [piece for array in arrays for piece in np.array_split(array.ravel(), threads)]
    return {name: (lambda kernel=kernel: list(pool.map(kernel, pieces)))
            for name, kernel in READ_KERNELS.items()}


def read_bandwidth(arrays: Sequence[npt.NDArray[Any]], threads: int, repeat: int) -> float:
    """Bytes per second of the fastest plain NumPy read (`READ_KERNELS`) of `arrays`, split
    over `threads` Python threads: what a memory-bound kernel can hope for on this machine."""
    total = sum(array.nbytes for array in arrays)
    with ThreadPoolExecutor(threads) as pool:
        return max(total / median_seconds(call, repeat)
                   for call in read_calls(arrays, threads, pool).values())


def interleaved_medians(calls: dict[str, Callable[[], object]], repeat: int,
                        before: Callable[[], object] | None = None) -> dict[str, float]:
    """Median wall time of each of `calls`, timed in turn, round after round (after one untimed
    round), so that a change of the machine's state reaches all of them alike; `before`, if
    given, runs untimed before each timed call."""
    for call in calls.values():
        call()
    times: dict[str, list[float]] = {name: [] for name in calls}
    for _ in range(repeat):
        for name, call in calls.items():
            if before is not None:
                before()
            start = time.perf_counter()
            call()
            times[name].append(time.perf_counter() - start)
    return {name: statistics.median(seconds) for name, seconds in times.items()}


def small_input_seconds(repeat: int) -> tuple[float, float]:
    """Median seconds of ``confusion_matrix`` on a 256x256 uint8 pair (19 classes) and of a
    NumPy ``.sum()`` over one of the maps, many calls each."""
    small = Workload(SMALL_KEY, "", (1, *SMALL_SHAPE), 19, "uint8")
    y_true, y_pred = (a[0] for a in make_label_maps(small))
    calls = 40 * repeat
    return (median_seconds(lambda: confusion_matrix(y_true, y_pred, 19), calls),
            median_seconds(y_true.sum, calls))


def run(keys: Collection[str] | None = None, repeat: int = 5, scale: float = 1.0) -> list[dict[str, Any]]:
    """Time every selected workload; return a list of result dicts (the shape run, seconds, ratios).

    The result of workload ``d`` also holds ``read_bandwidth`` (bytes per second of a NumPy
    read of its arrays on all threads); key ``"s"`` adds a dict with ``small_s`` and
    ``sum_s`` (see :func:`small_input_seconds`)."""
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
            "workload": workload, "shape": y_true.shape, "pixels": y_true.size, "exact": exact,
            "numpy_s": numpy_s,
            "one_thread_s": one_s, "all_threads_s": all_s, "threads": all_threads,
            "bytes": y_true.nbytes + y_pred.nbytes,
        })
        if workload.key == BANDWIDTH_KEY:
            results[-1]["read_bandwidth"] = read_bandwidth((y_true, y_pred), all_threads, repeat)
    if keys is None or SMALL_KEY in keys:
        small_s, sum_s = small_input_seconds(repeat)
        results.append({"workload": None, "small_s": small_s, "sum_s": sum_s, "exact": True,
                        "threads": all_threads})
    return results


def format_table(results: Sequence[dict[str, Any]], markdown: bool = False) -> str:
    """Render `results` of :func:`run` as text (bn.bench() style) or a Markdown table."""
    info = config_info()
    threads = results[0]["threads"] if results else resolve_n_threads(-1)
    header = (f"fastiou {info['fastiou']} bench: CPU {cpu_model()}, {info['available_cpus']} cores, "
              f"all threads = {threads}, OpenMP {'on' if info['openmp'] else 'OFF'}, SIMD {info['simd']}, "
              f"numpy {info['numpy']}")
    columns = ["workload", "NumPy ref", "fastiou 1 thr", "fastiou all", "speed-up 1", "speed-up all",
               "exact"]
    rows, notes = [], []
    for r in results:
        if r["workload"] is None:
            notes.append(f"(s) {SMALL_SHAPE[0]}x{SMALL_SHAPE[1]} uint8 confusion_matrix "
                         f"{r['small_s'] * 1e6:.1f} us, NumPy .sum() over it {r['sum_s'] * 1e6:.1f} us: "
                         f"{r['small_s'] / r['sum_s']:.1f}x the sum")
            continue
        if "read_bandwidth" in r:
            kernel = r["bytes"] / r["all_threads_s"]
            notes.append(f"({r['workload'].key}) fastiou reads {kernel / 1e9:.1f} GB/s on {threads} "
                         f"threads; a NumPy read of the same arrays {r['read_bandwidth'] / 1e9:.1f} GB/s: "
                         f"{100 * kernel / r['read_bandwidth']:.0f} % of it")
        rows.append([
            f"({r['workload'].key}) {r['workload'].describe(r.get('shape'))}",
            f"{r['numpy_s'] * 1e3:.1f} ms", f"{r['one_thread_s'] * 1e3:.2f} ms",
            f"{r['all_threads_s'] * 1e3:.2f} ms",
            f"{r['numpy_s'] / r['one_thread_s']:.1f}x", f"{r['numpy_s'] / r['all_threads_s']:.1f}x",
            "yes" if r["exact"] else "NO",
        ])
    if markdown:
        lines = [header, "", "| " + " | ".join(columns) + " |", "|" + "---|" * len(columns)]
        lines += ["| " + " | ".join(row) + " |" for row in rows]
        return "\n".join(lines + [""] + [f"- {note}" for note in notes])
    widths = [max(len(c), *(len(row[i]) for row in rows)) if rows else len(c)
              for i, c in enumerate(columns)]
    lines = [header, "  ".join(c.ljust(w) for c, w in zip(columns, widths)).rstrip()]
    lines += ["  ".join(cell.ljust(w) for cell, w in zip(row, widths)).rstrip() for row in rows]
    return "\n".join(lines + notes)


def bench(keys: Collection[str] | None = None, repeat: int = 5, scale: float = 1.0, markdown: bool = False,
          file: TextIO | None = None) -> list[dict[str, Any]]:
    """Run the benchmark and print its table; return the results.

    Parameters
    ----------
    keys : iterable of str, optional
        Workloads to run (``"a"`` to ``"e"``, and ``"s"`` for the small-input line); all by
        default.
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
        and whether the matrices were identical (see :func:`run`).

    Examples
    --------
    >>> import fastiou.evaluate._bench
    >>> results = fastiou.evaluate._bench.bench(keys="a", repeat=1, scale=0.01)  # doctest: +SKIP
    """
    results = run(keys=keys, repeat=repeat, scale=scale)
    print(format_table(results, markdown=markdown), file=file, flush=True)
    return results
