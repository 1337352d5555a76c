"""Public instance-mask functions: IoU of binary masks (arrays or COCO RLE) and COCO
run-length encoding. Validate, convert once, call the kernels in ``_masks``.

Masks are bit-packed once (64 pixels per word) and every pair's intersection is a
popcount of ANDed words, restricted to the words both masks occupy. COCO RLE input is
turned into the same bits straight from its runs, without building full masks. COCO runs
walk the image column by column; when one side is an array and the other RLE, the array
is read in the same column-major order (the IoU does not depend on the pixel order, only
on both sides using the same one).
"""

from __future__ import annotations

import numbers
from collections.abc import Sequence
from typing import Any, Union, cast

import numpy as np
import numpy.typing as npt

from fastiou._shared._band_depth import DEFAULT_DILATION_RATIO, boundary_depth, check_dilation_ratio
from fastiou._shared._threads import resolve_n_threads, row_chunks, threads_for_size
from fastiou._shared._typing import RLE, EncodedRLE, FloatArray
from fastiou._shared._validation import as_array, as_flag_array
from fastiou.detection import _mask_bands, _masks

__all__ = ["mask_iou", "rle_decode", "rle_encode"]

# masks1 / masks2 of mask_iou: an (N, H, W) array, or COCO RLE dicts
_Masks = Union[npt.ArrayLike, RLE, Sequence[RLE]]

# one mask pair costs at least a few hundred ns; packing one mask many microseconds
MIN_MASK_PAIRS_PER_THREAD = 64
MIN_MASKS_PER_PACKING_THREAD = 2


def _as_mask_array(values: object, name: str) -> npt.NDArray[np.uint8]:
    """``(N, H, W)`` masks as a C-contiguous uint8 array (bool viewed, non-zero = foreground)."""
    array = as_array(values, name, "an (N, H, W) array of masks or a list of COCO RLE dicts")
    if array.dtype.kind not in "biu":
        raise TypeError(
            f"`{name}` must hold bool or integer masks (non-zero = foreground), got dtype {array.dtype}"
            + (" (threshold float masks explicitly, e.g. masks > 0.5)" if array.dtype.kind == "f" else "")
        )
    if array.ndim != 3:
        raise ValueError(f"`{name}` must have shape (N, H, W), got shape {array.shape}")
    if array.dtype.itemsize == 1:  # bool, uint8, int8: the kernels test bytes against 0
        return np.ascontiguousarray(array).view(np.uint8)
    return np.ascontiguousarray(array != 0).view(np.uint8)


def _rle_counts(rle: object, name: str) -> tuple[tuple[int, int], npt.NDArray[np.uint32]]:
    """Validate one COCO RLE dict; return ``((height, width), counts as uint32)``."""
    if not isinstance(rle, dict):
        raise TypeError(
            f"`{name}` must be a COCO RLE dict with 'size' and 'counts', got {type(rle).__name__}")
    missing = [key for key in ("size", "counts") if key not in rle]
    if missing:
        raise ValueError(f"`{name}` is missing the key {missing[0]!r} of a COCO RLE dict")
    size = rle["size"]
    try:
        height, width = size
    except (TypeError, ValueError):
        raise ValueError(f"`{name}['size']` must be [height, width], got {size!r}") from None
    for value in (height, width):
        if isinstance(value, (bool, np.bool_)) or not isinstance(value, numbers.Integral) or value < 0:
            raise ValueError(f"`{name}['size']` must be two non-negative ints, got {size!r}")
    height, width = int(height), int(width)
    counts = rle["counts"]
    if isinstance(counts, str):
        try:
            counts = counts.encode("ascii")
        except UnicodeEncodeError:
            raise ValueError(f"`{name}['counts']` is not a valid compressed COCO RLE string: "
                             "it holds non-ASCII characters") from None
    if isinstance(counts, (bytes, bytearray)):
        runs, error = _masks.string_to_counts(np.frombuffer(bytes(counts), dtype=np.uint8))
        if error is not None:
            raise ValueError(f"`{name}['counts']` is not a valid compressed COCO RLE string: {error}")
    else:
        try:
            runs = np.asarray(counts)
        except (TypeError, ValueError):
            raise ValueError(f"`{name}['counts']` must be a string or a list of ints") from None
        if runs.ndim != 1 or (runs.size and runs.dtype.kind not in "iu"):
            raise ValueError(f"`{name}['counts']` must be a string or a flat list of ints, "
                             f"got {runs.dtype} values of shape {runs.shape}")
        runs = runs.astype(np.int64)
        if runs.size and runs.min() < 0:
            raise ValueError(f"`{name}['counts']` holds the negative run length {runs.min()}")
    total = int(runs.sum()) if runs.size else 0
    if total != height * width:
        raise ValueError(f"`{name}['counts']` covers {total} pixels but `{name}['size']` "
                         f"{[height, width]} has {height * width}")
    if runs.size and runs.max() > np.iinfo(np.uint32).max:
        raise ValueError(f"`{name}['counts']` holds a run longer than COCO's uint32 limit")
    return (height, width), runs.astype(np.uint32)


def _pack_rles(rles: RLE | Sequence[RLE], name: str
               ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64], tuple[int, int]]:
    """Packed words, stats and ``(H, W)`` of a list of COCO RLE dicts (column-major bits)."""
    if isinstance(rles, dict):
        rles = [rles]
    parsed = [_rle_counts(rle, f"{name}[{k}]") for k, rle in enumerate(rles)]
    sizes = {size for size, _ in parsed}
    if len(sizes) > 1:
        raise ValueError(f"all masks of `{name}` must have one size, got sizes {sorted(sizes)}")
    packed, stats = pack_runs([runs for _, runs in parsed], sizes.pop())
    return packed, stats, parsed[0][0]


def pack_runs(runs: Sequence[npt.NDArray[np.uint32]], size: tuple[int, int]
              ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Packed words and stats of masks of one ``(H, W)`` `size` given as validated COCO
    run lengths (uint32 arrays, as :func:`_rle_counts` returns them)."""
    height, width = size
    n_words = (height * width + 63) // 64
    packed = np.zeros((len(runs), n_words), dtype=np.uint64)
    for k, counts in enumerate(runs):
        _masks.runs_to_words(counts, packed[k])
    stats = np.empty((len(runs), 3), dtype=np.int64)
    _masks.summarize_packed(packed, stats)
    return packed, stats


def packed_pair_iou(packed1: npt.NDArray[np.uint64], stats1: npt.NDArray[np.int64],
                    packed2: npt.NDArray[np.uint64], stats2: npt.NDArray[np.int64],
                    crowd: npt.NDArray[np.uint8] | None, n_threads: int) -> npt.NDArray[np.float64]:
    """``(N, M)`` IoU of two packed mask sets (`crowd`: uint8 flags per mask of the
    second set, or None)."""
    n, m = packed1.shape[0], packed2.shape[0]
    use_crowd = crowd is not None
    flags = crowd if crowd is not None else np.zeros(1, dtype=np.uint8)
    out = np.zeros((n, m), dtype=np.float64)
    if n and m and packed1.shape[1] == packed2.shape[1]:
        threads = threads_for_size(n_threads, n * m, MIN_MASK_PAIRS_PER_THREAD)
        for rows in row_chunks(n, m * packed1.shape[1]):  # interruptible between chunks
            _masks.packed_iou(packed1[rows], stats1[rows], packed2, stats2, flags, use_crowd,
                              out[rows], threads)
    return out


def _pack_array(masks: npt.NDArray[np.uint8], threads: int, column_major: bool
                ) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
    """Packed words and stats of ``(N, H, W)`` uint8 masks."""
    if column_major:
        masks = np.ascontiguousarray(masks.transpose(0, 2, 1))
    flat = masks.reshape(masks.shape[0], masks.shape[1] * masks.shape[2])
    packed = np.empty((flat.shape[0], (flat.shape[1] + 63) // 64), dtype=np.uint64)
    stats = np.empty((flat.shape[0], 3), dtype=np.int64)
    threads = threads_for_size(threads, flat.shape[0], MIN_MASKS_PER_PACKING_THREAD)
    for rows in row_chunks(flat.shape[0], flat.shape[1]):  # interruptible between chunks
        _masks.pack_masks(flat[rows], packed[rows], stats[rows], threads)
    return packed, stats


def mask_iou(masks1: _Masks, masks2: _Masks, *, iscrowd: npt.ArrayLike | None = None,
             n_threads: int | None = None, boundary: bool = False,
             dilation_ratio: float = DEFAULT_DILATION_RATIO) -> FloatArray:
    """IoU of every mask of `masks1` with every mask of `masks2`.

    Parameters
    ----------
    masks1 : array_like, shape (N, H, W), or list of COCO RLE dicts
        Binary masks: bool or integer (non-zero = foreground), or the
        ``{"size": [h, w], "counts": ...}`` dicts of pycocotools, with compressed
        (``bytes``/``str``) or uncompressed (list of ints) counts.
    masks2 : array_like, shape (M, H, W), or list of COCO RLE dicts
        Same kinds; every mask of both inputs must have the same ``H x W``.
    iscrowd : array_like of bool, shape (M,), optional
        pycocotools' crowd flag per mask of `masks2` (the ground truth): for a crowd mask
        the value is the intersection over the area of the mask of `masks1`.
    n_threads : int, optional
        Threads (None: the OpenMP default now; -1: all CPUs). Results do not depend on it.
    boundary : bool
        Boundary IoU of instances (Cheng et al., CVPR 2021; boundary-iou-api): each mask is
        first replaced by its inner boundary band, the mask minus its erosion by a 3x3
        square repeated ``d = max(1, round(dilation_ratio * image diagonal))`` times with a
        zero border (``mask_to_boundary``), found in O(pixels) whatever ``d``. (The full
        boundary-iou-api score of an instance is the smaller of this and the mask IoU.)
    dilation_ratio : float
        The band depth as a fraction of the image diagonal (0.02); only with `boundary`.

    Returns
    -------
    ndarray of float64, shape (N, M)
        ``|a & b| / |a | b|`` (of the bands with `boundary`); 0 when both are empty (as
        pycocotools).

    Raises
    ------
    TypeError
        Float or non-numeric masks, an RLE entry that is not a dict, a bad `iscrowd` dtype,
        a non-int `n_threads`.
    ValueError
        Masks that are not 3-D, different ``H x W``, a malformed RLE (missing key, bad
        size, bad counts string, counts that do not cover ``h * w`` pixels), an `iscrowd`
        of the wrong length, ``n_threads=0``.

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou import mask_iou, rle_encode
    >>> a = np.zeros((1, 4, 4), dtype=bool); a[0, :2, :2] = True
    >>> b = np.zeros((2, 4, 4), dtype=bool); b[0, :2, :] = True; b[1, 2:, 2:] = True
    >>> mask_iou(a, b)
    array([[0.5, 0. ]])
    >>> mask_iou(rle_encode(a), rle_encode(b), iscrowd=[True, False])
    array([[1., 0.]])
    >>> c = np.zeros((1, 8, 8), dtype=bool); c[0, 1:7, 1:7] = True
    >>> d = np.zeros((1, 8, 8), dtype=bool); d[0, 1:7, 2:8] = True
    >>> mask_iou(c, d), mask_iou(c, d, boundary=True)
    (array([[0.71428571]]), array([[0.33333333]]))
    """
    threads = resolve_n_threads(n_threads)
    if not isinstance(boundary, (bool, np.bool_)):
        raise TypeError(f"`boundary` must be a bool, got {type(boundary).__name__} {boundary!r}")
    depth_ratio = check_dilation_ratio(dilation_ratio)
    first = _MaskInput(masks1, "masks1")
    second = _MaskInput(masks2, "masks2")
    if boundary:
        first = first.bands(depth_ratio, threads)
        second = second.bands(depth_ratio, threads)
    if first.size is not None and second.size is not None and first.size != second.size:
        raise ValueError(f"`masks2` has masks of size {second.size} but `masks1` of size "
                         f"{first.size}; they must be equal")
    column_major = first.is_rle or second.is_rle
    packed1, stats1 = first.packed(threads, column_major)
    packed2, stats2 = second.packed(threads, column_major)
    crowd = None
    if iscrowd is not None:
        crowd = as_flag_array(iscrowd, "iscrowd", (packed2.shape[0],), "one value per mask of `masks2`")
    return packed_pair_iou(packed1, stats1, packed2, stats2, crowd, threads)


class _MaskInput:
    """One side of `mask_iou`: an (N, H, W) array, a list of RLE dicts, or an empty list."""

    def __init__(self, masks: _Masks, name: str) -> None:
        self.is_rle = isinstance(masks, dict) or (
            isinstance(masks, (list, tuple)) and len(masks) > 0 and isinstance(masks[0], dict))
        self.size = None
        if isinstance(masks, (list, tuple)) and len(masks) == 0:
            self.array = np.zeros((0, 0, 0), dtype=np.uint8)
        elif self.is_rle:
            rles = cast("RLE | Sequence[RLE]", masks)
            self.rles: list[RLE] = [rles] if isinstance(rles, dict) else list(cast("Sequence[RLE]", rles))
            self.words, self.stats, self.size = _pack_rles(rles, name)
        else:
            self.array = _as_mask_array(masks, name)
            self.size = self.array.shape[1:]

    def bands(self, dilation_ratio: float, threads: int) -> _MaskInput:
        """The boundary bands of these masks (for `mask_iou(boundary=True)`), as an array input."""
        array = rle_decode(self.rles).view(np.uint8) if self.is_rle else self.array
        if array.shape[0] == 0:
            return self
        if array.dtype.itemsize == 1 and array.max(initial=0) > 1:  # non-zero bytes are foreground
            array = (array != 0).view(np.uint8)
        depth = boundary_depth(array.shape[1], array.shape[2], dilation_ratio)
        threads = threads_for_size(threads, array.shape[0], MIN_MASKS_PER_PACKING_THREAD)
        return _MaskInput(_mask_bands.mask_bands(np.ascontiguousarray(array), depth, threads), "bands")

    def packed(self, threads: int, column_major: bool) -> tuple[npt.NDArray[np.uint64], npt.NDArray[np.int64]]:
        if self.is_rle:
            return self.words, self.stats
        return _pack_array(self.array, threads, column_major)


def rle_encode(masks: npt.ArrayLike) -> list[EncodedRLE] | EncodedRLE:
    """COCO run-length encoding of binary masks, byte-identical to pycocotools.

    Parameters
    ----------
    masks : array_like, shape (N, H, W) or (H, W)
        bool or integer masks (non-zero = foreground). Note the axis order: pycocotools'
        ``mask.encode`` takes ``(H, W, N)`` Fortran arrays; here masks come first.

    Returns
    -------
    list of dict, or dict for a single ``(H, W)`` mask
        ``{"size": [H, W], "counts": bytes}``: the compressed counts of pycocotools (runs
        down the columns, starting with background).

    Examples
    --------
    >>> import numpy as np
    >>> from fastiou import rle_encode
    >>> mask = np.zeros((3, 3), dtype=bool); mask[1:, 1:] = True
    >>> rle_encode(mask)
    {'size': [3, 3], 'counts': b'4210'}
    """
    try:
        single = np.ndim(masks) == 2
    except (TypeError, ValueError):
        single = False
    if single:
        masks = as_array(masks, "masks", "an (H, W) mask")[None]
    array = _as_mask_array(masks, "masks")
    height, width = array.shape[1:]
    columns = np.ascontiguousarray(array.transpose(0, 2, 1)).reshape(array.shape[0], height * width)
    encoded: list[EncodedRLE] = [
        {"size": [height, width], "counts": _masks.counts_to_string(_masks.mask_runs(mask))}
        for mask in columns]
    return encoded[0] if single else encoded


def rle_decode(rles: RLE | Sequence[RLE]) -> npt.NDArray[np.bool_]:
    """Binary masks from COCO RLE dicts (compressed or uncompressed counts).

    Parameters
    ----------
    rles : dict or list of dict
        ``{"size": [h, w], "counts": bytes | str | list of int}`` as pycocotools makes.

    Returns
    -------
    ndarray of bool, shape (N, H, W), or (H, W) for a single dict

    Examples
    --------
    >>> from fastiou import rle_decode
    >>> rle_decode({"size": [3, 3], "counts": [4, 2, 1, 2]}).astype(int)
    array([[0, 0, 0],
           [0, 1, 1],
           [0, 1, 1]])
    """
    single = isinstance(rles, dict)
    if not single and not isinstance(rles, (list, tuple)):
        raise TypeError(f"`rles` must be a COCO RLE dict or a list of them, got {type(rles).__name__}")
    if not single and len(rles) == 0:
        return np.zeros((0, 0, 0), dtype=bool)
    packed, _, (height, width) = _pack_rles(rles, "rles")
    bits = np.unpackbits(packed.astype("<u8").view(np.uint8), axis=1, count=height * width, bitorder="little")
    masks = bits.reshape(bits.shape[0], width, height).transpose(0, 2, 1).astype(bool)
    return masks[0] if single else masks
