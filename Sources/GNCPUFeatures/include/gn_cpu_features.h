/* Internal to libgnruntime: which instruction sets the CPU runs, for choosing kernel variants. */
#ifndef GN_CPU_FEATURES_H
#define GN_CPU_FEATURES_H

#include <stdint.h>

/* x86-64-v3 (the psABI level): AVX, AVX2, BMI1, BMI2, F16C, FMA, LZCNT, MOVBE and the v2 set, with the
   AVX state enabled by the operating system. */
#define GN_CPU_X86_64_V3 1u
/* x86-64-v4: v3 and AVX-512 F, BW, CD, DQ, VL, with the AVX-512 state enabled by the operating system. */
#define GN_CPU_X86_64_V4 2u
/* AVX-512 VNNI (vpdpbusd), on a CPU that also has x86-64-v4. */
#define GN_CPU_AVX512_VNNI 4u
/* AVX-VNNI (vpdpbusd on 256-bit vectors, VEX-encoded), on a CPU that also has x86-64-v3. */
#define GN_CPU_AVX_VNNI 8u

/* The GN_CPU_* bits this CPU has (0 on other architectures), from cpuid and XGETBV. */
__attribute__((visibility("hidden"))) uint32_t gn_internal_cpu_features(void);

/* Tells the CPU that the calling thread is spinning on a value another thread will change (x86 PAUSE,
   AArch64 YIELD): the spin draws less power and leaves a sibling hardware thread more of the core. */
static inline void gn_internal_cpu_relax(void) {
#if defined(__x86_64__) || defined(__i386__)
    __builtin_ia32_pause();
#elif defined(__aarch64__)
    __asm__ __volatile__("yield");
#endif
}

#endif
