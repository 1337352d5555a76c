"""Generated COCO panoptic datasets (ground truth and predictions: id maps, segments_info,
PNG folders and JSON files) for the panoptic tests and benchmark.

Each image holds overlapping stuff and thing rectangles (a later one covers an earlier
one), void pixels, crowd segments, segments listed but covered entirely (ground truth),
ids that differ between truth and prediction, predictions shifted, of the wrong category,
merged, unmatched or lying on void and crowd; one category never occurs.
"""

from __future__ import annotations

import json
import os
from typing import Any

import numpy as np

CATEGORIES = [
    {"id": 1, "name": "person", "isthing": 1},
    {"id": 3, "name": "car", "isthing": 1},
    {"id": 7, "name": "dog", "isthing": 1},
    {"id": 10, "name": "sky", "isthing": 0},
    {"id": 12, "name": "road", "isthing": 0},
    {"id": 20, "name": "never", "isthing": 1},   # occurs nowhere
]
THINGS = [1, 3, 7]
STUFFS = [10, 12]


def _new_id(rng: np.random.Generator, used: set[int], high: int) -> int:
    while True:
        value = int(rng.integers(1, high))
        if value not in used:
            used.add(value)
            return value


def _rectangle(rng: np.random.Generator, h: int, w: int, scale: float) -> tuple[int, int, int, int]:
    rh = max(1, int(h * scale * rng.uniform(0.3, 1.0)))
    rw = max(1, int(w * scale * rng.uniform(0.3, 1.0)))
    top, left = int(rng.integers(0, h - rh + 1)), int(rng.integers(0, w - rw + 1))
    return top, left, top + rh, left + rw


def make_image(rng: np.random.Generator, h: int, w: int, n_things: int = 6, n_stuff: int = 3,
               id_high: int = 1 << 24, thing_scale: float = 0.4) -> tuple[np.ndarray, list[dict[str, Any]], np.ndarray,
                                                list[dict[str, Any]]]:
    """One image: ``(gt_ids, gt_segments, pred_ids, pred_segments)`` (uint32 id maps);
    thing rectangles up to `thing_scale` of the image's sides."""
    gt = np.zeros((h, w), dtype=np.uint32)
    pred = np.zeros((h, w), dtype=np.uint32)
    gt_used: set[int] = set()
    pred_used: set[int] = set()
    painted = []  # (id, category, crowd, rectangle) in painting order
    for k in range(n_stuff + n_things):
        stuff = k < n_stuff
        category = int(rng.choice(STUFFS if stuff else THINGS))
        rect = _rectangle(rng, h, w, 0.9 if stuff else thing_scale)
        sid = _new_id(rng, gt_used, id_high)
        gt[rect[0]:rect[2], rect[1]:rect[3]] = sid
        crowd = (not stuff) and rng.random() < 0.2
        painted.append((sid, category, crowd, rect))
    if rng.random() < 0.5:  # a void hole in the ground truth
        t, l, b, r = _rectangle(rng, h, w, 0.3)
        gt[t:b, l:r] = 0
    ids, counts = np.unique(gt, return_counts=True)
    area = dict(zip(ids.tolist(), counts.tolist()))
    gt_segments = []
    for sid, category, crowd, _rect in painted:
        if sid in area or rng.random() < 0.3:  # some covered segments stay listed (area 0)
            gt_segments.append({"id": sid, "category_id": category, "iscrowd": int(crowd),
                                "area": area.get(sid, 0), "bbox": [0, 0, 0, 0]})
    rng.shuffle(gt_segments)

    pred_segments = []
    pred_category: dict[int, int] = {}
    if rng.random() < 0.5:  # a background stuff prediction
        pid = _new_id(rng, pred_used, id_high)
        pred[:] = pid
        pred_category[pid] = int(rng.choice(STUFFS))
    for sid, category, crowd, (t, l, b, r) in painted:
        if rng.random() < 0.15:
            continue  # missed
        dy, dx = (int(v) for v in rng.integers(-2, 3, size=2))
        t, b = max(0, t + dy), max(0, min(h, b + dy))
        l, r = max(0, l + dx), max(0, min(w, r + dx))
        if rng.random() < 0.15 and pred_category:  # merged into an earlier prediction
            pid = int(rng.choice(list(pred_category)))
        else:
            pid = _new_id(rng, pred_used, id_high)
            wrong = rng.random() < 0.15
            pred_category[pid] = int(rng.choice(THINGS + STUFFS)) if wrong else category
        pred[t:b, l:r] = pid
    for _ in range(int(rng.integers(0, 3))):  # unmatched predictions
        t, l, b, r = _rectangle(rng, h, w, 0.3)
        pid = _new_id(rng, pred_used, id_high)
        pred_category[pid] = int(rng.choice(THINGS + STUFFS))
        pred[t:b, l:r] = pid
    if rng.random() < 0.5:  # predicted void
        t, l, b, r = _rectangle(rng, h, w, 0.25)
        pred[t:b, l:r] = 0
    present = set(np.unique(pred).tolist()) - {0}
    for pid, category in pred_category.items():
        if pid in present:
            pred_segments.append({"id": pid, "category_id": category})
    rng.shuffle(pred_segments)
    return gt, gt_segments, pred, pred_segments


def ids_to_rgb(ids: np.ndarray) -> np.ndarray:
    """COCO panoptic colours of an id map: (H, W, 3) uint8."""
    return np.stack([(ids >> (8 * c)) & 255 for c in range(3)], axis=-1).astype(np.uint8)


def write_dataset(root: str, seed: int, n_images: int, h: int = 40, w: int = 56,
                  n_things: int = 6, n_stuff: int = 3,
                  categories: list[dict[str, Any]] | None = None,
                  thing_scale: float = 0.4) -> tuple[str, str]:
    """Write ``gt.json`` + ``gt/`` and ``pred.json`` + ``pred/`` under `root`; returns the
    two JSON paths."""
    from PIL import Image

    rng = np.random.default_rng(seed)
    os.makedirs(os.path.join(root, "gt"), exist_ok=True)
    os.makedirs(os.path.join(root, "pred"), exist_ok=True)
    gt_annotations, pred_annotations, images = [], [], []
    for k in range(n_images):
        hh = h + int(rng.integers(0, 9)) if h < 100 else h
        gt, gt_segments, pred, pred_segments = make_image(rng, hh, w, n_things, n_stuff,
                                                          thing_scale=thing_scale)
        name = f"{k:06d}.png"
        Image.fromarray(ids_to_rgb(gt)).save(os.path.join(root, "gt", name))
        Image.fromarray(ids_to_rgb(pred)).save(os.path.join(root, "pred", name))
        images.append({"id": 1000 + k, "file_name": f"{k:06d}.jpg", "height": hh, "width": w})
        gt_annotations.append({"image_id": 1000 + k, "file_name": name,
                               "segments_info": gt_segments})
        pred_annotations.append({"image_id": 1000 + k, "file_name": name,
                                 "segments_info": pred_segments})
    gt_json, pred_json = os.path.join(root, "gt.json"), os.path.join(root, "pred.json")
    with open(gt_json, "w") as f:
        json.dump({"images": images, "annotations": gt_annotations,
                   "categories": categories or CATEGORIES}, f)
    with open(pred_json, "w") as f:
        json.dump({"annotations": pred_annotations}, f)
    return gt_json, pred_json
