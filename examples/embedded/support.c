/*
 * What the firmware needs of a C library and a board, on any board (mps2-an386.c and virt-rv32.c are
 * the boards): memset, memcpy, memmove, floorf, stack protection, the stack's measurement, and the
 * allocator entry points of the Embedded Swift runtime. No heap: the runtime's core never allocates,
 * and those entry points stop the program if ever reached.
 */
#include <stddef.h>
#include <stdint.h>

#include "firmware.h"

extern uint32_t __stack_top[];

/* ---- the stack ------------------------------------------------------------------------------- */

/* The deepest the stack may be measured: the 64 KiB below its top are painted with a pattern at reset,
   and the first word found changed, from the bottom up, marks the deepest point the stack reached. */
#define STACK_PAINTED_WORDS (65536u / 4)
#define STACK_PAINT 0xA5A5A5A5u

uint32_t firmware_stack_bytes_used(void) {
    const uint32_t *word = __stack_top - STACK_PAINTED_WORDS;
    while (word < __stack_top && *word == STACK_PAINT) word++;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)word);
}

void firmware_paint_stack(uint32_t *stack_pointer) {
    for (uint32_t *word = __stack_top - STACK_PAINTED_WORDS; word < stack_pointer - 16;) *word++ = STACK_PAINT;
}

/* ---- the C library the Swift code needs --------------------------------------------------------- */

void *memset(void *target, int value, size_t count) {
    unsigned char *bytes = target;
    while (count--) *bytes++ = (unsigned char)value;
    return target;
}

void *memcpy(void *restrict target, const void *restrict source, size_t count) {
    unsigned char *to = target;
    const unsigned char *from = source;
    while (count--) *to++ = *from++;
    return target;
}

void *memmove(void *target, const void *source, size_t count) {
    unsigned char *to = target;
    const unsigned char *from = source;
    if (to < from) {
        while (count--) *to++ = *from++;
    } else {
        while (count--) to[count] = from[count];
    }
    return target;
}

/* floor for binary32, exact: clear the fraction bits below the binary point, rounding toward −∞. */
float floorf(float value) {
    union { float f; uint32_t bits; } x = {value};
    int exponent = (int)((x.bits >> 23) & 0xFF) - 127;
    if (exponent >= 23) return value;               /* an integer already, or infinity or NaN */
    if (exponent < 0) {                             /* |value| < 1 */
        if ((x.bits & 0x7FFFFFFFu) == 0) return value;      /* ±0 */
        return (x.bits >> 31) ? -1.0f : 0.0f;
    }
    uint32_t fraction = 0x007FFFFFu >> exponent;
    if ((x.bits & fraction) == 0) return value;     /* an integer */
    if (x.bits >> 31) x.bits += fraction;           /* negative: away from zero */
    x.bits &= ~fraction;
    return x.f;
}

/* Stack protection, which the Swift compiler emits for functions with buffers on the stack: a guard
   value (fixed: the board has no entropy source) and the handler of a smashed stack. */
uintptr_t __stack_chk_guard = 0x5AFE6A2Du;

void __stack_chk_fail(void) {
    firmware_print("stack smashing detected\n");
    firmware_exit(1);
}

/* The Embedded Swift runtime's allocator and hashing seed: never called by the runtime's core
   (it compiles with -no-allocations), defined so that the firmware links; reaching one is a bug. */
int posix_memalign(void **result, size_t alignment, size_t size) {
    (void)result; (void)alignment; (void)size;
    firmware_print("posix_memalign called\n");
    firmware_exit(1);
}

void free(void *pointer) {
    if (pointer) {
        firmware_print("free called\n");
        firmware_exit(1);
    }
}

void arc4random_buf(void *buffer, size_t count) { memset(buffer, 0x5A, count); }
