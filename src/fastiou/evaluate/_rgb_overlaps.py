"""The overlap table of a COCO panoptic PNG pair, decoded and counted together: the wrapper
of the ``_rgb_pairs`` kernel."""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from fastiou.evaluate._png import PngError, Scratch, inflate_png, parse_png
from fastiou.evaluate._rgb_pairs import COUNTED, TABLE_FULL, compact_rows, count_rgb_png_pair
from fastiou.panoptic._overlaps import FIRST_CAPACITY, MAX_ID, SegmentOverlaps

ALIGN = 64  # the prediction's data starts on a cache line


def png_pair_overlaps(gt_path: str, pred_path: str, scratch: tuple[Scratch, Scratch]
                      ) -> SegmentOverlaps | None:
    """Count how many pixels each (ground-truth id, predicted id) pair of two COCO panoptic
    PNGs covers (id = R + 256 G + 256**2 B), decoding them a row at a time on this thread.

    No image-sized array of pixels or ids is made: the ground truth is inflated into
    ``scratch[0]`` and decoded in place into its distinct rows (a row that repeats the row
    above is not decoded again), the prediction inflated right after them, and the kernel
    unfilters and counts the prediction's rows with the ground truth's, skipping the rows
    that repeat the row above in both.

    Parameters
    ----------
    gt_path, pred_path : str
        The ground-truth and predicted PNG files.
    scratch : tuple of fastiou.evaluate._png.Scratch
        Reusable buffers: the two files are inflated into the first.

    Returns
    -------
    fastiou.panoptic.SegmentOverlaps or None
        ``(gt_ids, pred_ids, counts)`` sorted by ``(gt_id, pred_id)``, the table
        :func:`fastiou.panoptic.segment_overlaps` gives for the decoded images; None when
        the pair is not two readable 8-bit RGB(A) PNGs of one size, not interlaced (a file
        missing, corrupt, of another kind or size): decoding the files the usual way then
        reads them or says what is wrong.

    Examples
    --------
    >>> import os, tempfile
    >>> import numpy as np
    >>> from PIL import Image
    >>> from fastiou.evaluate._png import Scratch
    >>> from fastiou.evaluate._rgb_overlaps import png_pair_overlaps
    >>> folder = tempfile.mkdtemp()
    >>> gt, pred = os.path.join(folder, "gt.png"), os.path.join(folder, "pred.png")
    >>> Image.fromarray(np.array([[[1, 0, 0], [2, 0, 0]]], dtype=np.uint8)).save(gt)
    >>> Image.fromarray(np.array([[[5, 0, 0], [5, 0, 0]]], dtype=np.uint8)).save(pred)
    >>> png_pair_overlaps(gt, pred, (Scratch(), Scratch()))
    SegmentOverlaps(gt_ids=array([1, 2]), pred_ids=array([5, 5]), counts=array([1, 1]))
    """
    try:
        gt = parse_png(gt_path, colour=True)
        pred = parse_png(pred_path, colour=True)
        if gt.interlaced or pred.interlaced or (gt.height, gt.width) != (pred.height, pred.width):
            return None
        # one buffer: the ground truth inflated, then decoded in place into its distinct
        # rows; the prediction inflated right after those, over the ground truth's spent data
        buffer = scratch[0].take(gt.filtered_size + pred.filtered_size + ALIGN)
        gt = inflate_png(gt, gt_path, _Region(buffer, 0))
    except (PngError, OSError):
        return None
    data = gt.data
    if not isinstance(data, np.ndarray):  # the standard library's zlib gave bytes
        data = buffer[:len(data)]
        data[:] = np.frombuffer(gt.data, dtype=np.uint8)
    status, offsets, size = compact_rows(data, gt.height, gt.width, gt.depth // 8)
    if status >= 0:  # a row's filter byte is not 0..4
        return None
    try:
        pred = inflate_png(pred, pred_path, _Region(buffer, -(-size // ALIGN) * ALIGN))
    except PngError:
        return None
    capacity = FIRST_CAPACITY
    while True:
        status, keys, counts = count_rgb_png_pair(buffer[:size], offsets, pred.data,
                                                  pred.height, pred.width, gt.depth // 8,
                                                  pred.depth // 8, capacity)
        if status == COUNTED:
            order = np.argsort(keys)
            keys = keys[order]
            return SegmentOverlaps((keys >> np.uint64(32)).view(np.int64),
                                   (keys & np.uint64(MAX_ID)).view(np.int64), counts[order])
        if status != TABLE_FULL:  # a row's filter byte is not 0..4
            return None
        capacity *= 4


class _Region:
    """What :func:`fastiou.evaluate._png.inflate_png` inflates into, as a
    :class:`fastiou.evaluate._png.Scratch`: `buffer` from byte `start` on."""

    def __init__(self, buffer: npt.NDArray[np.uint8], start: int):
        self._buffer = buffer
        self._start = start

    def take(self, nbytes: int) -> npt.NDArray[np.uint8]:
        return self._buffer[self._start:self._start + nbytes]
