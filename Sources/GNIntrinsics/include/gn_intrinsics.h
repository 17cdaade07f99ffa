/* Internal to libgnruntime: the intrinsics of the compiler's own headers, for the kernels built for
   instructions beyond what the vectoriser reaches — x86's (Package.swift, usesIntrinsics) and the
   Cortex-M4's DSP instructions (scripts/embedded.sh, GN_ARM_DSP). A kernel build imports this module
   only when its compiler flags enable those instructions. */
#ifndef GN_INTRINSICS_H
#define GN_INTRINSICS_H

#if defined(__x86_64__)
#include <immintrin.h>

/* Asks for the cache line holding `address` to be brought into every level of cache (`prefetcht0`),
   ahead of a load that will need it; never faults, whatever the address. */
static inline void gn_prefetch(const void *address) { _mm_prefetch((const char *)address, _MM_HINT_T0); }
#endif

#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#include <arm_acle.h>

/* `x` truncated toward zero to an int32, for `x` the caller has shown to lie within int32: one
   `vcvt` on the Cortex-M4F, where Swift's checked conversion adds three range checks. Out of range
   the result is undefined (the integer kernels' inputs never are: IntegerArithmetic.recover). */
static inline int32_t gn_truncate_to_int32(float x) { return (int32_t)x; }
#endif

#endif
