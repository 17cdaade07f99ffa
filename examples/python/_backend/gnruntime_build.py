"""The build backend of the gnruntime package: setuptools' own, after building libgnruntime.

`pip install ./examples/python` and `pip wheel ./examples/python` come here. Before setuptools packs the
wheel, the backend builds the shared library with the Swift toolchain (scripts/build.sh --library: one
library for every CPU of the architecture, which picks its kernels at run time) and places it in the
package; setup.py tags the wheel for the platform, since it carries native code. Building needs Swift
(6.x) and the repository around this folder; installing the wheel then needs neither.
"""
from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

from setuptools import build_meta as _setuptools

PACKAGE = Path(__file__).resolve().parents[1]
REPOSITORY = PACKAGE.parents[1]
BUILD_SCRIPT = REPOSITORY / "scripts" / "build.sh"
LIBRARY = PACKAGE / "gnruntime" / "libgnruntime.so"


class LibraryBuildError(RuntimeError):
    """The Swift build of libgnruntime could not run or failed."""


def build_library() -> None:
    """Builds libgnruntime and places it in the package (examples/python/gnruntime)."""
    if not BUILD_SCRIPT.is_file():
        raise LibraryBuildError(f"{BUILD_SCRIPT} not found: the gnruntime package builds from the GNRuntime "
                                "repository (build a wheel there, and install the wheel elsewhere)")
    if shutil.which("swift") is None:
        raise LibraryBuildError("building gnruntime needs the Swift toolchain (6.x) on the PATH, to build "
                                "libgnruntime; see https://www.swift.org/install/")
    result = subprocess.run(["sh", str(BUILD_SCRIPT), "--library"], cwd=REPOSITORY)
    if result.returncode != 0 or not LIBRARY.is_file():
        raise LibraryBuildError(f"building libgnruntime failed ({BUILD_SCRIPT} --library, status {result.returncode})")


def build_wheel(wheel_directory: str, config_settings: dict | None = None,
                metadata_directory: str | None = None) -> str:
    """PEP 517: the library, then setuptools' wheel."""
    build_library()
    return _setuptools.build_wheel(wheel_directory, config_settings, metadata_directory)


def build_sdist(sdist_directory: str, config_settings: dict | None = None) -> str:
    """PEP 517: refused, since the library is built from the whole repository, not from this folder."""
    raise LibraryBuildError("gnruntime has no source distribution: build a wheel from the GNRuntime repository")


def build_editable(wheel_directory: str, config_settings: dict | None = None,
                   metadata_directory: str | None = None) -> str:
    """PEP 660: the library, then setuptools' editable wheel."""
    build_library()
    return _setuptools.build_editable(wheel_directory, config_settings, metadata_directory)


# The other hooks are setuptools' own.
get_requires_for_build_wheel = _setuptools.get_requires_for_build_wheel
get_requires_for_build_sdist = _setuptools.get_requires_for_build_sdist
prepare_metadata_for_build_wheel = _setuptools.prepare_metadata_for_build_wheel
get_requires_for_build_editable = _setuptools.get_requires_for_build_editable
prepare_metadata_for_build_editable = _setuptools.prepare_metadata_for_build_editable
