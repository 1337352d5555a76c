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

/* How many tasks the OS has running or ready to run right now (the caller included), or -1
   where this is not known (not Linux, /proc not mounted): a thread team that was kept
   waiting while no more tasks than cores wanted to run met a slow wake-up of an idle core
   (which can take milliseconds in a virtual machine), not busy cores (_team.pyx). */
#if defined(__linux__)
#include <fcntl.h>
#include <unistd.h>
static inline int fiou_runnable_tasks(void)
{
    char text[256];
    const char* c = text;
    int fd = open("/proc/loadavg", O_RDONLY | O_CLOEXEC), spaces = 0, running = 0;
    ssize_t n;
    if (fd < 0)
        return -1;
    n = read(fd, text, sizeof(text) - 1);
    close(fd);
    if (n <= 0)
        return -1;
    text[n] = 0;
    /* "0.52 0.58 0.59 3/297 12345": the fourth field is running/total */
    for (; *c && spaces < 3; c++)
        spaces += *c == ' ';
    if (*c < '0' || *c > '9')
        return -1;
    for (; *c >= '0' && *c <= '9' && running < 1000000; c++)
        running = 10 * running + (*c - '0');
    return *c == '/' ? running : -1;
}
#else
static inline int fiou_runnable_tasks(void) { return -1; }
#endif

/* what setup.py compiled with, for fastiou.show_config() */
#ifndef FASTIOU_COMPILE_FLAGS
#define FASTIOU_COMPILE_FLAGS "unknown"
#endif

#endif /* FASTIOU_OPENMP_H */
