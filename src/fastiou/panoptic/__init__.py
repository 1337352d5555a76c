"""fastiou.panoptic: panoptic quality (PQ = SQ x RQ), exactly as COCO's panopticapi scores it.

A compiled kernel (``_segments.pyx``) counts the overlap table of two segment-id maps (or
COCO panoptic RGB maps) in one pass; the matching on top of it (``_matching.py``) follows
panopticapi's rules; :mod:`fastiou.panoptic.quality` holds the public functions and the
:class:`PanopticQuality` accumulator. ``fastiou.compat.panopticapi.pq_compute`` is the
drop-in for panopticapi's JSON-and-PNG-folder evaluation.
"""

from fastiou.panoptic._overlaps import SegmentOverlaps, segment_overlaps
from fastiou.panoptic.quality import (
    PanopticQuality,
    panoptic_quality,
    panoptic_quality_from_labels,
)

__all__ = [
    "PanopticQuality",
    "SegmentOverlaps",
    "panoptic_quality",
    "panoptic_quality_from_labels",
    "segment_overlaps",
]
