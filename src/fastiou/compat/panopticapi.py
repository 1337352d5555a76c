"""COCO panopticapi's evaluation (``panopticapi.evaluation.pq_compute``, checked against
panopticapi-lite 0.2.0, the COCO repository's code), counted by fastiou.

``pq_compute(gt_json_file, pred_json_file, gt_folder=None, pred_folder=None)`` reads the
same files and returns the same dictionary: ``All``, ``Things`` and ``Stuff`` with ``pq``,
``sq``, ``rq`` and ``n``, and ``per_class``, every number equal to panopticapi's. The
matched IoUs are even summed in its order: panopticapi splits the images into
``multiprocessing.cpu_count()`` consecutive parts, sums each part in a process and adds
the parts; this module sums the same parts in the same order (on threads). The ground
truth's areas are the ``area`` of its ``segments_info`` (as panopticapi: a listed segment
absent from the PNG is a false negative), the predictions' are counted from their PNGs.

Where it deliberately differs
-----------------------------
- Every bad input is a ``ValueError`` (``FileNotFoundError`` for a missing file or
  folder) naming the file, the image and the segment id, raised before any number is
  returned: an id in a PNG (ground truth or prediction) missing from its
  ``segments_info`` (panopticapi ignores such ground-truth ids), a duplicate segment id or
  image id (panopticapi keeps the last), a ``category_id`` not among the ground truth's
  categories (panopticapi leaves such ground-truth segments out of its averages), a
  prediction missing for an image, PNGs of different sizes (panopticapi broadcasts or
  fails in NumPy), a ground-truth ``area`` smaller than the segment's pixels, a listed
  prediction absent from its PNG, segment id 0 (void) in ``segments_info``.
- An average over no category (no stuff category in the data, say) is 0.0 with ``n`` 0;
  panopticapi raises ``ZeroDivisionError``.
- Nothing is printed (panopticapi prints its progress, the table and the time).
- The PNGs are decoded by fastiou's own codec (8-bit RGB(A), not interlaced; about 15
  times faster than Pillow on 1024x2048 images) and counted as they are decoded, a row at a
  time (``fastiou.evaluate._rgb_overlaps``), others decoded by Pillow; the pixel values are
  the same. A file that is no PNG or is corrupt is a ``ValueError`` naming it.
- ``sq`` of a category with no true positive is ``0.0`` (panopticapi's int ``0``: equal).
- The JSON files are read by a compiled reader (``fastiou.panoptic._coco_json``) that makes
  no dict a segment (its ids, categories, crowd flags and areas go straight into columns);
  a file it does not take as it is (not UTF-8, NaN, invalid) is read by ``json.loads``. The
  values are the same either way.
"""

from __future__ import annotations

import _thread
import itertools
import json
import multiprocessing
import os
import threading
from collections.abc import Callable, Mapping
from typing import Any

import numpy as np
import numpy.typing as npt

from fastiou._shared._threads import available_cpus
from fastiou.evaluate._engine import _scratch_pair
from fastiou.evaluate._rgb_overlaps import png_pair_overlaps
from fastiou.panoptic._coco_json import read_coco_panoptic
from fastiou.panoptic._matching import ImageStats, image_stats, parse_segments
from fastiou.panoptic._overlaps import count_overlaps
from fastiou.panoptic.quality import PanopticQuality

__all__ = ["pq_compute"]  # evaluate_files also serves compat.cityscapes_panoptic


class PanopticSizeError(ValueError):
    """A prediction PNG whose size differs from its ground truth's."""


def _load_json(path: str, role: str) -> dict[str, Any]:
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{role} JSON file {path!r} does not exist")
    with open(path, "rb") as f:
        text = f.read()
    data = read_coco_panoptic(text)  # no dict a segment; None: json.loads reads it
    if data is None:
        try:
            data = json.loads(text)
        except (json.JSONDecodeError, UnicodeDecodeError) as exc:
            raise ValueError(f"{role} JSON file {path!r} is not valid JSON: {exc}") from None
    for key in (("annotations", "categories") if role == "ground-truth" else ("annotations",)):
        if not isinstance(data, Mapping) or not isinstance(data.get(key), list):
            raise ValueError(f"{role} JSON file {path!r} must be an object with a list "
                             f"{key!r} (COCO panoptic format)")
    return data


def _annotations(data: dict[str, Any], path: str, role: str) -> list[dict[str, Any]]:
    seen: set[Any] = set()
    for k, annotation in enumerate(data["annotations"]):
        if not isinstance(annotation, Mapping) or not all(
                key in annotation for key in ("image_id", "file_name", "segments_info")):
            raise ValueError(f"{role} JSON file {path!r}: annotation {k} must have 'image_id', "
                             f"'file_name' and 'segments_info'")
        if annotation["image_id"] in seen:
            raise ValueError(f"{role} JSON file {path!r} has two annotations for image id "
                             f"{annotation['image_id']!r}; each image must be annotated once")
        seen.add(annotation["image_id"])
    return data["annotations"]


def read_panoptic_png(path: str, what: str | None = None, scratch: Any = None
                      ) -> npt.NDArray[np.uint8]:
    """A COCO panoptic PNG as ``(H, W, 3)`` uint8 RGB (alpha dropped): decoded by fastiou's
    codec (8-bit RGB(A), not interlaced: COCO's own; into `scratch` when given), any other
    PNG by Pillow, as panopticapi reads them; `what` names the file in errors (default: the
    path)."""
    from fastiou.evaluate._png import PngError, read_rgb_png

    what = f"panoptic PNG {path!r}" if what is None else what
    if not os.path.isfile(path):
        raise FileNotFoundError(f"{what}: the PNG does not exist")
    try:
        return read_rgb_png(path, scratch)
    except PngError as exc:
        if not exc.needs_pillow:
            raise ValueError(f"{what}: {exc}") from None
    try:
        from PIL import Image
    except ImportError:  # pragma: no cover - Pillow is in the cli and test extras
        raise ImportError(f"{what} needs Pillow: pip install 'fastiou[cli]'") from None
    with Image.open(path) as image:
        if image.mode not in ("RGB", "RGBA"):
            raise ValueError(f"{what}: the PNG has mode {image.mode}; COCO panoptic PNGs "
                             f"are RGB (id = R + 256 G + 256**2 B)")
        pixels = np.asarray(image)
    return pixels[..., :3]


def _image(gt_ann: Mapping[str, Any], pred_ann: Mapping[str, Any], gt_folder: str,
           pred_folder: str, pq: PanopticQuality, n_threads: int) -> ImageStats:
    """Decode and match one image; errors name its files."""
    image_id = gt_ann["image_id"]
    gt_path = os.path.join(gt_folder, gt_ann["file_name"])
    pred_path = os.path.join(pred_folder, pred_ann["file_name"])
    gt_where = f"ground truth {gt_path!r} (image id {image_id!r})"
    pred_where = f"prediction {pred_path!r} (image id {image_id!r})"
    categories = pq._categories
    gt_table = parse_segments(gt_ann["segments_info"], categories, gt_where, listed_area=True)
    pred_table = parse_segments(pred_ann["segments_info"], categories, pred_where)
    scratch = _scratch_pair()  # this thread's reusable decode buffers
    overlaps = png_pair_overlaps(gt_path, pred_path, scratch)  # decoded and counted at once
    if overlaps is None:  # not two RGB PNGs of one size fastiou's codec reads, or bad files
        gt_map = read_panoptic_png(gt_path, gt_where, scratch[0])
        pred_map = read_panoptic_png(pred_path, pred_where, scratch[1])
        if gt_map.shape != pred_map.shape:
            raise PanopticSizeError(f"{pred_where} is {pred_map.shape[1]}x{pred_map.shape[0]} "
                                    f"pixels but its ground truth {gt_path!r} is "
                                    f"{gt_map.shape[1]}x{gt_map.shape[0]}")
        overlaps = count_overlaps(gt_map, True, pred_map, True, n_threads)
    return image_stats(overlaps, gt_table, pred_table, len(categories.ids), gt_where, pred_where)


def pq_compute(gt_json_file: str, pred_json_file: str, gt_folder: str | None = None,
               pred_folder: str | None = None) -> dict[str, Any]:
    """Panoptic quality of COCO panoptic predictions, as ``panopticapi.evaluation.pq_compute``.

    Parameters
    ----------
    gt_json_file, pred_json_file : str
        COCO panoptic JSON files (``annotations`` with ``image_id``, ``file_name`` and
        ``segments_info``; the ground truth's ``categories`` with ``id`` and ``isthing``).
    gt_folder, pred_folder : str, optional
        The folders of the PNGs; by default the JSON file's path without ``.json``.

    Returns
    -------
    dict
        ``{"All": {"pq", "sq", "rq", "n"}, "Things": ..., "Stuff": ..., "per_class":
        {category_id: {"pq", "sq", "rq"}}}``, the numbers panopticapi returns.

    Raises
    ------
    FileNotFoundError, ValueError
        A missing file or folder; bad input (see the module docstring), naming the file,
        the image id and the segment id.

    Examples
    --------
    >>> from fastiou.compat.panopticapi import pq_compute
    >>> result = pq_compute("panoptic_val2017.json", "predictions.json")  # doctest: +SKIP
    >>> result["All"]["pq"]  # doctest: +SKIP
    0.4213...
    """
    gt_folder = gt_json_file.replace(".json", "") if gt_folder is None else gt_folder
    pred_folder = pred_json_file.replace(".json", "") if pred_folder is None else pred_folder
    return evaluate_files(gt_json_file, pred_json_file, gt_folder, pred_folder).compute()


def load_evaluation(gt_json_file: str, pred_json_file: str, gt_folder: str, pred_folder: str
                    ) -> tuple[list[Any], list[tuple[Any, Any]]]:
    """The ground truth's categories and the (ground truth, prediction) annotation pairs in
    the ground truth's order, every JSON-level check of :func:`pq_compute` made."""
    gt_json = _load_json(gt_json_file, "ground-truth")
    pred_json = _load_json(pred_json_file, "prediction")
    for folder, role in ((gt_folder, "ground-truth"), (pred_folder, "prediction")):
        if not os.path.isdir(folder):
            raise FileNotFoundError(f"folder {folder!r} with {role} segmentations does not exist")
    try:
        PanopticQuality(gt_json["categories"])
    except (TypeError, ValueError) as exc:
        raise ValueError(f"ground-truth JSON file {gt_json_file!r}: {exc}") from None
    predictions = {ann["image_id"]: ann for ann in _annotations(pred_json, pred_json_file,
                                                                 "prediction")}
    pairs = []
    for gt_ann in _annotations(gt_json, gt_json_file, "ground-truth"):
        if gt_ann["image_id"] not in predictions:
            raise ValueError(f"prediction JSON file {pred_json_file!r} has no annotation for "
                             f"the image with id {gt_ann['image_id']!r} (ground truth "
                             f"{gt_ann['file_name']!r})")
        pairs.append((gt_ann, predictions[gt_ann["image_id"]]))
    return gt_json["categories"], pairs


def image_batch(pairs: list[tuple[Any, Any]], gt_folder: str, pred_folder: str,
                categories: list[Any], n_threads: int = 1) -> list[ImageStats]:
    """What each image of `pairs` adds (read and matched here: a Dask task's work)."""
    pq = PanopticQuality(categories)
    return [_image(gt_ann, pred_ann, gt_folder, pred_folder, pq, n_threads)
            for gt_ann, pred_ann in pairs]


def sum_in_order(categories: list[Any], stats: list[ImageStats]) -> PanopticQuality:
    """The images' counts added as panopticapi adds them: ``np.array_split`` into
    ``multiprocessing.cpu_count()`` consecutive parts, each summed alone, then the parts."""
    total = PanopticQuality(categories)
    for part in np.array_split(np.arange(len(stats)), multiprocessing.cpu_count()):
        accumulator = PanopticQuality(categories)
        accumulator._add_all([stats[k] for k in part])
        total.merge(accumulator)
    return total


def evaluate_files(gt_json_file: str, pred_json_file: str, gt_folder: str, pred_folder: str,
                   jobs: int | None = None, on_image: Callable[[], None] | None = None
                   ) -> PanopticQuality:
    """The accumulator of a COCO panoptic evaluation (what ``pq_compute`` computes), its IoUs
    summed in panopticapi's order; every check of :func:`pq_compute` made. `jobs` threads
    (default: every usable CPU; the calling thread is one) decode and count; `on_image` is
    called after each image."""
    cpus = available_cpus() if jobs is None else max(1, jobs)
    with _Helpers(cpus - 1) as helpers:  # they start while the JSON files are read
        categories, pairs = load_evaluation(gt_json_file, pred_json_file, gt_folder, pred_folder)
        pq = PanopticQuality(categories)
        threads_each = max(1, cpus // min(cpus, max(1, len(pairs))))

        def one(pair: tuple[Mapping[str, Any], Mapping[str, Any]]) -> ImageStats:
            stats = _image(pair[0], pair[1], gt_folder, pred_folder, pq, threads_each)
            if on_image is not None:
                on_image()
            return stats

        stats = helpers.map(one, pairs)
    return sum_in_order(categories, stats)


class _Helpers:
    """`n` threads that share one :meth:`map` with the calling thread, started at once
    without waiting for them (they wait for the work)."""

    def __init__(self, n: int):
        self._work: Callable[[], None] | None = None
        self._ready = threading.Event()
        self._done = [threading.Event() for _ in range(n)]
        for done in self._done:
            _thread.start_new_thread(self._run, (done,))

    def _run(self, done: threading.Event) -> None:
        try:
            self._ready.wait()
            if self._work is not None:
                self._work()
        finally:
            done.set()

    def map(self, function: Callable[[Any], Any], items: list[Any]) -> list[Any]:
        """``[function(item) for item in items]``, each thread taking the next item no
        thread has taken. When items fail, the first failing item's exception is raised,
        once the items before it are done (no item is started once a failure is seen)."""
        results: list[Any] = [None] * len(items)
        errors: dict[int, BaseException] = {}
        taken = itertools.count()
        lock = threading.Lock()

        def work() -> None:
            while not errors:
                with lock:
                    k = next(taken)
                if k >= len(items):
                    return
                try:
                    results[k] = function(items[k])
                except BaseException as exc:  # noqa: BLE001 - raised again on the caller's thread
                    errors[k] = exc
                    return

        self._work = work
        self._ready.set()
        try:
            work()
        finally:
            self._join()
        if errors:
            raise errors[min(errors)]
        return results

    def _join(self) -> None:
        self._ready.set()  # threads given no work return
        for done in self._done:
            done.wait()

    def __enter__(self) -> _Helpers:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self._join()
