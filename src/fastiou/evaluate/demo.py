"""A small, deterministic Cityscapes-like dataset of PNG label maps with realistic errors.

``fastiou eval --demo`` writes it into a temporary folder and evaluates it. Scenes have sky,
a skyline of buildings and trees, a road in perspective with sidewalks, poles carrying signs
and lights, cars, people and cyclists, and void pixels (the ego car's bonnet and a
rectification border). Predictions are the truth with the errors a real network makes:
wobbly boundaries, confused look-alike classes in patches, missed thin objects and a few
spurious blobs.
"""

from __future__ import annotations

import os
from typing import NamedTuple

import numpy as np
import numpy.typing as npt

__all__ = ["CITYSCAPES_CLASSES", "CITYSCAPES_COLOURS", "DemoDataset", "make_dataset", "make_prediction",
           "make_scene", "palette"]

CITYSCAPES_CLASSES = (
    "road", "sidewalk", "building", "wall", "fence", "pole", "traffic light", "traffic sign",
    "vegetation", "terrain", "sky", "person", "rider", "car", "truck", "bus", "train",
    "motorcycle", "bicycle",
)
CITYSCAPES_COLOURS = (
    (128, 64, 128), (244, 35, 232), (70, 70, 70), (102, 102, 156), (190, 153, 153),
    (153, 153, 153), (250, 170, 30), (220, 220, 0), (107, 142, 35), (152, 251, 152),
    (70, 130, 180), (220, 20, 60), (255, 0, 0), (0, 0, 142), (0, 0, 70), (0, 60, 100),
    (0, 80, 100), (0, 0, 230), (119, 11, 32),
)
VOID = 255
GT_SUFFIX = "_gtFine_labelTrainIds"
PRED_SUFFIX = "_pred"
CITIES = ("aachen", "bremen", "frankfurt", "munster")

(ROAD, SIDEWALK, BUILDING, WALL, FENCE, POLE, LIGHT, SIGN, VEGETATION, TERRAIN, SKY, PERSON,
 RIDER, CAR, TRUCK, BUS, TRAIN, MOTORCYCLE, BICYCLE) = range(19)

# What a network mistakes each class for inside an error patch.
LOOK_ALIKES = {SIDEWALK: ROAD, ROAD: SIDEWALK, TERRAIN: VEGETATION, VEGETATION: TERRAIN,
               WALL: BUILDING, FENCE: VEGETATION, TRUCK: CAR, BUS: TRUCK, TRAIN: BUS,
               RIDER: PERSON, MOTORCYCLE: BICYCLE, BICYCLE: MOTORCYCLE, LIGHT: SIGN}


class DemoDataset(NamedTuple):
    """Where :func:`make_dataset` wrote the files and how to evaluate them."""

    gt_dir: str
    pred_dir: str
    gt_suffix: str
    pred_suffix: str
    num_classes: int
    ignore_index: int
    class_names: tuple[str, ...]
    n_images: int


def palette() -> list[int]:
    """The Cityscapes colours as a flat 768-entry PNG palette (void is black)."""
    flat = np.zeros((256, 3), dtype=np.uint8)
    flat[: len(CITYSCAPES_COLOURS)] = CITYSCAPES_COLOURS
    return flat.ravel().tolist()


def _smooth_noise(rng: np.random.Generator, shape: tuple[int, int], cell: int) -> npt.NDArray[np.float64]:
    """Zero-mean, unit-scale noise varying over about `cell` pixels (bilinear upsampling)."""
    height, width = shape
    coarse = rng.standard_normal((height // cell + 2, width // cell + 2))
    y = np.arange(height) / cell
    x = np.arange(width) / cell
    y0, x0 = y.astype(int), x.astype(int)
    fy, fx = (y - y0)[:, None], (x - x0)[None, :]
    top = coarse[y0][:, x0] * (1 - fx) + coarse[y0][:, x0 + 1] * fx
    bottom = coarse[y0 + 1][:, x0] * (1 - fx) + coarse[y0 + 1][:, x0 + 1] * fx
    noise: npt.NDArray[np.float64] = top * (1 - fy) + bottom * fy
    return noise


def _box(labels: npt.NDArray[np.uint8], label: int, top: float, bottom: float, left: float,
         right: float) -> None:
    height, width = labels.shape
    top, bottom = max(0, int(top)), min(height, int(bottom))
    left, right = max(0, int(left)), min(width, int(right))
    if top < bottom and left < right:
        labels[top:bottom, left:right] = label


def make_scene(rng: np.random.Generator, height: int = 256, width: int = 512) -> npt.NDArray[np.uint8]:
    """One ground-truth label map (uint8 train ids, 255 = void)."""
    labels = np.full((height, width), SKY, dtype=np.uint8)
    rows = np.arange(height)[:, None]
    cols = np.arange(width)[None, :]
    horizon = int(height * rng.uniform(0.42, 0.5))
    # skyline: blocks of buildings and trees of random width and height
    x = 0
    while x < width:
        block = int(rng.uniform(0.06, 0.2) * width)
        top = horizon - int(rng.uniform(0.1, 0.4) * height)
        kind = VEGETATION if rng.random() < 0.3 else BUILDING
        _box(labels, kind, top, horizon, x, x + block)
        if kind == BUILDING and rng.random() < 0.25:
            _box(labels, WALL, horizon - 0.05 * height, horizon, x, x + block // 2)
        x += block
    # ground: road trapezoid towards a vanishing point, sidewalks, terrain on the far sides
    vanish = width * rng.uniform(0.4, 0.6)
    depth = np.maximum(rows - horizon, 0) / max(1, height - horizon)
    half_road = 0.02 * width + 0.55 * width * depth
    half_walk = half_road + 0.01 * width + 0.2 * width * depth
    distance = np.abs(cols - vanish)
    ground = rows >= horizon
    labels[ground & (distance >= half_walk)] = TERRAIN if rng.random() < 0.5 else VEGETATION
    labels[ground & (distance < half_walk)] = SIDEWALK
    labels[ground & (distance < half_road)] = ROAD
    if rng.random() < 0.4:
        fence_top = horizon - 0.04 * height
        _box(labels, FENCE, fence_top, horizon + 0.02 * height, 0, width * 0.2)
    # poles with a sign or a light on top, along the sidewalk edges
    for _ in range(rng.integers(2, 6)):
        y = int(horizon + rng.uniform(0.05, 0.5) * (height - horizon))
        side = rng.choice([-1, 1])
        x = int(vanish + side * (half_road[min(y, height - 1), 0] + 0.02 * width))
        pole_width = max(1, int(2 + 6 * (y - horizon) / (height - horizon)))
        pole_top = y - int(0.35 * height * (0.3 + (y - horizon) / (height - horizon)))
        _box(labels, POLE, pole_top, y, x, x + pole_width)
        head = max(3, pole_width * 3)
        _box(labels, SIGN if rng.random() < 0.6 else LIGHT, pole_top - head, pole_top,
             x - head // 2, x + head // 2 + pole_width)
    # vehicles on the road, bigger when closer, drawn far to near so near ones occlude
    for y in np.sort(horizon + rng.uniform(0.1, 0.9, rng.integers(1, 6)) * (height - horizon)):
        y = int(y)
        scale = (y - horizon) / (height - horizon)
        kind = rng.choice([CAR, TRUCK, BUS, TRAIN], p=[0.82, 0.1, 0.05, 0.03])
        large = kind != CAR
        car_width = int(width * (0.04 + 0.2 * scale) * (1.3 if large else 1))
        car_height = int(car_width * (0.7 if large else 0.5))
        x = int(vanish + rng.uniform(-1, 1) * half_road[min(y, height - 1), 0])
        _box(labels, kind, y - car_height, y, x - car_width // 2, x + car_width // 2)
    # people on the sidewalks, sometimes riding
    for _ in range(rng.integers(0, 7)):
        y = int(horizon + rng.uniform(0.05, 0.8) * (height - horizon))
        scale = (y - horizon) / (height - horizon)
        person_height = int(height * (0.06 + 0.3 * scale))
        person_width = max(2, person_height // 4)
        side = rng.choice([-1, 1])
        x = int(vanish + side * (half_road[min(y, height - 1), 0] + rng.uniform(0, 0.1) * width))
        if rng.random() < 0.25:
            _box(labels, BICYCLE if rng.random() < 0.7 else MOTORCYCLE,
                 y - person_height // 2, y, x - person_width, x + 2 * person_width)
            _box(labels, RIDER, y - person_height, y - person_height // 3, x, x + person_width)
        else:
            _box(labels, PERSON, y - person_height, y, x, x + person_width)
    # void: the ego car's bonnet and a rectification border
    bonnet = (rows - height) ** 2 / (0.12 * height) ** 2 + (cols - width / 2) ** 2 / (0.6 * width) ** 2
    labels[bonnet < 1] = VOID
    border = max(1, width // 128)
    labels[:, :border] = VOID
    labels[:, -border:] = VOID
    return labels


def make_prediction(rng: np.random.Generator, truth: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """`truth` with realistic errors (every predicted pixel is a valid class id)."""
    height, width = truth.shape
    # wobbly boundaries: sample the truth through a smooth displacement field
    amplitude = max(1.0, width / 256)
    dy = np.rint(amplitude * 1.5 * _smooth_noise(rng, truth.shape, 24)).astype(np.int64)
    dx = np.rint(amplitude * 1.5 * _smooth_noise(rng, truth.shape, 24)).astype(np.int64)
    rows = (np.arange(height)[:, None] + dy).clip(0, height - 1)
    cols = (np.arange(width)[None, :] + dx).clip(0, width - 1)
    pred = truth[rows, cols]
    # look-alike confusions in patches
    patches = _smooth_noise(rng, truth.shape, 48) > 1.1
    confused = pred.copy()
    for source, target in LOOK_ALIKES.items():
        confused[pred == source] = target
    pred = np.where(patches, confused, pred)
    # thin objects partly missed: poles, signs and lights take the class to their left
    thin = np.isin(pred, (POLE, SIGN, LIGHT)) & (_smooth_noise(rng, truth.shape, 16) > 0.3)
    shift = max(2, width // 64)
    left = pred[:, np.maximum(np.arange(width) - shift, 0)]
    pred = np.where(thin, left, pred)
    # a few spurious blobs
    for _ in range(rng.integers(1, 4)):
        y, x = rng.integers(height // 3, height), rng.integers(0, width)
        size = rng.integers(2, max(3, width // 40))
        pred[y:y + size, x:x + size // 2 + 1] = rng.choice([PERSON, POLE, CAR])
    pred[pred == VOID] = ROAD  # a network predicts a class everywhere
    labels: npt.NDArray[np.uint8] = pred.astype(np.uint8)
    return labels


def make_dataset(folder: str | os.PathLike[str], n_images: int = 24, height: int = 256, width: int = 512,
                 seed: int = 0) -> DemoDataset:
    """Write `n_images` ground-truth / prediction PNG pairs under `folder` (deterministic).

    Ground truth goes to ``folder/gtFine/<city>/<city>_<seq>_<frame>_gtFine_labelTrainIds.png``
    and predictions to ``folder/pred/<city>_<seq>_<frame>_pred.png``, as palette PNGs whose
    pixel values are Cityscapes train ids (255 = void).

    Parameters
    ----------
    folder : str or path
        Where to write (created if needed).
    n_images : int
        Number of pairs.
    height, width : int
        Size of every label map.
    seed : int
        Seed of the generator: the same arguments always give the same files.

    Returns
    -------
    DemoDataset

    Examples
    --------
    >>> import tempfile
    >>> from fastiou.demo import make_dataset
    >>> with tempfile.TemporaryDirectory() as tmp:
    ...     data = make_dataset(tmp, n_images=2, height=64, width=128)
    ...     data.num_classes, data.n_images
    (19, 2)
    """
    from fastiou.evaluate._io import write_label_png

    rng = np.random.default_rng(seed)
    gt_root = os.path.join(folder, "gtFine")
    pred_dir = os.path.join(folder, "pred")
    os.makedirs(pred_dir, exist_ok=True)
    colours = palette()
    for index in range(n_images):
        city = CITIES[index % len(CITIES)]
        name = f"{city}_{index // len(CITIES):06d}_{19 * index % 1000:06d}"
        os.makedirs(os.path.join(gt_root, city), exist_ok=True)
        truth = make_scene(rng, height, width)
        pred = make_prediction(rng, truth)
        write_label_png(os.path.join(gt_root, city, name + GT_SUFFIX + ".png"), truth, colours)
        write_label_png(os.path.join(pred_dir, name + PRED_SUFFIX + ".png"), pred, colours)
    return DemoDataset(gt_root, pred_dir, GT_SUFFIX, PRED_SUFFIX, len(CITYSCAPES_CLASSES), VOID,
                       CITYSCAPES_CLASSES, n_images)
