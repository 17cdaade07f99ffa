/* GNIntrinsics is a header-only module; SwiftPM needs one source file for a C target. */
#include "gn_intrinsics.h"
