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
   where this is not known (not Linux, /proc not mounted); fiou_other_running_tasks: those
   of other processes (this process's threads in state R left out, among them a team's
   workers still spinning at its closing barrier). A thread team that was kept waiting while
   other processes left it its cores met a slow wake-up of an idle core (which can take
   milliseconds in a virtual machine), not busy cores (_team.pyx). */
#if defined(__linux__)
#include <dirent.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
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

/* this process's threads in state R (running or ready), or -1 */
static inline int fiou_own_running_threads(void)
{
    char path[64], text[512];
    const char* state;
    struct dirent* entry;
    DIR* tasks = opendir("/proc/self/task");
    int running = 0, fd;
    ssize_t n;
    if (tasks == NULL)
        return -1;
    while ((entry = readdir(tasks)) != NULL) {
        if (entry->d_name[0] < '0' || entry->d_name[0] > '9')
            continue;
        snprintf(path, sizeof(path), "/proc/self/task/%s/stat", entry->d_name);
        fd = open(path, O_RDONLY | O_CLOEXEC);
        if (fd < 0)
            continue;  /* the thread has just ended */
        n = read(fd, text, sizeof(text) - 1);
        close(fd);
        if (n <= 0)
            continue;
        text[n] = 0;
        /* "tid (name) S ...": the state follows the last ')' (a name may hold one) */
        state = strrchr(text, ')');
        running += state != NULL && state[1] == ' ' && state[2] == 'R';
    }
    closedir(tasks);
    return running;
}

static inline int fiou_other_running_tasks(void)
{
    int all = fiou_runnable_tasks(), own = fiou_own_running_threads();
    if (all < 0 || own < 0)
        return -1;
    return all > own ? all - own : 0;  /* the two are read a moment apart */
}
#else
static inline int fiou_runnable_tasks(void) { return -1; }
static inline int fiou_other_running_tasks(void) { return -1; }
#endif

/* what setup.py compiled with, for fastiou.show_config() */
#ifndef FASTIOU_COMPILE_FLAGS
#define FASTIOU_COMPILE_FLAGS "unknown"
#endif

#endif /* FASTIOU_OPENMP_H */
