"""Segment tables and the per-image PQ matching, from an overlap table (panopticapi's rules).

A pair of segments matches when their IoU exceeds 0.5 and their categories agree; the
union leaves out the part of the prediction on void (id 0); crowd ground truth is never
matched nor missed; an unmatched prediction is no false positive when more than half of it
lies on void plus the (last listed) crowd segment of its category.
"""

from __future__ import annotations

import json
import numbers
from collections.abc import Iterable, Mapping
from typing import Any, NamedTuple

import numpy as np
import numpy.typing as npt

from fastiou.panoptic._columns import json_segment_columns, segment_columns
from fastiou.panoptic._match import match_segments
from fastiou.panoptic._overlaps import MAX_ID, SegmentOverlaps

VOID = 0


class Categories(NamedTuple):
    """The categories PQ is averaged over, in their listed order."""

    ids: tuple[int, ...]
    isthing: npt.NDArray[np.bool_]
    position: dict[int, int]
    sorted_ids: npt.NDArray[np.int64]       # the ids in increasing order
    sorted_position: npt.NDArray[np.int64]  # the position in `ids` of each of `sorted_ids`


class Segments(NamedTuple):
    """One image's segments, sorted by id."""

    ids: npt.NDArray[np.int64]
    category: npt.NDArray[np.int64]   # position in Categories.ids
    iscrowd: npt.NDArray[np.bool_]
    area: npt.NDArray[np.int64] | None  # listed areas (panopticapi's ground truth), or None
    listed: npt.NDArray[np.int64]     # each segment's position in its segments_info


class JsonSegments(NamedTuple):
    """A ``segments_info`` array as :func:`fastiou.panoptic._coco_json.read_coco_panoptic`
    reads it: no dict a segment, the plain ints of its keys and the array's text."""

    values: npt.NDArray[np.int64]   # (n, 4): each segment's id, category_id, iscrowd, area
    states: npt.NDArray[np.uint16]  # (n,): how each of those keys was found (_columns.pxd)
    source: bytes                   # the array's JSON text, for json.loads


class ImageStats(NamedTuple):
    """What one image adds to each category: matched IoUs (in panopticapi's order), FP, FN."""

    tp_category: npt.NDArray[np.int64]
    tp_iou: npt.NDArray[np.float64]
    fp: npt.NDArray[np.int64]
    fn: npt.NDArray[np.int64]


def _integer(value: object) -> bool:
    if type(value) is int:  # JSON's ints: skip the slower abstract-type checks
        return True
    return isinstance(value, numbers.Integral) and not isinstance(value, (bool, np.bool_))


def parse_categories(categories: object, name: str = "categories") -> Categories:
    """COCO categories (a sequence of mappings with ``id`` and ``isthing``) as a table."""
    if isinstance(categories, (str, bytes, Mapping)) or not isinstance(categories, Iterable):
        raise TypeError(f"`{name}` must be a sequence of mappings with 'id' and 'isthing', got "
                        f"{type(categories).__name__}")
    ids: list[int] = []
    isthing: list[bool] = []
    position: dict[int, int] = {}
    for k, category in enumerate(categories):
        if not isinstance(category, Mapping) or "id" not in category or "isthing" not in category:
            raise ValueError(f"`{name}`[{k}] must be a mapping with 'id' and 'isthing', got "
                             f"{category!r}")
        cid, thing = category["id"], category["isthing"]
        if not _integer(cid):
            raise TypeError(f"`{name}`[{k}]['id'] must be an int, got {cid!r}")
        if thing not in (0, 1):
            raise ValueError(f"`{name}`[{k}]['isthing'] must be 0 or 1, got {thing!r}")
        if int(cid) in position:
            raise ValueError(f"`{name}` lists category id {cid} twice (at {position[int(cid)]} "
                             f"and {k}); each id must be listed once")
        position[int(cid)] = k
        ids.append(int(cid))
        isthing.append(thing == 1)
    sorted_ids = np.array(sorted(position), dtype=np.int64)
    return Categories(tuple(ids), np.array(isthing, dtype=bool), position, sorted_ids,
                      np.array([position[int(c)] for c in sorted_ids], dtype=np.int64))


def _table(segments: list[Any], known: Categories, listed_area: bool) -> Segments | None:
    """The segment table of JSON's plain dicts of ints when every value is valid, else None
    (:func:`fastiou.panoptic._columns.segment_columns` reads them)."""
    columns = segment_columns(segments, listed_area, known.sorted_ids, known.sorted_position)
    return None if columns is None else Segments(*columns)


def parse_segments(segments_info: object, categories: Categories, where: str,
                   listed_area: bool = False) -> Segments:
    """A ``segments_info`` list (mappings with ``id``, ``category_id``, optional ``iscrowd``
    and, with `listed_area`, ``area``; or :class:`JsonSegments`) as a table; `where` names it
    in errors."""
    if type(segments_info) is JsonSegments:
        columns = json_segment_columns(segments_info.values, segments_info.states, listed_area,
                                       categories.sorted_ids, categories.sorted_position)
        if columns is not None:
            return Segments(*columns)
        segments_info = json.loads(segments_info.source)  # a value to check one by one
    if isinstance(segments_info, (str, bytes, Mapping)) or not isinstance(segments_info, Iterable):
        raise TypeError(f"{where} must be a sequence of segment mappings (id, category_id, "
                        f"iscrowd), got {type(segments_info).__name__}")
    segments = list(segments_info)
    table = _table(segments, categories, listed_area)  # JSON's plain dicts of ints
    return _parse_one_by_one(segments, categories, where, listed_area) if table is None else table


def _parse_one_by_one(segments: list[Any], categories: Categories, where: str,
                      listed_area: bool) -> Segments:
    """:func:`parse_segments` a segment at a time: the error names the first bad one."""
    rows: list[tuple[int, int, bool, int]] = []
    seen: dict[int, int] = {}
    for k, segment in enumerate(segments):
        if not (type(segment) is dict or isinstance(segment, Mapping)) or "id" not in segment \
                or "category_id" not in segment:
            raise ValueError(f"{where}: segment {k} must be a mapping with 'id' and "
                             f"'category_id', got {segment!r}")
        sid, cid = segment["id"], segment["category_id"]
        crowd = segment.get("iscrowd", 0)
        if not _integer(sid) or not 0 < int(sid) <= MAX_ID:
            raise ValueError(f"{where}: segment {k} has id {sid!r}; ids must be ints in "
                             f"[1, 2**32) (0 is void)")
        if int(sid) in seen:
            raise ValueError(f"{where}: segment id {sid} is listed twice (segments "
                             f"{seen[int(sid)]} and {k}); each id must be listed once")
        if not _integer(cid) or int(cid) not in categories.position:
            raise ValueError(f"{where}: segment id {sid} has category_id {cid!r}, which is not "
                             f"one of the categories {list(categories.ids)}")
        if crowd not in (0, 1):
            raise ValueError(f"{where}: segment id {sid} has iscrowd {crowd!r}; expected 0 or 1")
        area = -1
        if listed_area:
            area = segment.get("area")
            if not _integer(area) or int(area) < 0:
                raise ValueError(f"{where}: segment id {sid} has area {area!r}; expected a "
                                 f"non-negative int")
        seen[int(sid)] = k
        rows.append((int(sid), categories.position[int(cid)], crowd == 1, int(area)))
    table = np.array([row[:2] + (int(row[2]), row[3]) for row in rows],
                     dtype=np.int64).reshape(-1, 4)
    order = np.argsort(table[:, 0], kind="stable")
    table = table[order]
    return Segments(table[:, 0].copy(), table[:, 1].copy(), table[:, 2].astype(bool),
                    table[:, 3].copy() if listed_area else None, order.astype(np.int64))


def _locate(ids: npt.NDArray[np.int64], table: npt.NDArray[np.int64]
            ) -> tuple[npt.NDArray[np.intp], npt.NDArray[np.bool_]]:
    """Positions of `ids` in the sorted `table` and whether each is there."""
    position = np.searchsorted(table, ids)
    clipped = np.minimum(position, max(table.shape[0] - 1, 0))
    found = (position < table.shape[0]) & (table[clipped] == ids) if table.shape[0] else \
        np.zeros(ids.shape, dtype=bool)
    return clipped, found


_NO_AREAS = np.zeros(0, dtype=np.int64)


def image_stats(overlaps: SegmentOverlaps, gt: Segments, pred: Segments, n_categories: int,
                gt_where: str, pred_where: str) -> ImageStats:
    """Match one image's segments (panopticapi's rules) from its overlap table, with the
    compiled kernel ``_match.match_segments``.

    Raises a ValueError naming `gt_where`/`pred_where` for an id in a map that its segments
    do not list, a listed prediction absent from its map, or a listed ground-truth area
    smaller than the pixels the segment covers (said by :func:`image_stats_numpy`).
    """
    stats = match_segments(overlaps.gt_ids, overlaps.pred_ids, overlaps.counts, gt.ids,
                           gt.category, gt.iscrowd.view(np.uint8),
                           _NO_AREAS if gt.area is None else gt.area, gt.listed, pred.ids,
                           pred.category, n_categories)
    if stats is None:  # bad input: the NumPy twin says what is wrong
        return image_stats_numpy(overlaps, gt, pred, n_categories, gt_where, pred_where)
    return ImageStats(*stats)


def image_stats_numpy(overlaps: SegmentOverlaps, gt: Segments, pred: Segments,
                      n_categories: int, gt_where: str, pred_where: str) -> ImageStats:
    """:func:`image_stats` in NumPy: the kernel's oracle in the tests, and the messages for
    bad input."""
    g, p, counts = overlaps
    gi, g_known = _locate(g, gt.ids)
    pi, p_known = _locate(p, pred.ids)
    for known, ids, where in ((g_known, g, gt_where), (p_known, p, pred_where)):
        stray = ~known & (ids != VOID)
        if stray.any():
            missing = np.unique(ids[stray])
            raise ValueError(f"{where}: segment id {int(missing[0])} is in the map but not in its "
                             f"segments_info" + (f" ({missing.size} such ids: "
                                                 f"{missing[:10].tolist()})" if missing.size > 1
                                                 else "") + "; every non-zero id must be listed")
    pred_area = np.zeros(pred.ids.shape[0], dtype=np.int64)
    np.add.at(pred_area, pi[p_known], counts[p_known])
    if (pred_area == 0).any():
        absent = pred.ids[pred_area == 0]
        raise ValueError(f"{pred_where}: segment id {int(absent[0])} is listed in segments_info "
                         f"but covers no pixel of the map" + (f" ({absent.size} such ids: "
                                                              f"{absent[:10].tolist()})"
                                                              if absent.size > 1 else ""))
    gt_area = np.zeros(gt.ids.shape[0], dtype=np.int64)
    np.add.at(gt_area, gi[g_known], counts[g_known])
    if gt.area is not None:
        short = gt.area < gt_area
        if short.any():
            k = int(np.flatnonzero(short)[0])
            raise ValueError(f"{gt_where}: segment id {int(gt.ids[k])} has area {int(gt.area[k])} "
                             f"in segments_info but covers {int(gt_area[k])} pixels of the map")
        gt_area = gt.area
    on_void = (g == VOID) & p_known
    void_pred = np.zeros(pred.ids.shape[0], dtype=np.int64)
    np.add.at(void_pred, pi[on_void], counts[on_void])

    candidate = g_known & p_known
    candidate[candidate] = ~gt.iscrowd[gi[candidate]] & \
        (gt.category[gi[candidate]] == pred.category[pi[candidate]])
    cg, cp, inter = gi[candidate], pi[candidate], counts[candidate]
    union = pred_area[cp] + gt_area[cg] - inter - void_pred[cp]
    iou = inter / union
    match = iou > 0.5
    gt_matched = np.zeros(gt.ids.shape[0], dtype=bool)
    pred_matched = np.zeros(pred.ids.shape[0], dtype=bool)
    gt_matched[cg[match]] = True
    pred_matched[cp[match]] = True

    missed = ~gt_matched & ~gt.iscrowd
    fn = np.bincount(gt.category[missed], minlength=n_categories).astype(np.int64)
    # the crowd region of a category: its last crowd segment in segments_info order
    crowd_of = np.full(n_categories, -1, dtype=np.int64)
    for k in np.flatnonzero(gt.iscrowd)[np.argsort(gt.listed[gt.iscrowd], kind="stable")]:
        crowd_of[gt.category[k]] = k
    on_crowd = g_known & p_known
    on_crowd[on_crowd] = gi[on_crowd] == crowd_of[pred.category[pi[on_crowd]]]
    ignored_area = void_pred.copy()
    np.add.at(ignored_area, pi[on_crowd], counts[on_crowd])
    unmatched = ~pred_matched
    fp_mask = unmatched.copy()
    fp_mask[unmatched] = ~(ignored_area[unmatched] / pred_area[unmatched] > 0.5)
    fp = np.bincount(pred.category[fp_mask], minlength=n_categories).astype(np.int64)
    return ImageStats(gt.category[cg[match]], iou[match].astype(np.float64), fp, fn)


def labels_as_ids(values: npt.NDArray[Any], label_divisor: int | None, name: str
                  ) -> tuple[npt.NDArray[Any], int]:
    """One image of (category, instance) labels as a 2-D id map ``category * D + instance``
    (uint32, or the input itself when it already is such a map) and the divisor ``D``."""
    if label_divisor is not None:
        return values, label_divisor
    category, instance = values[..., 0], values[..., 1]
    if values.size and (values.min() < 0):
        raise ValueError(f"`{name}` must hold non-negative categories and instance ids, got "
                         f"{values.min()}")
    divisor = int(instance.max()) + 1 if values.size else 1
    if values.size and (int(category.max()) + 1) * divisor > MAX_ID + 1:
        raise ValueError(f"`{name}`: categories up to {category.max()} and instance ids up to "
                         f"{instance.max()} do not fit one 32-bit id (category * "
                         f"{divisor} + instance)")
    ids = category.astype(np.uint32) * np.uint32(divisor)
    ids += instance.astype(np.uint32)
    return ids, divisor


def canonical_overlaps(overlaps: SegmentOverlaps, gt_divisor: int, pred_divisor: int,
                       categories: Categories) -> tuple[SegmentOverlaps, Segments, Segments]:
    """Overlaps of raw ``category * D + instance`` ids turned into overlaps of segments:
    categories outside `known_ids` are void, a stuff category is one segment whatever its
    instance ids; the segment tables of both sides (no crowd, areas counted)."""
    known_ids, to_position = categories.sorted_ids, categories.sorted_position
    stuff_category = ~categories.isthing[to_position] if known_ids.size else np.zeros(0, bool)
    sides = []
    for ids, divisor in ((overlaps.gt_ids, gt_divisor), (overlaps.pred_ids, pred_divisor)):
        category = ids // divisor
        instance = ids % divisor
        position, known = _locate(category, known_ids)
        instance = np.where(known & ~stuff_category[position], instance, 0)
        width = int(instance.max()) + 1 if instance.size else 1
        segment = np.where(known, (position.astype(np.int64) + 1) * width + instance, VOID)
        sides.append((segment, width))
    (g, g_width), (p, p_width) = sides
    keys = g * (int(p.max()) + 1 if p.size else 1) + p
    unique, inverse = np.unique(keys, return_inverse=True)
    counts = np.zeros(unique.shape[0], dtype=np.int64)
    np.add.at(counts, inverse.reshape(-1), overlaps.counts)
    stride = int(p.max()) + 1 if p.size else 1
    table = SegmentOverlaps(unique // stride, unique % stride, counts)
    segments = []
    for ids, width in ((table.gt_ids, g_width), (table.pred_ids, p_width)):
        present = np.unique(ids[ids != VOID])
        category = to_position[present // width - 1]
        segments.append(Segments(present, category,
                                 np.zeros(present.shape[0], dtype=bool), None,
                                 np.arange(present.shape[0], dtype=np.int64)))
    return table, segments[0], segments[1]
