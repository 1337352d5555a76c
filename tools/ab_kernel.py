"""A/B two builds of the label kernel (``fastiou.segmentation._confusion``) in one process.

    cp src/fastiou/segmentation/_confusion.*.so /tmp/a.so    # build A, then change and rebuild
    python tools/ab_kernel.py /tmp/a.so src/fastiou/segmentation/_confusion.*.so \\
        --dtype int32 --classes 1000 --noise 0.1 --threads 2

Both builds count the same ``fastiou bench`` maps (16x1024x1024, blocky regions, a fraction
``--noise`` of the predictions replaced by a random class); their results must be equal. The
calls alternate A, B, A, B, ... so that a change of the machine's state hits both, and the
medians of the wall times are compared: on a noisy shared machine only such ratios mean
something (benchmarks/README.md quotes them as "A/B").
"""

import argparse
import importlib.util
import os
import shutil
import sys
import tempfile
from types import ModuleType

import numpy as np

import fastiou.evaluate._bench as bench
from fastiou.segmentation import _confusion, _simd

CONFUSION = "fastiou.segmentation._confusion"


def load_module(name: str, path: str) -> ModuleType:
    """The extension module at `path`, imported under `name`."""
    spec = importlib.util.spec_from_file_location(name, path)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


def load_build(path: str, module: str, scratch: str) -> ModuleType:
    """A ``_confusion`` whose build of `module` is the one at `path`: that build itself, or
    for ``_byte_tables`` (the one-byte kernel, which ``_confusion`` imports) a copy of the
    installed ``_confusion`` loaded after that build (one module file loads only once)."""
    if module == "_confusion":
        return load_module(CONFUSION, path)
    sys.modules[f"fastiou.segmentation.{module}"] = load_module(f"fastiou.segmentation.{module}",
                                                                path)
    copy = os.path.join(scratch, f"{len(os.listdir(scratch))}_{os.path.basename(_confusion.__file__)}")
    shutil.copyfile(_confusion.__file__, copy)
    return load_module(CONFUSION, copy)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("build_a")
    parser.add_argument("build_b")
    parser.add_argument("--dtype", default="int32")
    parser.add_argument("--classes", type=int, default=1000)
    parser.add_argument("--noise", type=float, default=0.1)
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--calls", type=int, default=21)
    parser.add_argument("--simd-level", type=int, default=None,
                        help="use at most this SIMD level (0 none, 1 AVX2, 2 AVX-512, 3 VBMI2)")
    parser.add_argument("--cold", action="store_true",
                        help="read 64 MB of other data before each call (as a caller that does "
                             "anything between calls: the tables and the result out of cache)")
    parser.add_argument("--module", choices=["_confusion", "_byte_tables"], default="_confusion",
                        help="the module the two builds are of (_byte_tables: one-byte labels)")
    args = parser.parse_args(argv)
    if args.simd_level is not None:
        _simd._set_simd_cap(args.simd_level)
    scratch = tempfile.mkdtemp()
    builds = [load_build(path, args.module, scratch) for path in (args.build_a, args.build_b)]
    shutil.rmtree(scratch)
    bench.ERROR_RATE = args.noise
    workload = bench.Workload("ab", "A/B", (16, 1024, 1024), args.classes, args.dtype)
    y_true, y_pred = (a.ravel() for a in bench.make_label_maps(workload))
    ignore = np.zeros(0, y_true.dtype)
    count = lambda build: build.confusion_counts(y_true, y_pred, args.classes, ignore,  # noqa: E731
                                                 args.threads)
    first_a, first_b = count(builds[0]), count(builds[1])
    if not all(np.array_equal(a, b) for a, b in zip(first_a, first_b)):
        raise SystemExit("the two builds count differently")
    other = np.ones(64 << 20, np.uint8) if args.cold else None
    medians = bench.interleaved_medians(
        {"A": lambda: count(builds[0]), "B": lambda: count(builds[1])}, args.calls,
        before=None if other is None else lambda: np.count_nonzero(other))
    a, b = medians["A"] * 1e3, medians["B"] * 1e3
    print(f"{args.dtype}, {args.classes} classes, noise {args.noise}, {args.threads} threads, "
          f"{'cold' if args.cold else 'warm'} cache, "
          f"SIMD {_simd.simd_path()}, "
          f"medians of {args.calls}: A {a:.2f} ms, B {b:.2f} ms, B/A {b / a:.3f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
