#!/bin/sh
# Installs GNRuntime for C and C++ programs under a prefix:
#   PREFIX/include/gnruntime.h
#   PREFIX/lib/libgnruntime.so.MAJOR.MINOR.PATCH     the shared library, stripped (SONAME libgnruntime.so.MAJOR)
#   PREFIX/lib/libgnruntime.so.MAJOR, libgnruntime.so  symbolic links
#   PREFIX/lib/libgnruntime.a                        the static archive
#   PREFIX/lib/gnruntime/                            what static linking needs besides: the Swift
#                                                    runtime's static libraries and start-up object
#                                                    (Apache 2.0 with the Runtime Library Exception)
#   PREFIX/lib/pkgconfig/gnruntime.pc                pkg-config: shared
#   PREFIX/lib/pkgconfig/gnruntime-static.pc         pkg-config: static
#   PREFIX/lib/cmake/gnruntime/                      CMake: find_package(gnruntime) gives the imported
#                                                    targets gnruntime::gnruntime and gnruntime::gnruntime_static
# The prefix can be moved: the pkg-config and CMake files find it from where they are.
#
# Usage: scripts/install.sh --prefix DIR     (builds first, with scripts/build.sh)
set -eu
usage() { echo "usage: scripts/install.sh --prefix DIR" >&2; exit 2; }
[ "$#" = 2 ] && [ "$1" = "--prefix" ] || usage
prefix=$2
cd "$(dirname "$0")/.."
scripts/build.sh >/dev/null

version_part() { awk -v name="GN_VERSION_$1" '$2 == name {print $3}' include/gnruntime.h; }
major=$(version_part MAJOR)
version="$major.$(version_part MINOR).$(version_part PATCH)"
release=.build/release
swift_static=$(dirname "$(command -v swiftc)")/../lib/swift_static/linux
arch=$(uname -m)
[ -f "$swift_static/$arch/swiftrt.o" ] || { echo "install.sh: no Swift static runtime in $swift_static" >&2; exit 1; }

mkdir -p "$prefix/include" "$prefix/lib/pkgconfig" "$prefix/lib/cmake/gnruntime" "$prefix/lib/gnruntime"
prefix=$(cd "$prefix" && pwd)
cp include/gnruntime.h "$prefix/include/gnruntime.h"
strip --strip-unneeded -o "$prefix/lib/libgnruntime.so.$version" "$release/libgnruntime.so"
ln -sf "libgnruntime.so.$version" "$prefix/lib/libgnruntime.so.$major"
ln -sf "libgnruntime.so.$major" "$prefix/lib/libgnruntime.so"
cp "$release/libgnruntime_static.a" "$prefix/lib/libgnruntime.a"
# What linking the static archive needs besides, in link order: the Swift runtime (copied into the
# prefix) and the system's libraries. One list for pkg-config and CMake alike.
swift_runtime="swiftrt.o libswiftGlibc.a libswiftCore.a"
system_libraries="stdc++ m dl pthread"
for file in $swift_runtime; do
    case "$file" in
        *.o) cp "$swift_static/$arch/$file" "$prefix/lib/gnruntime/" ;;  # start-up objects are per architecture
        *) cp "$swift_static/$file" "$prefix/lib/gnruntime/" ;;
    esac
done
pc_static='${libdir}/libgnruntime.a'
cmake_static=""
for file in $swift_runtime; do
    pc_static="$pc_static \${libdir}/gnruntime/$file"
    cmake_static="$cmake_static;\${_gnruntime_prefix}/lib/gnruntime/$file"
done
for library in $system_libraries; do
    pc_static="$pc_static -l$library"
    cmake_static="$cmake_static;$library"
done
cmake_static=${cmake_static#;}

write_pc() {  # name, description, libs
    cat > "$prefix/lib/pkgconfig/$1.pc" <<EOF
prefix=\${pcfiledir}/../..
libdir=\${prefix}/lib
includedir=\${prefix}/include

Name: $1
Description: $2
Version: $version
Cflags: -I\${includedir}
Libs: $3
EOF
}
write_pc gnruntime "GNRuntime: spiking neural networks converted from QCFS ANNs with Group Neurons (shared library)" \
    '-L${libdir} -lgnruntime'
write_pc gnruntime-static "GNRuntime: spiking neural networks converted from QCFS ANNs with Group Neurons (static library)" \
    "$pc_static"

cat > "$prefix/lib/cmake/gnruntime/gnruntimeConfig.cmake" <<EOF
# find_package(gnruntime): the imported targets gnruntime::gnruntime (shared) and
# gnruntime::gnruntime_static (static). Written by GNRuntime's scripts/install.sh.
get_filename_component(_gnruntime_prefix "\${CMAKE_CURRENT_LIST_DIR}/../../.." ABSOLUTE)
if(NOT TARGET gnruntime::gnruntime)
  add_library(gnruntime::gnruntime SHARED IMPORTED)
  set_target_properties(gnruntime::gnruntime PROPERTIES
    IMPORTED_LOCATION "\${_gnruntime_prefix}/lib/libgnruntime.so.$version"
    IMPORTED_SONAME "libgnruntime.so.$major"
    INTERFACE_INCLUDE_DIRECTORIES "\${_gnruntime_prefix}/include")
  add_library(gnruntime::gnruntime_static STATIC IMPORTED)
  set_target_properties(gnruntime::gnruntime_static PROPERTIES
    IMPORTED_LOCATION "\${_gnruntime_prefix}/lib/libgnruntime.a"
    INTERFACE_INCLUDE_DIRECTORIES "\${_gnruntime_prefix}/include"
    INTERFACE_LINK_LIBRARIES "$cmake_static")
endif()
set(gnruntime_VERSION "$version")
unset(_gnruntime_prefix)
EOF
cat > "$prefix/lib/cmake/gnruntime/gnruntimeConfigVersion.cmake" <<EOF
# Semantic versioning (CHANGELOG.md): any $major.x at least the version asked for is compatible
# (for major 0, as for any other). Written by GNRuntime's scripts/install.sh.
set(PACKAGE_VERSION "$version")
if(PACKAGE_FIND_VERSION VERSION_GREATER PACKAGE_VERSION)
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
elseif(NOT "\${PACKAGE_FIND_VERSION}" STREQUAL "" AND NOT PACKAGE_FIND_VERSION_MAJOR STREQUAL "$major")
  set(PACKAGE_VERSION_COMPATIBLE FALSE)
else()
  set(PACKAGE_VERSION_COMPATIBLE TRUE)
  if(PACKAGE_FIND_VERSION STREQUAL PACKAGE_VERSION)
    set(PACKAGE_VERSION_EXACT TRUE)
  endif()
endif()
if(NOT CMAKE_SIZEOF_VOID_P STREQUAL "8")
  set(PACKAGE_VERSION "\${PACKAGE_VERSION} (64-bit)")
  set(PACKAGE_VERSION_UNSUITABLE TRUE)
endif()
EOF
echo "installed GNRuntime $version in $prefix"
