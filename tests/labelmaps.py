"""Small label-map datasets on disk for the ``fastiou eval`` tests, with their arrays kept."""

import os

import numpy as np

from fastiou import reference


def random_maps(rng, n_images, shape, num_classes, void=None, void_share=0.1):
    """`n_images` (truth, prediction) uint8 pairs; some truth pixels are `void`."""
    pairs = []
    for _ in range(n_images):
        truth = rng.integers(0, num_classes, shape).astype(np.uint8)
        pred = np.where(rng.random(shape) < 0.7, truth,
                        rng.integers(0, num_classes, shape)).astype(np.uint8)
        if void is not None:
            truth[rng.random(shape) < void_share] = void
        pairs.append((truth, pred))
    return pairs


def save(path, labels):
    """Write `labels` as PNG (palette for uint8, 16-bit otherwise), TIFF or .npy by extension."""
    from PIL import Image

    if path.endswith(".npy"):
        np.save(path, labels)
        return
    if labels.dtype == np.uint8:
        image = Image.fromarray(labels)
        if path.endswith(".png"):
            image.putpalette([v for i in range(256) for v in (i, 255 - i, (7 * i) % 256)])
    else:
        image = Image.fromarray(labels.astype(np.uint16 if path.endswith(".png") else np.int32))
    image.save(path)


def write_folders(root, pairs, gt_ext=".png", pred_ext=".png", gt_suffix="_gt", pred_suffix=""):
    """Write `pairs` as ``root/gt/sub<k>/img<i><gt_suffix><ext>`` and ``root/pred/img<i>...``."""
    gt_dir, pred_dir = os.path.join(root, "gt"), os.path.join(root, "pred")
    for index, (truth, pred) in enumerate(pairs):
        sub = os.path.join(gt_dir, f"sub{index % 2}")
        os.makedirs(sub, exist_ok=True)
        os.makedirs(pred_dir, exist_ok=True)
        save(os.path.join(sub, f"img{index:03d}{gt_suffix}{gt_ext}"), truth)
        save(os.path.join(pred_dir, f"img{index:03d}{pred_suffix}{pred_ext}"), pred)
    return gt_dir, pred_dir


def expected_matrix(pairs, num_classes, ignore=()):
    """The NumPy reference matrix summed over pairs."""
    return sum(reference.confusion_matrix(t, p, num_classes, ignore) for t, p in pairs)
