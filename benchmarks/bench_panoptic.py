"""Speed of fastiou.compat.panopticapi.pq_compute against COCO panopticapi's pq_compute, and
against decoding the PNGs alone; every timing from one run.

    python benchmarks/bench_panoptic.py [--images 16] [--repeat 3] [--height 1024] [--width 2048]

Writes `--images` COCO panoptic image pairs (RGB PNGs, about 120 ground-truth and 90 predicted
segments each: stuff and thing rectangles that overlap, crowd, void, shifted, merged,
mislabelled and unmatched predictions; ``tests/panoptic_cases.py``) and JSON files, then
times, alternating the calls and keeping the median of `--repeat` runs of each:

1. panopticapi's ``pq_compute`` (it spreads the images over one process a core);
2. fastiou's ``pq_compute`` (threads over the images: fastiou's codec decodes, its kernel
   counts, NumPy matches);
3. decoding the PNGs alone with fastiou's codec (``read_rgb_png``), in the same thread pool:
   the floor of (2);
4. decoding them alone with Pillow (``np.asarray`` of each ``Image.open``), the floor of any
   evaluator that reads them with Pillow, panopticapi included;
5. hotcoco's ``panoptic.pq_compute`` (a Rust evaluator) when it is installed
   (``pip install hotcoco``), for information, with its largest difference from fastiou.

The two results are checked to be equal. The machine and its load are printed: on a
shared machine the absolute times move, the ratios from one run much less.
"""

from __future__ import annotations

import argparse
import contextlib
import io
import multiprocessing
import os
import platform
import statistics
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np

from fastiou._shared._threads import available_cpus
from fastiou.compat import panopticapi as fast
from fastiou.evaluate._bench import cpu_model
from fastiou.evaluate._engine import _scratch_pair
from fastiou.evaluate._png import read_rgb_png

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "tests"))
from panoptic_cases import write_dataset  # noqa: E402


def _panopticapi():
    try:
        from panopticapi import evaluation
    except ImportError:
        return None
    return evaluation


def _hotcoco():
    try:
        import hotcoco
    except ImportError:
        return None
    return hotcoco


def _largest_difference(a, b):
    """The largest absolute difference between the pq/sq/rq numbers of two results, over the
    categories that occur (for one absent from both hotcoco reports -1.0, panopticapi 0.0)."""
    worst = 0.0
    for name in ("All", "Things", "Stuff"):
        for key in ("pq", "sq", "rq"):
            worst = max(worst, abs(float(a[name][key]) - float(b[name][key])))
    for category, scores in b["per_class"].items():
        other = a["per_class"].get(category, a["per_class"].get(str(category)))
        if other["pq"] == -1.0:
            continue
        for key in ("pq", "sq", "rq"):
            worst = max(worst, abs(float(other[key]) - float(scores[key])))
    return worst


@contextlib.contextmanager
def _closed_pools():
    """panopticapi never closes its process pool: close each one it opens."""
    pools = []
    open_pool = multiprocessing.Pool

    def pool(*args, **kwargs):
        pools.append(open_pool(*args, **kwargs))
        return pools[-1]

    multiprocessing.Pool = pool
    try:
        yield
    finally:
        multiprocessing.Pool = open_pool
        for each in pools:
            each.close()
            each.join()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=16)
    parser.add_argument("--repeat", type=int, default=3)
    parser.add_argument("--height", type=int, default=1024)
    parser.add_argument("--width", type=int, default=2048)
    args = parser.parse_args()
    evaluation = _panopticapi()
    from PIL import Image

    with tempfile.TemporaryDirectory() as root:
        gt_json, pred_json = write_dataset(root, 0, args.images, args.height, args.width,
                                           n_things=110, n_stuff=12, thing_scale=0.12)
        pngs = sorted(str(p) for p in Path(root).rglob("*.png"))
        workers = available_cpus()

        def pillow_decode():
            def one(path):
                with Image.open(path) as image:
                    return np.asarray(image).shape
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(one, pngs))

        def fastiou_decode():  # into each thread's reusable buffers, as pq_compute decodes
            with ThreadPoolExecutor(workers) as pool:
                list(pool.map(lambda path: read_rgb_png(path, _scratch_pair()[0]).shape, pngs))

        def theirs():
            with _closed_pools(), contextlib.redirect_stdout(io.StringIO()):
                return evaluation.pq_compute(gt_json, pred_json)

        def ours():
            return fast.pq_compute(gt_json, pred_json)

        calls = {"fastiou pq_compute": ours, "fastiou decode alone": fastiou_decode,
                 "Pillow decode alone": pillow_decode}
        agreement = []
        if evaluation is not None:
            calls["panopticapi pq_compute"] = theirs
            assert ours() == theirs(), "fastiou and panopticapi disagree"
            agreement.append("fastiou == panopticapi: every number equal")
        hotcoco = _hotcoco()
        if hotcoco is not None:
            def rust():
                with contextlib.redirect_stdout(io.StringIO()):
                    return hotcoco.panoptic.pq_compute(gt_json, pred_json)
            calls["hotcoco pq_compute"] = rust
            agreement.append(f"hotcoco vs fastiou: largest difference "
                             f"{_largest_difference(rust(), ours()):.2e} (categories that occur)")
        for call in calls.values():  # warm-up: thread pools, caches
            call()
        times: dict[str, list[float]] = {name: [] for name in calls}
        for _ in range(args.repeat):
            for name, call in calls.items():
                start = time.perf_counter()
                call()
                times[name].append(time.perf_counter() - start)
        median = {name: statistics.median(values) for name, values in times.items()}

    print(f"machine: {cpu_model()}, {os.cpu_count()} logical CPUs ({available_cpus()} usable), "
          f"Python {platform.python_version()}, NumPy {np.__version__}; load average before "
          f"the run {os.getloadavg()[0]:.2f} (a shared machine: other jobs ran meanwhile)")
    print(f"workload: {args.images} image pairs of {args.height}x{args.width} RGB PNGs, about "
          f"120 ground-truth and 90 predicted segments each; median of {args.repeat} runs")
    print(f"{'':26s} {'seconds':>9s} {'images/s':>9s}")
    for name, seconds in median.items():
        print(f"{name:26s} {seconds:9.3f} {args.images / seconds:9.1f}")
    ours_s = median["fastiou pq_compute"]
    if "panopticapi pq_compute" in median:
        print(f"speed-up over panopticapi: {median['panopticapi pq_compute'] / ours_s:.1f}x")
    if "hotcoco pq_compute" in median:
        print(f"speed-up over hotcoco: {median['hotcoco pq_compute'] / ours_s:.1f}x")
    print(f"fastiou pq_compute / its decoding alone: "
          f"{ours_s / median['fastiou decode alone']:.2f}")
    for line in agreement:
        print(line)


if __name__ == "__main__":
    main()
