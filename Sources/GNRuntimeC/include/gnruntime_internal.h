/* Internal to libgnruntime: not part of the public API, not installed. */
#ifndef GNRUNTIME_INTERNAL_H
#define GNRUNTIME_INTERNAL_H

#include <stddef.h>

/* Capacity in bytes of every error message buffer, NUL included. */
#define GN_INTERNAL_MESSAGE_CAPACITY 320

/* This thread's error message buffer (GN_INTERNAL_MESSAGE_CAPACITY bytes, NUL-terminated). */
__attribute__((visibility("hidden"))) char *gn_internal_thread_message(void);

#endif
