/* Where a worker thread runs (Linux; nothing elsewhere): Sources/GNRuntime/Host/ThreadPool.swift,
   "Woken off the caller's CPU". */
#if defined(__linux__)
#define _GNU_SOURCE
#include <sched.h>
#include <sys/syscall.h>
#include <unistd.h>
#endif

#include "gnruntime_internal.h"

int gn_internal_thread_id(void) {
#if defined(__linux__)
    return (int)syscall(SYS_gettid);
#else
    return -1;
#endif
}

int gn_internal_current_cpu(void) {
#if defined(__linux__)
    return sched_getcpu();
#else
    return -1;
#endif
}

int gn_internal_thread_avoid_cpu(int thread, int cpu) {
#if defined(__linux__)
    if (thread <= 0 || cpu < 0 || cpu >= CPU_SETSIZE) return 0;
    cpu_set_t allowed;
    if (sched_getaffinity(thread, sizeof allowed, &allowed) != 0) return 0;
    /* Only a CPU the thread may run on, and only if it may run on another. */
    if (!CPU_ISSET(cpu, &allowed) || CPU_COUNT(&allowed) < 2) return 0;
    CPU_CLR(cpu, &allowed);
    return sched_setaffinity(thread, sizeof allowed, &allowed) == 0;
#else
    (void)thread;
    (void)cpu;
    return 0;
#endif
}

void gn_internal_thread_allow_cpu(int cpu) {
#if defined(__linux__)
    if (cpu < 0 || cpu >= CPU_SETSIZE) return;
    cpu_set_t allowed;
    if (sched_getaffinity(0, sizeof allowed, &allowed) != 0) return;
    CPU_SET(cpu, &allowed);
    (void)sched_setaffinity(0, sizeof allowed, &allowed);
#else
    (void)cpu;
#endif
}
