/* Counts heap calls made by the calling thread, to prove that a code path allocates nothing.
   Linked into the test executable, it replaces malloc, calloc, realloc, free, posix_memalign,
   aligned_alloc and memalign for the whole process, forwarding each to glibc. */
#ifndef MALLOC_COUNTER_H
#define MALLOC_COUNTER_H

/* Starts counting this thread's heap calls from zero. */
void malloc_counter_start(void);

/* Stops counting and returns the number of heap calls this thread made since malloc_counter_start. */
long malloc_counter_stop(void);

#endif
