"""``fastiou eval --panoptic``: COCO (or Cityscapes) panoptic JSON files and PNG folders scored
by PQ, SQ and RQ (:mod:`fastiou.compat.panopticapi`'s counting), reported as a table, JSON,
CSV or Markdown."""

from __future__ import annotations

import csv
import io
import json
import os
import sys
import time
from typing import Any

SCHEMA = "fastiou.panoptic/1"
# options of the label-map evaluation that mean nothing for panoptic files
REFUSED = (("num_classes", "--num-classes"), ("ignore_index", "--ignore-index"),
           ("label_map", "--label-map"), ("pred_label_map", "--pred-label-map"),
           ("color_map", "--color-map"), ("metrics", "--metrics"), ("per_image", "--per-image"),
           ("plot", "--plot"), ("dask_scheduler", "--dask-scheduler"), ("demo", "--demo"),
           ("reduce_zero_label", "--reduce-zero-label"), ("out_of_range", "--out-of-range"),
           ("class_names", "--class-names"), ("batch_size", "--batch-size"),
           ("gt_suffix", "--gt-suffix"), ("pred_suffix", "--pred-suffix"))


def build_report(accumulator: Any, categories: list[dict[str, Any]], n_images: int,
                 jobs: int, elapsed: float) -> dict[str, Any]:
    """The ``fastiou.panoptic/1`` dict: per category PQ, SQ, RQ and TP/FP/FN, the All /
    Things / Stuff averages (with ``n``), the number of images."""
    results = accumulator.compute()
    rows = []
    for k, category in enumerate(categories):
        scores = results["per_class"][category["id"]]
        rows.append({"id": category["id"], "name": str(category.get("name", category["id"])),
                     "isthing": int(category["isthing"]), **scores,
                     "tp": int(accumulator.tp[k]), "fp": int(accumulator.fp[k]),
                     "fn": int(accumulator.fn[k])})
    return {"schema": SCHEMA, "categories": rows,
            "averages": {name: results[name] for name in ("All", "Things", "Stuff")},
            "counts": {"images": n_images}, "threads": jobs, "elapsed_seconds": elapsed}


def _percent(value: float) -> str:
    return f"{100 * value:.2f}"


def format_table(report: dict[str, Any], markdown: bool = False) -> str:
    header = ["category", "kind", "PQ (%)", "SQ (%)", "RQ (%)", "TP", "FP", "FN"]
    rows = [[c["name"], "thing" if c["isthing"] else "stuff", _percent(c["pq"]),
             _percent(c["sq"]), _percent(c["rq"]), str(c["tp"]), str(c["fp"]), str(c["fn"])]
            for c in report["categories"]]
    averages = [[name, f"n={a['n']}", _percent(a["pq"]), _percent(a["sq"]), _percent(a["rq"]),
                 "", "", ""] for name, a in report["averages"].items()]
    summary = (f"{report['counts']['images']} image(s), {report['threads']} thread(s), "
               f"{report['elapsed_seconds']:.2f} s")
    if markdown:
        out = ["| " + " | ".join(header) + " |", "|---|---|" + "---:|" * 6]
        out += ["| " + " | ".join(row) + " |" for row in rows]
        out += ["| **" + row[0] + "** | " + " | ".join(row[1:5]) + " | | | |" for row in averages]
        return "\n".join(out + ["", f"- {summary}"]) + "\n"
    table = [header] + rows + averages
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(row: list[str]) -> str:
        return "  ".join(cell.ljust(w) if i < 2 else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(row, widths))).rstrip()

    rule = "-" * len(line(header))
    return "\n".join([line(header), rule] + [line(r) for r in rows] + [rule]
                     + [line(r) for r in averages] + [summary]) + "\n"


def format_csv(report: dict[str, Any]) -> str:
    """Long format: ``scope,category_id,category_name,metric,value`` (fractions)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scope", "category_id", "category_name", "metric", "value"])
    for c in report["categories"]:
        for metric in ("pq", "sq", "rq", "tp", "fp", "fn"):
            value = c[metric]
            writer.writerow(["category", c["id"], c["name"], metric,
                             repr(float(value)) if metric in ("pq", "sq", "rq") else value])
    for name, average in report["averages"].items():
        for metric in ("pq", "sq", "rq", "n"):
            value = average[metric]
            writer.writerow([name, "", "", metric, value if metric == "n" else repr(float(value))])
    writer.writerow(["counts", "", "", "images", report["counts"]["images"]])
    return buffer.getvalue()


FORMATTERS = {"table": format_table, "markdown": lambda r: format_table(r, markdown=True),
              "json": lambda r: json.dumps(r, indent=2, allow_nan=False) + "\n",
              "csv": format_csv}


def run_panoptic(args: Any, progress_bar: Any) -> int:
    """Run ``fastiou eval --panoptic GT.json PRED.json``; raises ``EvalError`` on bad input.
    `progress_bar(total)` makes the progress bar (or None)."""
    from fastiou._shared._threads import available_cpus
    from fastiou.compat.panopticapi import PanopticSizeError, evaluate_files
    from fastiou.evaluate._io import (
        EXIT_MISSING,
        EXIT_SIZE_MISMATCH,
        EXIT_UNREADABLE,
        EvalError,
    )
    from fastiou.evaluate._outputs import OutputFiles

    started = time.perf_counter()
    for attribute, option in REFUSED:
        if getattr(args, attribute, None) not in (None, False, [], ""):
            raise EvalError(f"--panoptic evaluates COCO panoptic segments and takes no {option}")
    if args.gt is None or args.pred is None:
        raise EvalError("--panoptic needs GT and PRED: the ground-truth and prediction COCO "
                        "panoptic JSON files")
    if args.jobs is not None and args.jobs < 1:
        raise EvalError(f"--jobs must be at least 1, got {args.jobs}")
    gt_folder = args.gt_folder or os.path.splitext(args.gt)[0]
    pred_folder = args.pred_folder or os.path.splitext(args.pred)[0]
    jobs = args.jobs or available_cpus()
    with OutputFiles() as outputs:
        target = outputs.reserve(args.out, "--out") if args.out else None
        try:
            with open(args.gt) as f:
                n_images = len(json.load(f).get("annotations", []))
        except (OSError, ValueError, AttributeError) as exc:
            raise EvalError(f"cannot read the ground-truth JSON file {args.gt}: {exc}",
                            EXIT_MISSING if isinstance(exc, FileNotFoundError)
                            else EXIT_UNREADABLE) from None
        progress = progress_bar(n_images)
        try:
            accumulator = evaluate_files(args.gt, args.pred, gt_folder, pred_folder, jobs=jobs,
                                         on_image=None if progress is None
                                         else lambda: progress.update(1))
        except FileNotFoundError as exc:
            raise EvalError(str(exc), EXIT_MISSING) from None
        except PanopticSizeError as exc:
            raise EvalError(str(exc), EXIT_SIZE_MISMATCH) from None
        except ValueError as exc:
            code = EXIT_MISSING if "has no annotation for the image" in str(exc) else EXIT_UNREADABLE
            raise EvalError(str(exc), code) from None
        finally:
            if progress is not None:
                progress.close()
        with open(args.gt) as f:
            categories = json.load(f)["categories"]
        report = build_report(accumulator, categories, n_images, jobs,
                              time.perf_counter() - started)
        text = FORMATTERS[args.format](report)
        if target is not None:
            with outputs.writing("--out"), open(target, "w", newline="", encoding="utf-8") as fh:
                fh.write(text)
        outputs.commit()
    if target is None:
        sys.stdout.write(text)
    return 0
