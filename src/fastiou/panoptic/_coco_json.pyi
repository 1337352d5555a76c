"""Type stubs for the private COCO panoptic JSON reader (``_coco_json.pyx``)."""

from typing import Any

def read_coco_panoptic(text: bytes) -> dict[str, Any] | None: ...
