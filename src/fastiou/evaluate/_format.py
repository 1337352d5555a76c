"""Render a ``fastiou eval`` report (the ``fastiou.eval/1`` dict) as table, JSON, CSV or Markdown."""

import csv
import io
import json

FORMATS = ("table", "json", "csv", "markdown")


def _percent(value):
    return "n/a" if value is None else f"{100 * value:.2f}"


def _titles(report):
    from fastiou.evaluate._report import OVERALL_METRICS, PER_CLASS_METRICS

    per_class = [m for m in report["metrics"] if m in PER_CLASS_METRICS]
    overall = [m for m in report["metrics"] if m in OVERALL_METRICS]
    return ([(m, PER_CLASS_METRICS[m][0]) for m in per_class],
            [(m, OVERALL_METRICS[m][0]) for m in overall])


def _rows(report):
    per_class, _ = _titles(report)
    header = ["class"] + [f"{title} (%)" for _, title in per_class] + ["GT pixels"]
    rows = [[entry["name"]] + [_percent(entry[m]) for m, _ in per_class] + [f"{entry['gt_pixels']:,}"]
            for entry in report["classes"]]
    mean = ["mean"] + [_percent(report["mean"][m]) for m, _ in per_class] + \
        [f"{report['counts']['counted_pixels']:,}"]
    return header, rows, mean


def summary_line(report):
    counts, threads = report["counts"], report["threads"]
    where = (f"Dask scheduler {threads['dask_scheduler']}" if threads.get("dask_scheduler") else
             f"{threads['decode_threads']} decode thread(s) x {threads['kernel_threads']} kernel "
             f"thread(s) on {threads['cores']} core(s)")
    skipped = f", {counts['skipped_unpaired']} unpaired file(s) skipped" if counts["skipped_unpaired"] else ""
    return (f"{counts['images']} image(s), {counts['counted_pixels']:,} pixels counted "
            f"({counts['ignored_pixels']:,} ignored){skipped}, {report['num_classes']} classes, "
            f"{report['elapsed_seconds']:.2f} s ({where})")


# Overall metrics that are not shares of pixels: printed as they are, not as percentages.
NOT_PERCENT = {"kappa"}  # Cohen's kappa lies in [-1, 1]


def _overall_value(metric, value):
    if value is None:
        return "n/a"
    return f"{value:.4f}" if metric in NOT_PERCENT else f"{_percent(value)} %"


def _overall_lines(report):
    _, overall = _titles(report)
    return [f"{title}: {_overall_value(m, report['overall'][m])}" for m, title in overall]


def format_table(report):
    header, rows, mean = _rows(report)
    table = [header] + rows + [mean]
    widths = [max(len(row[i]) for row in table) for i in range(len(header))]

    def line(row):
        return "  ".join(cell.ljust(w) if i == 0 else cell.rjust(w)
                         for i, (cell, w) in enumerate(zip(row, widths))).rstrip()

    rule = "-" * len(line(header))
    out = [line(header), rule] + [line(r) for r in rows] + [rule, line(mean), ""]
    out += _overall_lines(report) + [summary_line(report)]
    return "\n".join(out) + "\n"


def format_markdown(report):
    header, rows, mean = _rows(report)
    out = ["| " + " | ".join(header) + " |",
           "|" + "|".join(["---"] + ["---:"] * (len(header) - 1)) + "|"]
    out += ["| " + " | ".join(row) + " |" for row in rows]
    out.append("| **mean** | " + " | ".join(mean[1:]) + " |")
    out.append("")
    out += [f"- {line}" for line in _overall_lines(report)]
    out.append(f"- {summary_line(report)}")
    return "\n".join(out) + "\n"


def format_json(report):
    return json.dumps(report, indent=2, allow_nan=False) + "\n"


def format_csv(report):
    """Long format, one value a row: ``scope,class_id,class_name,metric,value`` (fractions)."""
    per_class, overall = _titles(report)
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\n")
    writer.writerow(["scope", "class_id", "class_name", "metric", "value"])

    def value(v):
        return "nan" if v is None else repr(v) if isinstance(v, float) else v

    for entry in report["classes"]:
        for m, _ in per_class:
            writer.writerow(["class", entry["id"], entry["name"], m, value(entry[m])])
        writer.writerow(["class", entry["id"], entry["name"], "gt_pixels", entry["gt_pixels"]])
        writer.writerow(["class", entry["id"], entry["name"], "pred_pixels", entry["pred_pixels"]])
    for m, _ in per_class:
        writer.writerow(["mean", "", "", m, value(report["mean"][m])])
    for m, _ in overall:
        writer.writerow(["overall", "", "", m, value(report["overall"][m])])
    for key, count in report["counts"].items():
        writer.writerow(["counts", "", "", key, count])
    return buffer.getvalue()


FORMATTERS = {"table": format_table, "json": format_json, "csv": format_csv,
              "markdown": format_markdown}
