/*
 * The firmware's board support for QEMU's RISC-V virt machine, 32-bit (RV32IMAC, soft float): the entry
 * point and reset handler (stack, bss zeroing), semihosting output, the test device to exit, and the
 * CLINT's mtime as the timer. The program is loaded into RAM by QEMU, so there is no data to copy.
 */
#include <stddef.h>
#include <stdint.h>

#include "firmware.h"

extern uint32_t __bss_start[], __bss_end[], __stack_top[];
extern void firmware_main(void);
void reset(void);

/* ---- entry -------------------------------------------------------------------------------------- */

__attribute__((naked, section(".text.start"))) void _start(void) {
    __asm__ volatile("la sp, __stack_top\n"
                     "j reset\n");
}

/* ---- semihosting -------------------------------------------------------------------------------- */

/* The RISC-V semihosting call: ebreak between two marker instructions, uncompressed and in one
   16-byte block, with the operation in a0 and its argument in a1. */
static int semihosting(int operation, const void *argument) {
    register int a0 __asm__("a0") = operation;
    register const void *a1 __asm__("a1") = argument;
    __asm__ volatile(".option push\n"
                     ".option norvc\n"
                     ".balign 16\n"
                     "slli zero, zero, 0x1f\n"
                     "ebreak\n"
                     "srai zero, zero, 0x7\n"
                     ".option pop\n"
                     : "+r"(a0) : "r"(a1) : "memory");
    return a0;
}

void firmware_print(const char *text) { semihosting(0x04, text); /* SYS_WRITE0 */ }

/* The virt machine's test device ("sifive_test"): 0x5555 ends QEMU with status 0, (code << 16) | 0x3333
   with status `code`. (QEMU 7.2 does not end on a RISC-V semihosting exit.) */
#define VIRT_TEST ((volatile uint32_t *)0x00100000u)

void firmware_exit(int status) {
    *VIRT_TEST = status == 0 ? 0x5555u : ((uint32_t)(status & 0xFFFF) << 16) | 0x3333u;
    for (;;) {}
}

/* ---- timer -------------------------------------------------------------------------------------- */

#define MTIME_LOW ((volatile uint32_t *)0x0200BFF8u) /* the CLINT's mtime, 10 MHz, low word */

uint32_t firmware_timer(void) { return ~*MTIME_LOW; }

uint32_t firmware_calibration_ticks(void) {
    uint32_t start = firmware_timer();
    /* 2 000 000 iterations of two instructions: 4 000 000 instructions (and one more, the li). */
    __asm__ volatile("mv t0, %0\n1: addi t0, t0, -1\n bnez t0, 1b" : : "r"(FIRMWARE_CALIBRATION_INSTRUCTIONS / 2) : "t0");
    return start - firmware_timer();
}

/* ---- reset -------------------------------------------------------------------------------------- */

void reset(void) {
    for (uint32_t *to = __bss_start; to < __bss_end;) *to++ = 0;
    uint32_t *stack_pointer;
    __asm__ volatile("mv %0, sp" : "=r"(stack_pointer));
    firmware_paint_stack(stack_pointer);
    firmware_main();
    firmware_exit(0);
}
