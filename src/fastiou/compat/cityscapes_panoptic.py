"""cityscapesScripts' panoptic evaluation (``cityscapesscripts.evaluation.
evalPanopticSemanticLabeling``, checked against 2.3.0), counted by fastiou.

``evaluatePanoptic(gt_json_file, gt_folder, pred_json_file, pred_folder, resultsFile)``
takes the same arguments, returns the same dictionary (panopticapi's: ``All``, ``Things``,
``Stuff`` with ``pq``, ``sq``, ``rq``, ``n``, and ``per_class``), every number equal, writes
the same results JSON file and prints the same score table. cityscapesScripts' panoptic
evaluation is COCO panopticapi's algorithm (its own copy, with the same process split), so
this module shares :mod:`fastiou.compat.panopticapi`'s reading, checks and counting.

Where it deliberately differs
-----------------------------
- Bad input is a ``ValueError`` (``FileNotFoundError`` for a missing file or folder) naming
  the file, the image and the segment id, as listed in ``docs/compat/panopticapi.md``
  (cityscapesScripts raises ``KeyError``/``Exception``, ignores some, or exits through
  ``printError`` for a missing folder). The results file is written only once every image
  was counted.
- An average over no category is 0.0 with ``n`` 0 (cityscapesScripts raises
  ``ZeroDivisionError``).
- Printed: the score table only (not the progress lines, the folders, the time).
"""

from __future__ import annotations

import json
from typing import Any

from fastiou.compat.panopticapi import evaluate_files

__all__ = ["evaluatePanoptic"]


def _print_results(results: dict[str, Any], names: dict[int, str]) -> None:
    """The per-category and average table cityscapesScripts prints."""
    print("{:14s}| {:>5s}  {:>5s}  {:>5s}".format("Category", "PQ", "SQ", "RQ"))
    for label in sorted(results["per_class"]):
        scores = results["per_class"][label]
        print("{:14s}| {:5.1f}  {:5.1f}  {:5.1f}".format(
            names.get(label, str(label)), 100 * scores["pq"], 100 * scores["sq"],
            100 * scores["rq"]))
    print("-" * 41)
    print("{:14s}| {:>5s}  {:>5s}  {:>5s} {:>5s}".format("", "PQ", "SQ", "RQ", "N"))
    for name in ("All", "Things", "Stuff"):
        scores = results[name]
        print("{:14s}| {:5.1f}  {:5.1f}  {:5.1f} {:5d}".format(
            name, 100 * scores["pq"], 100 * scores["sq"], 100 * scores["rq"], scores["n"]))


def evaluatePanoptic(gt_json_file: str, gt_folder: str, pred_json_file: str, pred_folder: str,
                     resultsFile: str) -> dict[str, Any]:  # noqa: N802, N803 (the peer's names)
    """Panoptic quality of Cityscapes panoptic predictions, as cityscapesScripts computes it.

    Parameters
    ----------
    gt_json_file : str
        The ground truth in COCO panoptic format (``cityscapes_panoptic_val.json``).
    gt_folder : str
        Its PNG folder.
    pred_json_file : str
        The predictions in COCO panoptic format.
    pred_folder : str
        Their PNG folder.
    resultsFile : str
        Where the results are written as JSON (keys sorted, indent 4).

    Returns
    -------
    dict
        ``All``, ``Things``, ``Stuff`` (``pq``, ``sq``, ``rq``, ``n``) and ``per_class``.

    Examples
    --------
    >>> from fastiou.compat.cityscapes_panoptic import evaluatePanoptic
    >>> results = evaluatePanoptic("gtFine/cityscapes_panoptic_val.json",
    ...                            "gtFine/cityscapes_panoptic_val", "results/pred.json",
    ...                            "results/pred", "resultPanopticSemanticLabeling.json")  # doctest: +SKIP
    >>> results["All"]["pq"]  # doctest: +SKIP
    0.6112...
    """
    accumulator = evaluate_files(gt_json_file, pred_json_file, gt_folder, pred_folder)
    results = accumulator.compute()
    with open(gt_json_file) as f:
        names = {c["id"]: str(c.get("name", c["id"])) for c in json.load(f)["categories"]}
    with open(resultsFile, "w") as f:
        json.dump(results, f, sort_keys=True, indent=4)
    _print_results(results, names)
    return results
