/* Internal to libgnruntime: the intrinsics of the compiler's own headers, for the kernels built for
   instructions beyond what the vectoriser reaches — x86's (Package.swift, usesIntrinsics) and the
   Cortex-M4's DSP instructions (scripts/embedded.sh, GN_ARM_DSP). A kernel build imports this module
   only when its compiler flags enable those instructions. */
#ifndef GN_INTRINSICS_H
#define GN_INTRINSICS_H

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#if defined(__ARM_FEATURE_SIMD32) && __ARM_FEATURE_SIMD32
#include <arm_acle.h>
#endif

#endif
