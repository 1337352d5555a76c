"""The ``fastiou`` command line (also ``python -m fastiou``)."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence
from typing import Any

from fastiou._version import __version__

__all__ = ["main"]

# 128 + SIGPIPE, what a shell reports for a command whose reader went away
EXIT_BROKEN_PIPE = 141


def _add_bench(subparsers: Any) -> None:
    parser = subparsers.add_parser(
        "bench", help="time the confusion-matrix kernel against the NumPy reference",
        description="Print a speed-up table of fastiou against the NumPy bincount reference on "
                    "synthetic label maps, all timings from the same run.")
    parser.add_argument("--workloads", default="abcdes",
                        help="which workloads to run, e.g. 'ad'; 's' is the small-input line "
                             "(default: abcdes)")
    parser.add_argument("--repeat", type=int, default=5,
                        help="timed calls per measurement; the median is reported (default: 5)")
    parser.add_argument("--quick", action="store_true",
                        help="a few percent of the full sizes: a smoke run, not a measurement")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.set_defaults(handler=_run_bench)


def _run_bench(args: argparse.Namespace) -> int:
    from fastiou.evaluate._bench import SMALL_KEY, WORKLOADS, bench
    from fastiou.evaluate._command import fail

    keys = set(args.workloads)
    known = "".join(w.key for w in WORKLOADS) + SMALL_KEY
    unknown = keys - set(known)
    if unknown:
        return fail(f"--workloads {args.workloads!r} names unknown workload(s) "
                    f"{''.join(sorted(unknown))}; choose from {known}", 2, "bench")
    if args.repeat < 1:
        return fail(f"--repeat must be at least 1, got {args.repeat}", 2, "bench")
    results = bench(keys=keys, repeat=args.repeat, scale=0.02 if args.quick else 1.0,
                    markdown=args.markdown)
    return 0 if all(r["exact"] for r in results) else 1


def _add_config(subparsers: Any) -> None:
    parser = subparsers.add_parser("config", help="print build and runtime configuration")
    parser.set_defaults(handler=lambda args: _run_config())


def _run_config() -> int:
    from fastiou._config import show_config

    show_config()
    return 0


def _add_eval(subparsers: Any) -> None:
    from fastiou.evaluate._command import add_eval_arguments

    parser = subparsers.add_parser(
        "eval", help="evaluate a folder of predicted label maps against ground truth",
        description="Count every ground-truth / prediction pair of label maps into one exact "
                    "confusion matrix and print per-class IoU, Dice, accuracy and their means. "
                    "Exit codes: 0 ok, 2 usage, 3 missing pairs, 4 size mismatch, "
                    "5 unreadable file, 6 label out of range, 7 optional dependency missing, "
                    "130 interrupted.")
    add_eval_arguments(parser)
    parser.set_defaults(handler=_run_eval)


def _run_eval(args: argparse.Namespace) -> int:
    from fastiou.evaluate._command import run_eval

    return run_eval(args)


def build_parser() -> argparse.ArgumentParser:
    """The argument parser of the ``fastiou`` command."""
    parser = argparse.ArgumentParser(
        prog="fastiou", description="Fast, exact confusion matrices and IoU metrics.")
    parser.add_argument("--version", action="version", version=f"fastiou {__version__}")
    subparsers = parser.add_subparsers(title="commands", metavar="COMMAND")
    _add_bench(subparsers)
    _add_config(subparsers)
    _add_eval(subparsers)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run the ``fastiou`` command line with `argv` (default ``sys.argv[1:]``); return the exit code.

    Parameters
    ----------
    argv : list of str, optional
        Command-line arguments without the program name.

    Returns
    -------
    int
        0 on success.

    Examples
    --------
    >>> from fastiou.cli import main
    >>> main(["config"])  # doctest: +SKIP
    """
    parser = build_parser()
    args = parser.parse_args(argv)
    if not hasattr(args, "handler"):
        parser.print_help()
        return 2
    try:
        code = int(args.handler(args))
        sys.stdout.flush()  # here, where a reader that went away can still be handled
        return code
    except BrokenPipeError:
        # whoever read stdout stopped (`fastiou eval ... | head`): end quietly, as the shell's
        # tools do, with stdout pointed at /dev/null so that the exit flush cannot fail again
        devnull = os.open(os.devnull, os.O_WRONLY)
        os.dup2(devnull, sys.stdout.fileno())
        return EXIT_BROKEN_PIPE


if __name__ == "__main__":
    sys.exit(main())
