"""Boxes and instance masks: box IoU and its variants, rotated boxes, mask IoU and COCO RLE,
with their kernels (``_boxes``, ``_rotated``, ``_masks``, sharing ``_pairs.pxd``).

Public through ``fastiou``, ``fastiou.boxes`` and ``fastiou.masks``; the modules here are the
implementation. See docs/architecture.md.
"""
