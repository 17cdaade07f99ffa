#include "gnruntime_internal.h"

/* One buffer per thread, so that gn_last_error() is thread-safe without locks or allocation. */
static _Thread_local char thread_message[GN_INTERNAL_MESSAGE_CAPACITY];

char *gn_internal_thread_message(void) {
    return thread_message;
}
