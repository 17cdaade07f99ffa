/* Internal to libgnruntime: the x86 intrinsics of the compiler's own headers, for the kernel variants
   built for instruction sets beyond what the vectoriser reaches (Package.swift, usesIntrinsics).
   A variant imports this module only when its compiler flags enable those instructions. */
#ifndef GN_INTRINSICS_H
#define GN_INTRINSICS_H

#if defined(__x86_64__)
#include <immintrin.h>
#endif

#endif
