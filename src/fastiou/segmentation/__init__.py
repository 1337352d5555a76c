"""Label maps: confusion matrices, the metrics derived from them, the streaming accumulator
and the binary/soft scores, with their kernels (``_confusion``, ``_scores``, ``_binary``).

Public through ``fastiou``, ``fastiou.metrics`` and ``fastiou.binary``; the modules here are
the implementation. See docs/architecture.md.
"""
