# The one place fastiou touches the OpenMP runtime. Kernels cimport these names from here
# and never `cimport openmp`: without OpenMP the same code compiles to serial stubs.

cdef extern from *:
    """
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
    #ifndef FASTIOU_COMPILE_FLAGS
    #define FASTIOU_COMPILE_FLAGS "unknown"
    #endif
    """
    bint FASTIOU_OPENMP_ENABLED
    const char* FASTIOU_COMPILE_FLAGS
    int omp_get_max_threads() noexcept nogil
    int omp_get_thread_num() noexcept nogil
    int omp_get_num_threads() noexcept nogil
    int omp_get_num_procs() noexcept nogil
