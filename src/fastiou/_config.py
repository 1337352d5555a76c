"""Build and runtime information: ``show_config()``."""

from __future__ import annotations

import platform
import sys
from typing import Protocol

import numpy as np

from fastiou._shared._openmp_info import compile_flags, openmp_enabled, openmp_max_threads
from fastiou._shared._threads import available_cpus
from fastiou._version import __version__
from fastiou.segmentation._simd import label_prefetch_path, simd_path


class _Writer(Protocol):
    """What ``print(..., file=)`` writes to (``sys.stdout``, an open text file, ``io.StringIO``)."""

    def write(self, text: str, /) -> object: ...


def config_info() -> dict[str, object]:
    """Return the build and runtime facts :func:`show_config` prints, as a dict.

    The PNG decoder is imported here, not with this module: ``import fastiou`` loads neither
    the evaluation tool nor its compression libraries."""
    from fastiou.evaluate._byte_classes import pair_inflate_path
    from fastiou.evaluate._png import inflater

    return {
        "fastiou": __version__,
        "python": sys.version.split()[0],
        "platform": platform.platform(),
        "numpy": np.__version__,
        "openmp": openmp_enabled(),
        "openmp_max_threads": openmp_max_threads(),
        "available_cpus": available_cpus(),
        "simd": simd_path(),
        "label_prefetch": label_prefetch_path(),
        "png_inflate": inflater().name,
        "png_pairs_inflate": pair_inflate_path(),
        "compile_flags": compile_flags(),
    }


def show_config(file: _Writer | None = None) -> None:
    """Print fastiou's version, OpenMP status, thread counts, SIMD path, label prefetch, PNG
    inflaters, NumPy version and compile flags.

    ``label_prefetch`` says whether the run-aware loops of 32- and 64-bit labels (and of any
    labels with AVX-512) ask for their labels ahead themselves: on Intel CPUs, whose L2
    prefetcher stops at every 4 KiB page, they do; elsewhere the hardware prefetchers alone
    fetch them. ``png_inflate`` is what the PNG decoder inflates with (libdeflate through
    ``imagecodecs`` when installed, else the standard library's zlib), ``png_pairs_inflate``
    what ``fastiou eval`` inflates 8-bit PNG pairs with (each image whole, then unfiltered and
    counted a few rows at a time).

    Parameters
    ----------
    file : file-like, optional
        Where to print (default ``sys.stdout``).

    Examples
    --------
    >>> import io, fastiou
    >>> fastiou.show_config()  # doctest: +SKIP
    fastiou             0.1.0
    python              3.11.9
    ...
    >>> buffer = io.StringIO()
    >>> fastiou.show_config(file=buffer)
    >>> buffer.getvalue().split()[:2] == ["fastiou", fastiou.__version__]
    True
    """
    for key, value in config_info().items():
        print(f"{key:<20}{value}", file=file or sys.stdout)
