"""Type stubs for the private SIMD level of the counting kernels (``_simd.pyx``)."""

SIMD_PATHS: tuple[str, ...]

def simd_path() -> str: ...

# private test hooks (tests/test_kernel_paths.py)
def _simd_levels() -> list[int]: ...
def _set_simd_cap(level: int) -> int: ...

# the C function table Cython exports for ``cimport`` (``simd_level``, see ``_simd.pxd``)
__pyx_capi__: dict[str, object]
