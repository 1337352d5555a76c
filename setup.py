"""Build the Cython extensions of fastiou, with OpenMP when the compiler can link it.

OpenMP is probed by compiling *and linking* a tiny program with the same compiler that
builds the extensions. When the probe fails, or ``FASTIOU_DISABLE_OPENMP=1`` is set, the
extensions are built serially and a message says so. ``fastiou.show_config()`` reports
which build you have.

Debug information (Python's own ``CFLAGS`` carry ``-g``) is left out of the extensions with
gcc/clang: not generated (``-g0``, a fifth of the compile time) and stripped at link time
(``-Wl,--strip-debug``; ``-Wl,-S`` on macOS; MSVC keeps it in a separate .pdb anyway), which
makes them about 5x smaller; the symbol table stays, so profilers and sanitizer reports still
name functions. ``FASTIOU_KEEP_DEBUG_INFO=1`` keeps the debug information
(``tools/sanitize.sh`` sets it, for file:line in its reports).

Build time (``pip install .`` on 2 cores; figures in benchmarks/README.md): the kernels are
compiled with ``-O3``; the modules where that buys nothing measurable (``COLD_MODULES``)
with less, and the extensions are compiled longest first, a job per core, so that no long
file starts last.
"""

import os
import shutil
import sys
import tempfile
from pathlib import Path

import numpy as np
from Cython.Build import cythonize
from setuptools import Extension, setup
from setuptools.command.build_ext import build_ext

HERE = Path(__file__).parent
PACKAGE = Path("src") / "fastiou"
# the hand-written C of the kernels: headers declared from the .pxd files (sdist only)
C_INCLUDE = PACKAGE / "include"
SHARED_UTILITY = "fastiou._shared._cyutility"

BASE_COMPILE_ARGS = ["-O3", "-fno-strict-aliasing"]
MSVC_COMPILE_ARGS = ["/O2"]
# modules where -O3 only costs build time (gcc/clang; MSVC: /O2 for all): Cython's helpers
# and the thread-team clock run once per call (the helpers at -O1: small calls took the same
# time as at -O2, session 12), the build information once per process, the naive loop only
# in the tests; the instance-run loop, whose skips are hand-written SIMD, ran as fast at -O2
# (0.93-1.0 the time; the box, boundary, BF score and label kernels took 1.02-10x at -O2)
COLD_MODULES = {
    SHARED_UTILITY: "-O1",
    "fastiou._shared._team": "-O2",
    "fastiou._shared._openmp_info": "-O1",
    "fastiou.segmentation._naive": "-O1",
    "fastiou.compat._instances": "-O2",
}

PROBE_SOURCE = r"""
#include <omp.h>
#include <stdio.h>
int main(void) {
    int n = 0;
    #pragma omp parallel reduction(+:n)
    n += 1;
    printf("%d %d\n", n, omp_get_max_threads());
    return n > 0 ? 0 : 1;
}
"""

CYTHON_DIRECTIVES = {
    "language_level": 3,
    "boundscheck": False,
    "wraparound": False,
    "cdivision": True,
    "initializedcheck": False,
    "nonecheck": False,
    "embedsignature": True,
    "freethreading_compatible": True,
    "autotestdict": False,  # no __test__ dict of docstrings: the .pyi stubs stay exact
}


def _env_flag(name):
    return os.environ.get(name, "").strip().lower() in {"1", "true", "yes", "on"}


def _openmp_disabled_by_user():
    return _env_flag("FASTIOU_DISABLE_OPENMP")


def _leaves_out_debug_info(compiler):
    """True when the extensions are built without debug information (gcc/clang, unless
    ``FASTIOU_KEEP_DEBUG_INFO`` is set; MSVC keeps it in a separate .pdb)."""
    return not _env_flag("FASTIOU_KEEP_DEBUG_INFO") and compiler.compiler_type in {"unix", "mingw32", "cygwin"}


def _strip_debug_link_args(compiler):
    """Linker flags that leave the debug information out of the extensions (none for MSVC)."""
    if not _leaves_out_debug_info(compiler):
        return []
    return ["-Wl,-S"] if sys.platform == "darwin" else ["-Wl,--strip-debug"]


def _longest_first(extensions):
    """The extensions in the order to compile them: the largest C source first (compile time
    follows it), so that with a job per core no long file is left to run alone at the end."""
    def size(ext):
        return sum(os.path.getsize(source) for source in ext.sources if os.path.exists(source))
    return sorted(extensions, key=size, reverse=True)


def _openmp_flag_candidates(compiler):
    """The (compile flags, link flags) that may enable OpenMP with `compiler`, in the order
    they are tried: MSVC's ``/openmp``; ``-fopenmp`` (gcc, LLVM clang); on macOS also Apple
    clang's ``-Xpreprocessor -fopenmp`` with libomp, whose include and library folders come
    from ``CPPFLAGS``/``LDFLAGS`` (the cibuildwheel configuration in pyproject.toml sets them)."""
    if compiler.compiler_type == "msvc":
        return [(["/openmp"], [])]
    candidates = [(["-fopenmp"], ["-fopenmp"])]
    if sys.platform == "darwin":
        candidates.append((["-Xpreprocessor", "-fopenmp"], ["-lomp"]))
    return candidates


def _compiler_links_openmp(compiler, compile_flags, link_flags):
    """Return True when `compiler` compiles and links a small OpenMP program with these flags."""
    tmp = tempfile.mkdtemp(prefix="fastiou-openmp-probe-")
    try:
        src = os.path.join(tmp, "probe.c")
        with open(src, "w") as fh:
            fh.write(PROBE_SOURCE)
        objects = compiler.compile([src], output_dir=tmp, extra_postargs=compile_flags)
        # link_executable ignores $LDFLAGS, which the extensions do get (e.g. -fsanitize=...)
        link_flags = os.environ.get("LDFLAGS", "").split() + link_flags
        compiler.link_executable(objects, "probe", output_dir=tmp, extra_postargs=link_flags)
        return True
    except Exception:  # any compile or link failure means: no usable OpenMP
        return False
    finally:
        shutil.rmtree(tmp, ignore_errors=True)


def _openmp_flags(compiler):
    """The first (compile flags, link flags) of :func:`_openmp_flag_candidates` that works, or None."""
    for compile_flags, link_flags in _openmp_flag_candidates(compiler):
        if _compiler_links_openmp(compiler, compile_flags, link_flags):
            return compile_flags, link_flags
    return None


class BuildExtWithOpenMP(build_ext):
    """Probe OpenMP once, then add the flags (or not) to every extension."""

    def finalize_options(self):
        super().finalize_options()
        if self.parallel is None:  # the extensions compile independently: a job per core unless -j says
            self.parallel = os.cpu_count() or 1

    def build_extensions(self):
        _cythonize(self.extensions)
        openmp = None
        if _openmp_disabled_by_user():
            reason = "FASTIOU_DISABLE_OPENMP is set"
        else:
            openmp = _openmp_flags(self.compiler)
            reason = "the compiler could not compile and link an OpenMP program"
        if openmp is None:
            banner = "*" * 72
            print(
                f"\n{banner}\nfastiou: building WITHOUT OpenMP ({reason}).\n"
                "All kernels will run on one thread. Install a compiler with OpenMP\n"
                f"support (gcc, or clang with libomp) for multithreaded kernels.\n{banner}\n",
                file=sys.stderr,
            )
        msvc = self.compiler.compiler_type == "msvc"
        base = MSVC_COMPILE_ARGS if msvc else BASE_COMPILE_ARGS
        compile_args = base + (openmp[0] if openmp else [])
        # after Python's own -g: no debug information to generate and then strip
        no_debug_args = ["-g0"] if _leaves_out_debug_info(self.compiler) else []
        strip_args = _strip_debug_link_args(self.compiler)
        link_args = (openmp[1] if openmp else []) + strip_args
        # what show_config() reports: the kernels' compile flags and the debug-information
        # stripping
        flags_macro = ("FASTIOU_COMPILE_FLAGS", '"' + " ".join(compile_args + strip_args) + '"')
        for ext in self.extensions:
            level = None if msvc else COLD_MODULES.get(ext.name)
            args = [level if a == base[0] else a for a in compile_args] if level else compile_args
            ext.extra_compile_args = args + no_debug_args
            ext.extra_link_args = link_args
            ext.define_macros = [m for m in ext.define_macros if m[0] != flags_macro[0]] + [flags_macro]
        self.extensions = _longest_first(self.extensions)
        super().build_extensions()


def _extensions():
    """One extension per ``_*.pyx`` anywhere under src/fastiou, named by its package path
    (src/fastiou/segmentation/_confusion.pyx -> fastiou.segmentation._confusion). Cython finds
    the shared ``.pxd`` files by their package path (``from fastiou._shared._openmp cimport``)
    through the include path ``src``."""
    extensions = []
    # the hand-written C headers: Cython does not see them (they are not on its include
    # path), so without this an edited header leaves the modules built before it in place
    headers = sorted(str(header) for header in C_INCLUDE.glob("*.h"))
    for pyx in sorted(PACKAGE.rglob("_*.pyx")):
        name = ".".join(pyx.relative_to(PACKAGE.parent).with_suffix("").parts)
        extensions.append(
            Extension(
                name,
                [str(pyx)],
                include_dirs=[np.get_include(), str(C_INCLUDE)],
                define_macros=[("NPY_NO_DEPRECATED_API", "NPY_1_7_API_VERSION")],
                depends=headers,
            )
        )
    # Cython's own helpers (memoryviews, fused dispatch, ...) compiled once, in one module that
    # the others import, instead of once in every extension
    extensions.append(Extension(SHARED_UTILITY, [str(PACKAGE / "_shared" / "_cyutility.c")]))
    return extensions


def _cythonize(extensions):
    """Translate the changed ``.pyx`` files of `extensions` to C and point each extension at
    its C file (in place: setuptools keeps its own data on the extension objects). Done by
    build_ext, not when setup.py loads: pip runs setup.py three times (requirements,
    metadata, wheel), and only the last one compiles."""
    # one Cython process per core: translating the modules takes about a fifth of a build
    translated = cythonize(_extensions(), compiler_directives=CYTHON_DIRECTIVES,
                           include_path=[str(PACKAGE.parent)], nthreads=os.cpu_count() or 1,
                           shared_utility_qualified_name=SHARED_UTILITY)
    sources = {ext.name: ext.sources for ext in translated}
    for ext in extensions:
        ext.sources = list(sources[ext.name])


setup(ext_modules=_extensions(), cmdclass={"build_ext": BuildExtWithOpenMP})
