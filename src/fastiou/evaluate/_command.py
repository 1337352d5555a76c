"""``fastiou eval``: its options, and the run that ties discovery, counting and output together."""

import csv
import os
import shutil
import sys
import tempfile
import time

from fastiou.evaluate._format import FORMATS
from fastiou.segmentation._core import OUT_OF_RANGE_POLICIES

ON_MISSING = ("error", "skip")
DASK_CONNECT_TIMEOUT = "10s"


def add_eval_arguments(parser):
    parser.add_argument("gt", nargs="?", metavar="GT",
                        help="ground-truth folder, or a list file (one path a line; or two columns "
                             "GT<tab>PRED, then PRED is not needed)")
    parser.add_argument("pred", nargs="?", metavar="PRED", help="prediction folder or list file")
    parser.add_argument("--panoptic", action="store_true",
                        help="GT and PRED are COCO panoptic JSON files (COCO's or Cityscapes' "
                             "panoptic format): report PQ, SQ and RQ per category and for All / "
                             "Things / Stuff, as panopticapi computes them")
    parser.add_argument("--gt-folder", metavar="DIR",
                        help="with --panoptic: the ground-truth PNG folder (default: GT without "
                             ".json)")
    parser.add_argument("--pred-folder", metavar="DIR",
                        help="with --panoptic: the prediction PNG folder (default: PRED without "
                             ".json)")
    parser.add_argument("--num-classes", "-n", type=int, metavar="N",
                        help="number of classes; valid labels are 0..N-1")
    parser.add_argument("--ignore-index", type=int, nargs="+", action="extend", default=None,
                        metavar="V", help="ground-truth value(s) to leave out, e.g. 255")
    parser.add_argument("--gt-suffix", default="", metavar="S",
                        help="ending of ground-truth file names, removed before matching "
                             "(e.g. _gtFine_labelTrainIds)")
    parser.add_argument("--pred-suffix", default="", metavar="S",
                        help="ending of prediction file names, removed before matching")
    parser.add_argument("--on-missing", choices=ON_MISSING, default="error",
                        help="a file without its partner: fail (exit 3, default) or skip it with "
                             "a warning")
    parser.add_argument("--class-names", metavar="FILE",
                        help="class names, one a line (or a JSON list)")
    parser.add_argument("--label-map", metavar="MAP",
                        help="ground-truth value -> class id: 'cityscapes' (label ids -> train "
                             "ids), inline '7:0,8:1', or a JSON/text file; values not listed stay")
    parser.add_argument("--pred-label-map", metavar="MAP",
                        help="the same for the predictions")
    parser.add_argument("--color-map", "--colour-map", dest="color_map", metavar="MAP",
                        help="colour -> class id for RGB label images: JSON {\"#804080\": 0, ...}, "
                             "a JSON list of [r, g, b] in class order, or '#rrggbb:id' items")
    parser.add_argument("--out-of-range", choices=OUT_OF_RANGE_POLICIES, default=None,
                        help="a label outside 0..N-1 once mapped: stop with exit 6 (raise, the "
                             "default), leave the pixel out (ignore), or count a prediction as "
                             "a false negative of the true class (miss). With --pred-label-map "
                             "cityscapes the default counts void ids as misses, as "
                             "cityscapesScripts")
    parser.add_argument("--reduce-zero-label", action="store_true",
                        help="mmseg convention for the ground truth: 0 -> 255 (ignored), "
                             "v -> v-1 (adds 255 to --ignore-index)")
    parser.add_argument("--metrics", default=None, metavar="LIST",
                        help="comma-separated: iou, dice, precision, recall, acc, biou (Boundary "
                             "IoU), bf (BF score: contour F1 within 0.75 %% of the diagonal, mean "
                             "over the images) (per class); pixel_acc, fwiou, kappa "
                             "(overall). Default: iou,dice,acc,pixel_acc")
    parser.add_argument("--format", choices=FORMATS, default="table", help="output format")
    parser.add_argument("--out", metavar="FILE",
                        help="write the result here instead of stdout (every output file is "
                             "checked before counting and written only if the run succeeds)")
    parser.add_argument("--per-image", metavar="FILE.csv",
                        help="also write a CSV of per-image scores")
    parser.add_argument("--plot", metavar="FILE.png",
                        help="save the row-normalised confusion matrix and per-class IoU bars")
    parser.add_argument("--jobs", "-j", type=int, metavar="K",
                        help="decoding threads (default: one per core); the counting kernel gets "
                             "cores // K threads so the total stays within the cores")
    parser.add_argument("--no-progress", action="store_true",
                        help="no progress bar (it is shown only on a terminal anyway)")
    parser.add_argument("--verbose", "-v", action="store_true",
                        help="say on stderr how the files are decoded (the PNG inflaters)")
    parser.add_argument("--dask-scheduler", metavar="ADDRESS",
                        help="run on a Dask cluster (e.g. tcp://10.0.0.1:8786): workers read the "
                             "files and return matrices")
    parser.add_argument("--batch-size", type=int, metavar="B",
                        help="pairs per Dask task, with --dask-scheduler (default: about 4 tasks "
                             "per worker thread)")
    parser.add_argument("--demo", action="store_true",
                        help="generate a small Cityscapes-like dataset in a temporary folder and "
                             "evaluate it")
    parser.add_argument("--demo-dir", metavar="DIR",
                        help="with --demo: write the dataset here and keep it")


def fail(message, code, command="eval"):
    """Print ``fastiou COMMAND: error: message`` to stderr (as argparse does); return `code`."""
    print(f"fastiou {command}: error: {message}", file=sys.stderr)
    return code


def run_eval(args):
    """Run ``fastiou eval``; return the exit status (see the README's "Exit codes")."""
    from fastiou.evaluate._io import EXIT_MISSING_DEPENDENCY, EvalError

    try:
        if getattr(args, "panoptic", False):
            from fastiou.evaluate._panoptic import run_panoptic

            return run_panoptic(args, lambda total: _progress_bar(total, args))
        if getattr(args, "gt_folder", None) or getattr(args, "pred_folder", None):
            raise EvalError("--gt-folder and --pred-folder go with --panoptic")
        if args.demo:
            return _run_demo(args)
        return _evaluate(args)
    except EvalError as exc:
        return fail(exc.message, exc.exit_code)
    except ImportError as exc:
        return fail(str(exc), EXIT_MISSING_DEPENDENCY)
    except KeyboardInterrupt:
        return fail("interrupted; no output file was written", 130)


def _run_demo(args):
    from fastiou.evaluate._io import EvalError, os_reason
    from fastiou.evaluate._outputs import write_text
    from fastiou.evaluate.demo import make_dataset

    if args.gt or args.pred:
        raise EvalError("--demo makes its own data, so give no GT or PRED")
    if args.demo_dir and os.path.exists(args.demo_dir) and not os.path.isdir(args.demo_dir):
        raise EvalError(f"--demo-dir {args.demo_dir} is a file; give a folder")
    if args.demo_dir:
        folder, cleanup = args.demo_dir, None
    else:
        cleanup = tempfile.TemporaryDirectory(prefix="fastiou-demo-")
        folder = cleanup.name
    try:
        try:
            data = make_dataset(folder)
        except OSError as exc:
            where = f"--demo-dir {folder}" if args.demo_dir else f"the temporary folder {folder}"
            raise EvalError(f"cannot write the demo dataset into {where}: {os_reason(exc)}") from None
        names_file = os.path.join(folder, "class_names.txt")
        write_text(names_file, "\n".join(data.class_names) + "\n", "--demo-dir")
        print(f"fastiou eval --demo: {data.n_images} Cityscapes-like ground-truth / prediction PNG "
              f"pairs ({data.num_classes} classes, 255 = void) in {folder}"
              + ("" if args.demo_dir else " (deleted afterwards)"), file=sys.stderr)
        args.gt, args.pred = data.gt_dir, data.pred_dir
        args.gt_suffix, args.pred_suffix = data.gt_suffix, data.pred_suffix
        args.num_classes = args.num_classes or data.num_classes
        args.ignore_index = args.ignore_index or [data.ignore_index]
        args.class_names = args.class_names or names_file
        return _evaluate(args)
    finally:
        if cleanup is not None:
            cleanup.cleanup()


def _check_optional_dependencies(args):
    if args.plot:
        from fastiou.evaluate.plot import _matplotlib

        _matplotlib()
        _check_plot_format(args.plot)
    if args.dask_scheduler:
        try:
            import distributed  # noqa: F401
        except ImportError:
            raise ImportError("--dask-scheduler needs dask.distributed: "
                              "pip install 'fastiou[dask]'") from None


def _terminal_size(stream):
    """The size of the terminal `stream` writes to; when it reports 0 columns or lines (some CI
    and container ttys do, and tqdm then hides its bar), ``$COLUMNS``/``$LINES`` or 80 x 24."""
    try:
        size = os.get_terminal_size(stream.fileno())
    except (AttributeError, ValueError, OSError):
        size = os.terminal_size((0, 0))
    if size.columns > 0 and size.lines > 0:
        return size
    fallback = shutil.get_terminal_size()
    return os.terminal_size((size.columns if size.columns > 0 else fallback.columns,
                             size.lines if size.lines > 0 else fallback.lines))


def _progress_bar(total, args):
    if args.no_progress or not sys.stderr.isatty():
        return None
    try:
        from tqdm import tqdm
    except ImportError:
        return None
    columns, lines = _terminal_size(sys.stderr)
    return tqdm(total=total, unit="img", desc="fastiou eval", file=sys.stderr,
                ncols=max(columns - 1, 20), nrows=max(lines, 2))


def _check_plot_format(path):
    """``--plot`` must end in a format matplotlib writes (it picks the format from the name)."""
    from matplotlib.backend_bases import FigureCanvasBase

    from fastiou.evaluate._io import EvalError

    supported = sorted(FigureCanvasBase.get_supported_filetypes())
    extension = os.path.splitext(path)[1].lower()
    if extension[1:] not in supported:
        got = f"it ends in {extension}" if extension else "it has no extension"
        raise EvalError(f"--plot {path} must end in an image format matplotlib writes "
                        f"({', '.join('.' + e for e in supported)}); {got}")


class _Rows:
    """A CSV writer whose write errors name the option they write (exit 2)."""

    def __init__(self, file, outputs, option):
        self._writer = csv.writer(file, lineterminator="\n")
        self._outputs, self._option = outputs, option

    def writerow(self, row):
        with self._outputs.writing(self._option):
            self._writer.writerow(row)

    def writerows(self, rows):
        with self._outputs.writing(self._option):
            self._writer.writerows(rows)


def _evaluate(args):
    from fastiou.evaluate._engine import new_boundary_total
    from fastiou.segmentation.bfscore import BFScoreTotals
    from fastiou.evaluate._format import FORMATTERS
    from fastiou.evaluate._io import (
        EXIT_MISSING,
        EvalError,
        check_missing,
        find_pairs,
        parse_colour_map,
        parse_label_map,
    )
    from fastiou.evaluate._outputs import OutputFiles
    from fastiou.evaluate._report import (
        DEFAULT_METRICS,
        build_report,
        default_class_names,
        parse_metrics,
        boundary_options,
        read_class_names,
        wants_boundary,
    )
    from fastiou.evaluate.dask import make_options

    started = time.perf_counter()
    if args.gt is None:
        raise EvalError("give GT and PRED (folders or list files), or --demo")
    if args.num_classes is None:
        raise EvalError("--num-classes is required")
    if args.num_classes < 1:
        raise EvalError(f"--num-classes must be at least 1, got {args.num_classes}")
    if args.batch_size is not None and not args.dask_scheduler:
        raise EvalError("--batch-size sets the pairs per Dask task and needs --dask-scheduler; "
                        "without Dask, --jobs sets the decoding threads")
    if args.batch_size is not None and args.batch_size < 1:
        raise EvalError(f"--batch-size must be at least 1, got {args.batch_size}")
    metric_names = parse_metrics(args.metrics) if args.metrics else DEFAULT_METRICS
    options = make_options(args.num_classes, args.ignore_index,
                           parse_label_map(args.label_map, "--label-map"),
                           parse_label_map(args.pred_label_map, "--pred-label-map"),
                           args.reduce_zero_label, parse_colour_map(args.color_map, "--color-map"),
                           args.out_of_range)
    if wants_boundary(metric_names):
        if args.dask_scheduler:
            raise EvalError("--metrics biou and bf are not computed on Dask yet; run without "
                            "--dask-scheduler")
        options = boundary_options(options, metric_names)
    class_names = (read_class_names(args.class_names, args.num_classes) if args.class_names
                   else default_class_names(args.num_classes))
    _check_optional_dependencies(args)
    with OutputFiles() as outputs:
        # every destination is checked (its temporary file made) before any file is read
        targets = {option: outputs.reserve(path, option)
                   for option, path in (("--out", args.out), ("--per-image", args.per_image),
                                        ("--plot", args.plot)) if path}
        pairing = find_pairs(args.gt, args.pred, args.gt_suffix, args.pred_suffix)
        skipped = check_missing(pairing, args.on_missing)
        if not pairing.pairs:
            raise EvalError("there is no ground-truth / prediction pair to evaluate", EXIT_MISSING)
        if args.verbose:
            _say_how_files_are_decoded()
        boundary = new_boundary_total(options) if options.boundary else None
        bf = BFScoreTotals(options.num_classes) if options.bf else None
        total, n_pixels, threads = _count(args, pairing.pairs, options, metric_names,
                                          class_names, outputs, targets.get("--per-image"),
                                          boundary, bf)
        report = build_report(total, metric_names=metric_names, class_names=class_names,
                              n_images=len(pairing.pairs), n_pixels=n_pixels, n_skipped=skipped,
                              options=options, threads=threads,
                              elapsed=time.perf_counter() - started, boundary=boundary, bf=bf)
        text = FORMATTERS[args.format](report)
        if args.out:
            with outputs.writing("--out"), open(targets["--out"], "w", newline="",
                                                encoding="utf-8") as fh:
                fh.write(text)
        if args.plot:
            from fastiou.evaluate.plot import eval_figure

            with outputs.writing("--plot"):
                eval_figure(targets["--plot"], total.matrix, total.compute().iou, class_names)
        outputs.commit()
    if not args.out:
        sys.stdout.write(text)
    return 0


def _say_how_files_are_decoded():
    """``--verbose``: the PNG inflaters of this process (Dask workers use their own)."""
    from fastiou.evaluate._byte_classes import pair_inflate_path
    from fastiou.evaluate._png import inflater

    print(f"fastiou eval: PNG files are inflated by {inflater().name}; 8-bit PNG pairs by "
          f"{pair_inflate_path()}", file=sys.stderr)


def _count(args, pairs, options, metric_names, class_names, outputs, per_image_path, boundary=None,
           bf=None):
    """Count every pair (locally or on Dask), writing the per-image rows to `per_image_path`
    and adding the pairs' Boundary IoU counts to `boundary` (an int64 (3, C) array) and
    their BF score contour counts to `bf` (a ``BFScoreTotals``) if given."""
    from fastiou.evaluate._engine import evaluate_local
    from fastiou.evaluate._report import per_image_header, per_image_row

    per_image_file = None
    progress = _progress_bar(len(pairs), args)
    try:
        writer = None
        if per_image_path is not None:
            with outputs.writing("--per-image"):
                per_image_file = open(per_image_path, "w", newline="", encoding="utf-8")
            writer = _Rows(per_image_file, outputs, "--per-image")
            writer.writerow(per_image_header(metric_names, class_names))
        if args.dask_scheduler:
            return _evaluate_on_dask(args, pairs, options, writer, metric_names, progress)

        def on_result(pair, result):
            if boundary is not None:
                boundary[...] += result.boundary
            if bf is not None:
                bf.add_images(result.bf[None])
            if writer is not None:
                writer.writerow(per_image_row(pair, result, metric_names, options))
            if progress is not None:
                progress.update(1)

        return evaluate_local(pairs, options, jobs=args.jobs, on_result=on_result)
    finally:
        if progress is not None:
            progress.close()
        if per_image_file is not None:
            with outputs.writing("--per-image"):
                per_image_file.close()


def _evaluate_on_dask(args, pairs, options, writer, metric_names, progress):
    from distributed import Client

    from fastiou.evaluate._engine import as_accumulator, new_miss, new_total
    from fastiou.evaluate._io import EvalError
    from fastiou.evaluate.dask import stream_batches

    try:
        client = Client(args.dask_scheduler, timeout=DASK_CONNECT_TIMEOUT, set_as_default=False)
    except (OSError, TimeoutError, ValueError) as exc:
        raise EvalError(f"cannot connect to the Dask scheduler {args.dask_scheduler}: {exc}") from None
    total, missed = new_total(options), new_miss(options)
    n_pixels = 0
    try:
        workers = client.nthreads()
        for counts, miss, pixels, n_images, rows in stream_batches(
                pairs, options, client, batch_size=args.batch_size,
                metric_names=metric_names if writer is not None else None):
            total += counts
            missed += miss
            n_pixels += pixels
            if writer is not None:
                writer.writerows(rows)
            if progress is not None:
                progress.update(n_images)
    finally:
        client.close()
    threads = {"cores": sum(workers.values()), "decode_threads": len(workers),
               "kernel_threads": 1, "dask_scheduler": args.dask_scheduler}
    return as_accumulator(total, options, missed), n_pixels, threads
