#include "MallocCounter.h"

#include <errno.h>
#include <stddef.h>

/* glibc's own entry points, which the replacements below forward to. */
extern void *__libc_malloc(size_t size);
extern void *__libc_calloc(size_t count, size_t size);
extern void *__libc_realloc(void *pointer, size_t size);
extern void __libc_free(void *pointer);
extern void *__libc_memalign(size_t alignment, size_t size);

static _Thread_local int counting;
static _Thread_local long calls;

static void note_call(void) {
    if (counting) calls++;
}

void malloc_counter_start(void) {
    calls = 0;
    counting = 1;
}

long malloc_counter_stop(void) {
    counting = 0;
    return calls;
}

void *malloc(size_t size) {
    note_call();
    return __libc_malloc(size);
}

void *calloc(size_t count, size_t size) {
    note_call();
    return __libc_calloc(count, size);
}

void *realloc(void *pointer, size_t size) {
    note_call();
    return __libc_realloc(pointer, size);
}

void free(void *pointer) {
    if (pointer) note_call();
    __libc_free(pointer);
}

void *memalign(size_t alignment, size_t size) {
    note_call();
    return __libc_memalign(alignment, size);
}

void *aligned_alloc(size_t alignment, size_t size) {
    note_call();
    return __libc_memalign(alignment, size);
}

int posix_memalign(void **result, size_t alignment, size_t size) {
    note_call();
    void *pointer = __libc_memalign(alignment, size);
    if (!pointer) return ENOMEM;
    *result = pointer;
    return 0;
}
