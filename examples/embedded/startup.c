/*
 * Bare-metal support for the firmware on QEMU's mps2-an386 board (Cortex-M4F): the vector table,
 * the reset handler (data copy, bss zeroing, FPU on), semihosting output and exit, the CMSDK timer,
 * and the few C library functions the Swift code calls. No heap: the runtime's core never allocates,
 * and the allocator entry points of the Embedded Swift runtime stop the program if ever reached.
 */
#include <stddef.h>
#include <stdint.h>

#include "firmware.h"

extern uint32_t __data_load[], __data_start[], __data_end[], __bss_start[], __bss_end[], __stack_top[];
extern void firmware_main(void);

/* ---- semihosting ---------------------------------------------------------------------------- */

static int semihosting(int operation, const void *argument) {
    register int r0 __asm__("r0") = operation;
    register const void *r1 __asm__("r1") = argument;
    __asm__ volatile("bkpt 0xab" : "+r"(r0) : "r"(r1) : "memory");
    return r0;
}

void firmware_print(const char *text) { semihosting(0x04, text); /* SYS_WRITE0 */ }

void firmware_exit(int status) {
    /* SYS_EXIT: ADP_Stopped_ApplicationExit (success) or ADP_Stopped_RunTimeErrorUnknown. */
    semihosting(0x18, (const void *)(uintptr_t)(status == 0 ? 0x20026 : 0x20023));
    for (;;) {}
}

/* ---- timer ------------------------------------------------------------------------------------ */

#define TIMER0 ((volatile uint32_t *)0x40000000u) /* CTRL, VALUE, RELOAD */

uint32_t firmware_timer(void) { return TIMER0[1]; }

uint32_t firmware_calibration_ticks(void) {
    uint32_t start = TIMER0[1];
    /* 2 000 000 iterations of two instructions: 4 000 000 instructions (and one more, the mov). */
    __asm__ volatile("mov r0, %0\n1: subs r0, #1\n bne 1b" : : "r"(FIRMWARE_CALIBRATION_INSTRUCTIONS / 2) : "r0", "cc");
    return start - TIMER0[1];
}

/* ---- reset ------------------------------------------------------------------------------------ */

static void fault(void) {
    firmware_print("fault\n");
    firmware_exit(1);
}

/* The deepest the stack may be measured: the 64 KiB below its top are painted with a pattern at reset,
   and the first word found changed, from the bottom up, marks the deepest point the stack reached. */
#define STACK_PAINTED_WORDS (65536u / 4)
#define STACK_PAINT 0xA5A5A5A5u

uint32_t firmware_stack_bytes_used(void) {
    const uint32_t *word = __stack_top - STACK_PAINTED_WORDS;
    while (word < __stack_top && *word == STACK_PAINT) word++;
    return (uint32_t)((uintptr_t)__stack_top - (uintptr_t)word);
}

void reset(void) {
    for (uint32_t *from = __data_load, *to = __data_start; to < __data_end;) *to++ = *from++;
    for (uint32_t *to = __bss_start; to < __bss_end;) *to++ = 0;
    /* CPACR: full access to coprocessors 10 and 11 (the FPU). */
    *(volatile uint32_t *)0xE000ED88u |= 0xFu << 20;
    __asm__ volatile("dsb\n isb");
    TIMER0[2] = 0xFFFFFFFFu;
    TIMER0[1] = 0xFFFFFFFFu;
    TIMER0[0] = 1; /* enable */
    uint32_t *stack_pointer;
    __asm__ volatile("mov %0, sp" : "=r"(stack_pointer));
    for (uint32_t *word = __stack_top - STACK_PAINTED_WORDS; word < stack_pointer - 16;) *word++ = STACK_PAINT;
    firmware_main();
    firmware_exit(0);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))__stack_top, reset, fault, fault, fault, fault, fault, 0, 0, 0, 0, fault, fault, 0, fault, fault,
};

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

/* The ARM run-time ABI's names for the same, which the compiler calls on this target. */
void __aeabi_memcpy(void *target, const void *source, size_t count) { memcpy(target, source, count); }
void __aeabi_memcpy4(void *target, const void *source, size_t count) { memcpy(target, source, count); }
void __aeabi_memcpy8(void *target, const void *source, size_t count) { memcpy(target, source, count); }
void __aeabi_memmove(void *target, const void *source, size_t count) { memmove(target, source, count); }
void __aeabi_memmove4(void *target, const void *source, size_t count) { memmove(target, source, count); }
void __aeabi_memmove8(void *target, const void *source, size_t count) { memmove(target, source, count); }
void __aeabi_memset(void *target, size_t count, int value) { memset(target, value, count); }
void __aeabi_memclr(void *target, size_t count) { memset(target, 0, count); }
void __aeabi_memclr4(void *target, size_t count) { memset(target, 0, count); }
void __aeabi_memclr8(void *target, size_t count) { memset(target, 0, count); }

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
