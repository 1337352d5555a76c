# The one place fastiou touches the OpenMP runtime (include/fastiou_openmp.h). Kernels cimport
# these names from here and never `cimport openmp`: without OpenMP the same code compiles to
# serial stubs.

cdef extern from "fastiou_openmp.h":
    bint FASTIOU_OPENMP_ENABLED
    const char* FASTIOU_COMPILE_FLAGS
    int omp_get_max_threads() noexcept nogil
    int omp_get_thread_num() noexcept nogil
    int omp_get_num_threads() noexcept nogil
    int omp_get_num_procs() noexcept nogil
    double omp_get_wtime() noexcept nogil
    double fiou_thread_cpu_seconds() noexcept nogil
    int fiou_other_running_tasks() noexcept nogil
