/* fastiou_openmp.h: the one place fastiou touches the OpenMP runtime (declared for Cython in
   _openmp.pxd). Built without OpenMP, the same kernels compile against these serial stubs. */
#ifndef FASTIOU_OPENMP_H
#define FASTIOU_OPENMP_H

#ifdef _OPENMP
#include <omp.h>
#define FASTIOU_OPENMP_ENABLED 1
#else
#define FASTIOU_OPENMP_ENABLED 0
static inline int omp_get_max_threads(void) { return 1; }
static inline int omp_get_thread_num(void) { return 0; }
static inline int omp_get_num_threads(void) { return 1; }
static inline int omp_get_num_procs(void) { return 1; }
#endif

/* what setup.py compiled with, for fastiou.show_config() */
#ifndef FASTIOU_COMPILE_FLAGS
#define FASTIOU_COMPILE_FLAGS "unknown"
#endif

#endif /* FASTIOU_OPENMP_H */
