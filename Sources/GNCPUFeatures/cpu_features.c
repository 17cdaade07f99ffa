#include "gn_cpu_features.h"

#if defined(__x86_64__)
#include <cpuid.h>

/* The operating system's enabled state components (XCR0), readable once CPUID says OSXSAVE. */
static uint64_t enabled_state(void) {
    uint32_t low, high;
    __asm__ volatile("xgetbv" : "=a"(low), "=d"(high) : "c"(0));
    return ((uint64_t)high << 32) | low;
}

static int all(uint32_t value, uint32_t bits) { return (value & bits) == bits; }

static uint32_t detect(void) {
    uint32_t eax, ebx, ecx, edx;
    if (!__get_cpuid(1, &eax, &ebx, &ecx, &edx)) return 0;
    /* SSE3, SSSE3, FMA, CMPXCHG16B, SSE4.1, SSE4.2, MOVBE, POPCNT, OSXSAVE, AVX, F16C */
    const uint32_t leaf1 = (1u << 0) | (1u << 9) | (1u << 12) | (1u << 13) | (1u << 19) | (1u << 20) |
                           (1u << 22) | (1u << 23) | (1u << 27) | (1u << 28) | (1u << 29);
    if (!all(ecx, leaf1)) return 0;
    uint32_t ext_eax, ext_ebx, ext_ecx, ext_edx;
    /* LAHF/SAHF (bit 0) and LZCNT (bit 5) */
    if (!__get_cpuid(0x80000001u, &ext_eax, &ext_ebx, &ext_ecx, &ext_edx) || !all(ext_ecx, (1u << 0) | (1u << 5))) return 0;
    uint32_t eax7, ebx7, ecx7, edx7;
    if (!__get_cpuid_count(7, 0, &eax7, &ebx7, &ecx7, &edx7)) return 0;
    /* BMI1, AVX2, BMI2 */
    if (!all(ebx7, (1u << 3) | (1u << 5) | (1u << 8))) return 0;
    const uint64_t state = enabled_state();
    /* SSE and AVX state */
    if ((state & 0x6u) != 0x6u) return 0;
    uint32_t features = GN_CPU_X86_64_V3;
    /* AVX_VNNI: leaf 7 subleaf 1, EAX bit 4 (subleaf 1 exists when leaf 7 subleaf 0 reports EAX >= 1) */
    uint32_t eax71, ebx71, ecx71, edx71;
    if (eax7 >= 1 && __get_cpuid_count(7, 1, &eax71, &ebx71, &ecx71, &edx71) && (eax71 & (1u << 4)))
        features |= GN_CPU_AVX_VNNI;
    /* AVX512F, AVX512DQ, AVX512CD, AVX512BW, AVX512VL; opmask, ZMM_Hi256 and Hi16_ZMM state */
    const uint32_t avx512 = (1u << 16) | (1u << 17) | (1u << 28) | (1u << 30) | (1u << 31);
    if (all(ebx7, avx512) && (state & 0xE0u) == 0xE0u) {
        features |= GN_CPU_X86_64_V4;
        /* AVX512_VNNI: leaf 7, ECX bit 11 */
        if (ecx7 & (1u << 11)) features |= GN_CPU_AVX512_VNNI;
    }
    return features;
}

/* Detected once: cpuid is slow under a hypervisor (each one exits to it), and sessions ask per layer.
   Threads that race to the first call compute the same value. */
uint32_t gn_internal_cpu_features(void) {
    static uint32_t cached = 0; /* the features, plus bit 31 once known */
    uint32_t known = __atomic_load_n(&cached, __ATOMIC_RELAXED);
    if (known == 0) {
        known = detect() | 0x80000000u;
        __atomic_store_n(&cached, known, __ATOMIC_RELAXED);
    }
    return known & ~0x80000000u;
}

#else

uint32_t gn_internal_cpu_features(void) { return 0; }

#endif
