/* Internal to libgnruntime: not part of the public API, not installed. */
#ifndef GNRUNTIME_INTERNAL_H
#define GNRUNTIME_INTERNAL_H

#include <stddef.h>
#include <stdint.h>

#include "gnruntime.h"

/* gn_session_options as GNRuntime 0.3 declared it (no size; no isa): what programs built against 0.3
   pass to gn_session_create and get from the exported gn_session_options_default. Never changes. */
typedef struct gn_session_options_0_3 {
    gn_neuron_kind neuron;
    uint32_t tau;
    uint32_t time_steps;
    uint32_t batch;
    uint32_t threads;
    gn_schedule schedule;
    const uint32_t *layer_tau;
    size_t layer_tau_count;
    uint32_t count_spikes;
    gn_exit_rule exit_rule;
    float exit_margin;
    uint32_t exit_steps;
} gn_session_options_0_3;

/* Capacity in bytes of every error message buffer, NUL included. */
#define GN_INTERNAL_MESSAGE_CAPACITY 320

/* This thread's error message buffer (GN_INTERNAL_MESSAGE_CAPACITY bytes, NUL-terminated). */
__attribute__((visibility("hidden"))) char *gn_internal_thread_message(void);

/* The name of every worker thread of a session's thread pool, as `top -H`, debuggers and
   /proc/<pid>/task/<tid>/comm show it (at most 15 characters). */
#define GN_INTERNAL_WORKER_THREAD_NAME "gnruntime-work"

/* Names the calling thread GN_INTERNAL_WORKER_THREAD_NAME (Linux; nothing elsewhere). */
__attribute__((visibility("hidden"))) void gn_internal_name_worker_thread(void);

/* The calling thread's id (Linux's gettid), for gn_internal_thread_avoid_cpu; -1 elsewhere. */
__attribute__((visibility("hidden"))) int gn_internal_thread_id(void);

/* The CPU the calling thread runs on now (sched_getcpu); -1 where unknown. */
__attribute__((visibility("hidden"))) int gn_internal_current_cpu(void);

/* Takes `cpu` out of the CPUs thread `thread` (a gn_internal_thread_id of this process) may run on, if
   it may run on it and on another: a sleeping thread woken next then starts elsewhere. Returns 1 if it
   did, 0 if not (nothing changed): the thread must then give the CPU back with
   gn_internal_thread_allow_cpu. Linux only; 0 elsewhere. */
__attribute__((visibility("hidden"))) int gn_internal_thread_avoid_cpu(int thread, int cpu);

/* Gives `cpu` back to the CPUs the calling thread may run on (after gn_internal_thread_avoid_cpu). */
__attribute__((visibility("hidden"))) void gn_internal_thread_allow_cpu(int cpu);

#endif
