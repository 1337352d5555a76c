"""Type stubs for the private instance-mask and COCO RLE kernels (``_masks.pyx``)."""

import numpy as np
import numpy.typing as npt

def pack_masks(
    masks: npt.NDArray[np.uint8],
    packed: npt.NDArray[np.uint64],
    stats: npt.NDArray[np.int64],
    n_threads: int,
) -> None: ...
def runs_to_words(counts: npt.NDArray[np.uint32], words: npt.NDArray[np.uint64]) -> None: ...
def summarize_packed(packed: npt.NDArray[np.uint64], stats: npt.NDArray[np.int64]) -> None: ...
def packed_iou(
    packed1: npt.NDArray[np.uint64],
    stats1: npt.NDArray[np.int64],
    packed2: npt.NDArray[np.uint64],
    stats2: npt.NDArray[np.int64],
    crowd: npt.NDArray[np.uint8],
    use_crowd: bool,
    out: npt.NDArray[np.float64],
    n_threads: int,
) -> None: ...
def mask_runs(pixels: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint32]: ...
def counts_to_string(counts: npt.NDArray[np.uint32]) -> bytes: ...
def string_to_counts(text: npt.NDArray[np.uint8]) -> tuple[npt.NDArray[np.int64], str | None]: ...
