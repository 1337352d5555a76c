"""Panoptic quality (PQ = SQ x RQ) from id maps and segment tables, or from (category,
instance) label maps; :class:`PanopticQuality`, the streaming, mergeable accumulator."""

from __future__ import annotations

import numbers
import threading
from collections.abc import Iterable, Sequence
from typing import Any

import numpy as np
import numpy.typing as npt

from fastiou._shared._threads import resolve_n_threads
from fastiou._shared._validation import as_array, check_same_shape
from fastiou.panoptic._matching import (
    Categories,
    ImageStats,
    canonical_overlaps,
    image_stats,
    labels_as_ids,
    parse_categories,
    parse_segments,
)
from fastiou.panoptic._overlaps import _id_map, count_overlaps

__all__ = ["PanopticQuality", "panoptic_quality", "panoptic_quality_from_labels"]

STATE_FORMAT = "fastiou.PanopticQuality/1"


def _categories_from(categories: object, things: object, stuffs: object) -> list[dict[str, int]]:
    """COCO-style categories from `categories` or from the `things`/`stuffs` id sets."""
    if categories is not None:
        if things is not None or stuffs is not None:
            raise ValueError("give either `categories` or `things` and `stuffs`, not both")
        return list(categories)  # type: ignore[call-overload]
    if things is None or stuffs is None:
        raise ValueError("give `categories` (COCO category mappings with 'id' and 'isthing') "
                         "or both `things` and `stuffs` (sets of category ids)")
    result: list[dict[str, int]] = []
    for name, values, flag in (("things", things, 1), ("stuffs", stuffs, 0)):
        if isinstance(values, (str, bytes)) or not isinstance(values, Iterable):
            raise TypeError(f"`{name}` must be a collection of int category ids, got "
                            f"{type(values).__name__}")
        for value in sorted(values, key=int):
            if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral):
                raise TypeError(f"`{name}` must hold int category ids, got {value!r}")
            result.append({"id": int(value), "isthing": flag})
    return result


def _labels(values: object, label_divisor: int | None, name: str) -> npt.NDArray[Any]:
    """(Category, instance) labels as an array of images: ``(B, H, W, 2)`` pairs or, with a
    `label_divisor`, ``(B, H, W)`` panoptic ids; a single image gets a batch axis."""
    array = as_array(values, name, "an array of integer labels")
    if array.dtype.kind not in "biu":
        raise TypeError(f"`{name}` must hold integer labels, got dtype {array.dtype}")
    pairs = label_divisor is None
    if pairs and (array.ndim not in (3, 4) or array.shape[-1] != 2):
        raise ValueError(f"`{name}` must have shape (H, W, 2) or (B, H, W, 2) of (category, "
                         f"instance) pairs, got {array.shape} (pass `label_divisor` for "
                         f"category * label_divisor + instance ids)")
    if not pairs and array.ndim not in (2, 3):
        raise ValueError(f"`{name}` must have shape (H, W) or (B, H, W) of ids category * "
                         f"label_divisor + instance, got {array.shape}")
    return array[None] if array.ndim == (3 if pairs else 2) else array


class PanopticQuality:
    """Streaming panoptic quality: per-category matched IoU sums, TP, FP and FN.

    Each :meth:`update` matches one image's segments (panopticapi's rules: IoU > 0.5 within
    a category, the prediction's part on void left out of the union, crowd ground truth
    neither matched nor missed, an unmatched prediction lying more than half on void plus
    same-category crowd not a false positive) and adds its counts. Accumulators merge
    (:meth:`merge`, ``+``), pickle, and are safe to update from several threads. IoUs are
    summed in panopticapi's order (images in update order, pairs by ``(gt id, pred id)``),
    so the numbers equal its single-process ones bit for bit.

    Parameters
    ----------
    categories : sequence of mapping, optional
        COCO categories: mappings with ``id`` and ``isthing`` (0 or 1), in report order.
    things, stuffs : collection of int, optional
        Instead of `categories`: the thing and the stuff category ids.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.panoptic import PanopticQuality
    >>> pq = PanopticQuality([{"id": 1, "isthing": 1}, {"id": 2, "isthing": 0}])
    >>> gt = np.array([[1, 1, 2, 2]]); pred = np.array([[7, 7, 7, 9]])
    >>> pq.update(gt, pred, [{"id": 1, "category_id": 1}, {"id": 2, "category_id": 2}],
    ...           [{"id": 7, "category_id": 1}, {"id": 9, "category_id": 2}])
    >>> round(pq.compute()["All"]["pq"], 4)
    0.3333
    """

    def __init__(self, categories: Sequence[Any] | None = None, *,
                 things: Iterable[int] | None = None, stuffs: Iterable[int] | None = None):
        self._category_list = _categories_from(categories, things, stuffs)
        self._categories: Categories = parse_categories(self._category_list)
        if not self._categories.ids:
            raise ValueError("`categories` must list at least one category")
        self._lock = threading.Lock()
        self.reset()

    def reset(self) -> None:
        """Forget every update.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.panoptic import PanopticQuality
        >>> pq = PanopticQuality(things=[1], stuffs=[2])
        >>> pq.update_labels(np.array([[[1, 0], [2, 0]]]), np.array([[[1, 0], [2, 0]]]))
        >>> pq.reset(); pq.n_images
        0
        """
        n = len(self._categories.ids)
        self.iou = np.zeros(n, dtype=np.float64)
        self.tp = np.zeros(n, dtype=np.int64)
        self.fp = np.zeros(n, dtype=np.int64)
        self.fn = np.zeros(n, dtype=np.int64)
        self.n_images = 0

    @property
    def category_ids(self) -> tuple[int, ...]:
        """The category ids, in the order of the per-category arrays."""
        return self._categories.ids

    def _add_all(self, stats: Sequence[ImageStats]) -> None:
        """:meth:`_add` of each of `stats` in turn, in a few NumPy calls: the IoUs of a
        category are added in the same order (``np.add.at`` adds in index order)."""
        if not stats:
            return
        tp_category = np.concatenate([each.tp_category for each in stats])
        with self._lock:
            np.add.at(self.iou, tp_category, np.concatenate([each.tp_iou for each in stats]))
            self.tp += np.bincount(tp_category, minlength=self.tp.shape[0])
            self.fp += np.sum([each.fp for each in stats], axis=0, dtype=np.int64)
            self.fn += np.sum([each.fn for each in stats], axis=0, dtype=np.int64)
            self.n_images += len(stats)

    def _add(self, stats: ImageStats) -> None:
        with self._lock:
            np.add.at(self.iou, stats.tp_category, stats.tp_iou)  # in order: panopticapi's sums
            self.tp += np.bincount(stats.tp_category, minlength=self.tp.shape[0])
            self.fp += stats.fp
            self.fn += stats.fn
            self.n_images += 1

    def update(self, gt: npt.ArrayLike, pred: npt.ArrayLike, gt_segments: Sequence[Any],
               pred_segments: Sequence[Any], *, n_threads: int | None = None) -> None:
        """Match one image and add its counts.

        Parameters
        ----------
        gt, pred : array_like
            ``(H, W)`` segment-id maps (0 = void) or ``(H, W, 3)`` uint8 COCO panoptic RGB.
        gt_segments, pred_segments : sequence of mapping
            The images' ``segments_info``: mappings with ``id``, ``category_id`` and
            (ground truth) optionally ``iscrowd``. Areas are counted from the maps.
        n_threads : int, optional
            Threads counting the image: None = the OpenMP default, -1 = all CPUs.

        Raises
        ------
        ValueError
            An id in a map missing from its segments, a listed prediction absent from its
            map, a duplicate id, an unknown ``category_id``, maps of different sizes. The
            accumulator is then unchanged.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.panoptic import PanopticQuality
        >>> pq = PanopticQuality(things=[1], stuffs=[2])
        >>> ids = np.array([[5, 5, 6]])
        >>> pq.update(ids, ids, [{"id": 5, "category_id": 1}, {"id": 6, "category_id": 2}],
        ...           [{"id": 5, "category_id": 1}, {"id": 6, "category_id": 2}])
        >>> pq.tp.tolist()
        [1, 1]
        """
        threads = resolve_n_threads(n_threads)
        gt_map, gt_rgb = _id_map(gt, "gt")
        pred_map, pred_rgb = _id_map(pred, "pred")
        check_same_shape(gt_map[..., 0] if gt_rgb else gt_map,
                         pred_map[..., 0] if pred_rgb else pred_map, "gt", "pred")
        gt_table = parse_segments(gt_segments, self._categories, "`gt_segments`")
        pred_table = parse_segments(pred_segments, self._categories, "`pred_segments`")
        overlaps = count_overlaps(gt_map, gt_rgb, pred_map, pred_rgb, threads)
        self._add(image_stats(overlaps, gt_table, pred_table, len(self._categories.ids),
                              "`gt`", "`pred`"))

    def update_labels(self, gt: npt.ArrayLike, pred: npt.ArrayLike, *,
                      label_divisor: int | None = None, n_threads: int | None = None) -> None:
        """Match images of (category, instance) labels and add their counts.

        Every distinct (category, instance) of a thing category is a segment; a stuff
        category is one segment whatever its instance ids; a category that is neither a
        thing nor a stuff is void (in both maps). No crowd.

        Parameters
        ----------
        gt, pred : array_like
            ``(H, W, 2)`` or ``(B, H, W, 2)`` (category, instance) pairs (torchmetrics'
            form), or with `label_divisor` ``(H, W)`` / ``(B, H, W)`` ids
            ``category * label_divisor + instance`` (detectron2's form); non-negative.
        label_divisor : int, optional
            The divisor of the id form.
        n_threads : int, optional
            Threads counting each image: None = the OpenMP default, -1 = all CPUs.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.panoptic import PanopticQuality
        >>> pq = PanopticQuality(things=[1], stuffs=[2])
        >>> gt = np.array([[101, 101, 101, 200]])      # category * 100 + instance
        >>> pq.update_labels(gt, np.array([[101, 101, 200, 200]]), label_divisor=100)
        >>> pq.compute()["per_class"][1]["sq"]
        0.6666666666666666
        """
        threads = resolve_n_threads(n_threads)
        if label_divisor is not None and (isinstance(label_divisor, bool) or not isinstance(
                label_divisor, numbers.Integral) or label_divisor < 1):
            raise ValueError(f"`label_divisor` must be a positive int, got {label_divisor!r}")
        gt_images = _labels(gt, label_divisor, "gt")
        pred_images = _labels(pred, label_divisor, "pred")
        check_same_shape(gt_images, pred_images, "gt", "pred")
        all_stats = []
        for k in range(gt_images.shape[0]):
            gt_ids, gt_divisor = labels_as_ids(gt_images[k], label_divisor, "gt")
            pred_ids, pred_divisor = labels_as_ids(pred_images[k], label_divisor, "pred")
            gt_map, _ = _id_map(gt_ids, "gt")
            pred_map, _ = _id_map(pred_ids, "pred")
            raw = count_overlaps(gt_map, False, pred_map, False, threads)
            table, gt_table, pred_table = canonical_overlaps(raw, gt_divisor, pred_divisor,
                                                             self._categories)
            all_stats.append(image_stats(table, gt_table, pred_table, len(self._categories.ids),
                                         f"`gt`[{k}]", f"`pred`[{k}]"))
        for stats in all_stats:  # nothing is added unless every image was read
            self._add(stats)

    def merge(self, *others: PanopticQuality) -> PanopticQuality:
        """Add other accumulators' counts into this one (same categories); returns self.

        Parameters
        ----------
        *others : PanopticQuality
            Accumulators over other images.

        Returns
        -------
        PanopticQuality
            This accumulator.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.panoptic import PanopticQuality
        >>> pq = PanopticQuality(things=[1], stuffs=[2])
        >>> other = PanopticQuality(things=[1], stuffs=[2])
        >>> other.update_labels(np.array([[[1, 0]]]), np.array([[[1, 0]]]))
        >>> pq.merge(other).n_images
        1
        """
        for other in others:
            if not isinstance(other, PanopticQuality):
                raise TypeError(f"can only merge PanopticQuality, got {type(other).__name__}")
            if other._category_list != self._category_list:
                raise ValueError("cannot merge accumulators over different categories")
        for other in others:
            with other._lock:
                state = (other.iou.copy(), other.tp.copy(), other.fp.copy(), other.fn.copy(),
                         other.n_images)
            with self._lock:
                self.iou += state[0]
                self.tp += state[1]
                self.fp += state[2]
                self.fn += state[3]
                self.n_images += state[4]
        return self

    def copy(self) -> PanopticQuality:
        """An independent accumulator with the same categories and counts.

        Returns
        -------
        PanopticQuality
            The copy.

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.panoptic import PanopticQuality
        >>> pq = PanopticQuality(things=[1], stuffs=[2])
        >>> pq.copy() == pq
        True
        """
        twin = PanopticQuality(self._category_list)
        return twin.merge(self)

    def __add__(self, other: PanopticQuality) -> PanopticQuality:
        return self.copy().merge(other)

    def __getstate__(self) -> dict[str, Any]:
        with self._lock:
            return {"format": STATE_FORMAT, "categories": self._category_list,
                    "iou": self.iou.copy(), "tp": self.tp.copy(), "fp": self.fp.copy(),
                    "fn": self.fn.copy(), "n_images": self.n_images}

    def __setstate__(self, state: dict[str, Any]) -> None:
        if state.get("format") != STATE_FORMAT:
            raise ValueError(f"not a {STATE_FORMAT} state: {state.get('format')!r}")
        self.__init__(state["categories"])  # type: ignore[misc]
        self.iou, self.tp, self.fp, self.fn = (np.array(state[key]) for key in ("iou", "tp", "fp", "fn"))
        self.n_images = int(state["n_images"])

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, PanopticQuality):
            return NotImplemented
        return (self._category_list == other._category_list and self.n_images == other.n_images
                and all(np.array_equal(getattr(self, k), getattr(other, k))
                        for k in ("iou", "tp", "fp", "fn")))

    __hash__ = None  # type: ignore[assignment]

    def __repr__(self) -> str:
        return (f"PanopticQuality({len(self._categories.ids)} categories, "
                f"{self.n_images} images)")

    def compute(self) -> dict[str, Any]:
        """PQ, SQ and RQ per category and averaged, as panopticapi's ``pq_compute`` returns.

        Returns
        -------
        dict
            ``{"All": {...}, "Things": {...}, "Stuff": {...}, "per_class": {...}}``: each
            average has ``pq``, ``sq``, ``rq`` (floats) and ``n``, the number of categories
            with a TP, FP or FN, which alone are averaged; ``per_class`` maps each category
            id to its ``pq``, ``sq``, ``rq`` (0.0 for a category that never occurs). An
            average over no category is 0.0 with ``n`` 0 (panopticapi raises
            ZeroDivisionError there).

        Examples
        --------
        >>> import numpy as np
        >>> from fastiou.panoptic import PanopticQuality
        >>> pq = PanopticQuality(things=[1], stuffs=[2])
        >>> pq.update_labels(np.array([[[1, 0], [1, 0], [1, 0], [2, 0]]]),
        ...                  np.array([[[1, 0], [1, 0], [1, 0], [1, 0]]]))
        >>> result = pq.compute()
        >>> result["Things"], result["per_class"][2]
        ({'pq': 0.75, 'sq': 0.75, 'rq': 1.0, 'n': 1}, {'pq': 0.0, 'sq': 0.0, 'rq': 0.0})
        """
        with self._lock:
            iou, tp, fp, fn = (a.tolist() for a in (self.iou, self.tp, self.fp, self.fn))
        ids, isthing = self._categories.ids, self._categories.isthing.tolist()
        results: dict[str, Any] = {}
        for name, selected in (("All", None), ("Things", True), ("Stuff", False)):
            pq = sq = rq = 0.0
            n = 0
            per_class: dict[int, dict[str, float]] = {}
            for k, category in enumerate(ids):
                if selected is not None and isthing[k] != selected:
                    continue
                if tp[k] + fp[k] + fn[k] == 0:
                    per_class[category] = {"pq": 0.0, "sq": 0.0, "rq": 0.0}
                    continue
                n += 1
                denominator = tp[k] + 0.5 * fp[k] + 0.5 * fn[k]
                pq_class = iou[k] / denominator
                sq_class = iou[k] / tp[k] if tp[k] != 0 else 0.0
                rq_class = tp[k] / denominator
                per_class[category] = {"pq": pq_class, "sq": sq_class, "rq": rq_class}
                pq += pq_class
                sq += sq_class
                rq += rq_class
            results[name] = {"pq": pq / n if n else 0.0, "sq": sq / n if n else 0.0,
                             "rq": rq / n if n else 0.0, "n": n}
            if name == "All":
                results["per_class"] = per_class
        return results


def panoptic_quality(gt: npt.ArrayLike, pred: npt.ArrayLike, gt_segments: Sequence[Any],
                     pred_segments: Sequence[Any], categories: Sequence[Any], *,
                     n_threads: int | None = None) -> dict[str, Any]:
    """Panoptic quality of one image from its segment-id maps and segment tables.

    Parameters
    ----------
    gt, pred : array_like
        ``(H, W)`` segment-id maps (0 = void) or ``(H, W, 3)`` uint8 COCO panoptic RGB maps.
    gt_segments, pred_segments : sequence of mapping
        ``segments_info``: mappings with ``id``, ``category_id`` and optionally ``iscrowd``.
    categories : sequence of mapping
        COCO categories: mappings with ``id`` and ``isthing``.
    n_threads : int, optional
        Threads: None = the OpenMP default, -1 = all CPUs.

    Returns
    -------
    dict
        panopticapi's result: see :meth:`PanopticQuality.compute`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.panoptic import panoptic_quality
    >>> gt = np.array([[1, 1, 0, 2]]); pred = np.array([[3, 3, 3, 0]])
    >>> result = panoptic_quality(gt, pred, [{"id": 1, "category_id": 5}, {"id": 2, "category_id": 5}],
    ...                           [{"id": 3, "category_id": 5}], [{"id": 5, "isthing": 1}])
    >>> result["All"]["sq"], result["All"]["rq"]
    (1.0, 0.6666666666666666)
    """
    accumulator = PanopticQuality(categories)
    accumulator.update(gt, pred, gt_segments, pred_segments, n_threads=n_threads)
    return accumulator.compute()


def panoptic_quality_from_labels(gt: npt.ArrayLike, pred: npt.ArrayLike, things: Iterable[int],
                                 stuffs: Iterable[int], *, label_divisor: int | None = None,
                                 n_threads: int | None = None) -> dict[str, Any]:
    """Panoptic quality of images of (category, instance) labels, summed over the images.

    The torchmetrics / detectron2 input form: see :meth:`PanopticQuality.update_labels`
    (stuff categories are one segment each, categories outside `things` and `stuffs` are
    void, no crowd).

    Parameters
    ----------
    gt, pred : array_like
        ``(B, H, W, 2)`` / ``(H, W, 2)`` (category, instance) pairs, or with
        `label_divisor` ``(B, H, W)`` / ``(H, W)`` ids ``category * label_divisor + instance``.
    things, stuffs : collection of int
        The thing and the stuff category ids.
    label_divisor : int, optional
        The divisor of the id form.
    n_threads : int, optional
        Threads: None = the OpenMP default, -1 = all CPUs.

    Returns
    -------
    dict
        panopticapi's result: see :meth:`PanopticQuality.compute`.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou.panoptic import panoptic_quality_from_labels
    >>> gt = np.array([[[1, 0], [1, 0], [2, 0], [2, 0]]])
    >>> result = panoptic_quality_from_labels(gt, gt, things={1}, stuffs={2})
    >>> result["All"]["pq"], result["All"]["n"]
    (1.0, 2)
    """
    accumulator = PanopticQuality(things=things, stuffs=stuffs)
    accumulator.update_labels(gt, pred, label_divisor=label_divisor, n_threads=n_threads)
    return accumulator.compute()
