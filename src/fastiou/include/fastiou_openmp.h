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
static inline double omp_get_wtime(void) { return 0.0; }
#endif

/* Seconds of CPU time the calling thread has had so far, or -1 where this is not known
   (Windows): the thread teams compare it with the wall clock to see whether the OS kept
   them waiting (fastiou/_shared/_team.pxd). */
#if defined(_WIN32)
static inline double fiou_thread_cpu_seconds(void) { return -1.0; }
#else
#include <time.h>
static inline double fiou_thread_cpu_seconds(void)
{
    struct timespec now;
    if (clock_gettime(CLOCK_THREAD_CPUTIME_ID, &now) != 0)
        return -1.0;
    return (double)now.tv_sec + 1e-9 * (double)now.tv_nsec;
}
#endif

/* what setup.py compiled with, for fastiou.show_config() */
#ifndef FASTIOU_COMPILE_FLAGS
#define FASTIOU_COMPILE_FLAGS "unknown"
#endif

#endif /* FASTIOU_OPENMP_H */
