"""The evaluation tool: the ``fastiou`` command (``eval``, ``bench``, ``config``), finding,
pairing and decoding label-map files (``_io``, the PNG decoder ``_png`` and its ``_unfilter``
kernel), the counting engine (``_engine``), reports (``_report``, ``_format``, ``_outputs``),
the demo dataset, Dask and plots.

Public through ``fastiou.cli``, ``fastiou.demo``, ``fastiou.dask`` and ``fastiou.plot``;
``import fastiou`` loads none of the tool (commands, file reading, PNG codec, compression
libraries). See docs/architecture.md.
"""
