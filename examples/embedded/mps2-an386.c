/*
 * The firmware's board support for QEMU's mps2-an386 (Cortex-M4F): the vector table, the reset handler
 * (data copy, bss zeroing, FPU on), semihosting output and exit, the CMSDK timer, and the ARM run-time
 * ABI's names of the C library functions of support.c.
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
    firmware_paint_stack(stack_pointer);
    firmware_main();
    firmware_exit(0);
}

__attribute__((section(".vectors"), used)) static void (*const vectors[16])(void) = {
    (void (*)(void))__stack_top, reset, fault, fault, fault, fault, fault, 0, 0, 0, 0, fault, fault, 0, fault, fault,
};

/* ---- the ARM run-time ABI's names for memcpy, memmove and memset (support.c) ----------------- */

/* The compiler calls these on this target. */
void __aeabi_memcpy(void *target, const void *source, size_t count) { memcpy(target, source, count); }
void __aeabi_memcpy4(void *target, const void *source, size_t count) { memcpy(target, source, count); }
void __aeabi_memcpy8(void *target, const void *source, size_t count) { memcpy(target, source, count); }
void __aeabi_memmove(void *target, const void *source, size_t count) { memmove(target, source, count); }
void __aeabi_memmove4(void *target, const void *source, size_t count) { memmove(target, source, count); }
void __aeabi_memmove8(void *target, const void *source, size_t count) { memmove(target, source, count); }
void __aeabi_memset(void *target, size_t count, int value) { memset(target, value, count); }
void __aeabi_memset4(void *target, size_t count, int value) { memset(target, value, count); }
void __aeabi_memset8(void *target, size_t count, int value) { memset(target, value, count); }
void __aeabi_memclr(void *target, size_t count) { memset(target, 0, count); }
void __aeabi_memclr4(void *target, size_t count) { memset(target, 0, count); }
void __aeabi_memclr8(void *target, size_t count) { memset(target, 0, count); }

