"""Panoptic quality (PQ, SQ, RQ): COCO panoptic segmentation scored exactly as panopticapi."""
