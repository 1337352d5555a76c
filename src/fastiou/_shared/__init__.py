"""Private helpers every job of fastiou uses: argument checks and array conversion
(``_validation``), thread counts (``_threads``), the aliases of the annotations (``_typing``),
and the OpenMP shim of the kernels (``_openmp.pxd``, ``_fused.pxd``, ``_openmp_info``).

Nothing here imports from the job packages (``segmentation``, ``detection``, ``evaluate``,
``compat``); they import from here. See docs/architecture.md.
"""
