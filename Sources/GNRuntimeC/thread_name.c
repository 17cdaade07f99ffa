#include "gnruntime_internal.h"

#if defined(__linux__)
#include <sys/prctl.h>
#endif

void gn_internal_name_worker_thread(void) {
#if defined(__linux__)
    /* PR_SET_NAME names the calling thread alone, with any C library. */
    (void)prctl(PR_SET_NAME, GN_INTERNAL_WORKER_THREAD_NAME, 0, 0, 0);
#endif
}
