"""Tags the wheel for the platform: it carries libgnruntime, native code for one OS and architecture,
loaded through ctypes, so it fits any Python 3 there (py3-none-<platform>). Everything else is in
pyproject.toml."""
from setuptools import setup
from setuptools.dist import Distribution

try:
    from setuptools.command.bdist_wheel import bdist_wheel
except ImportError:  # setuptools before 70.1
    from wheel.bdist_wheel import bdist_wheel


class NativeDistribution(Distribution):
    """A distribution with native code, so that the wheel is not tagged pure Python."""

    def has_ext_modules(self) -> bool:
        return True


class PlatformWheel(bdist_wheel):
    """py3-none-<platform>: no Python ABI is involved, since ctypes loads the library."""

    def get_tag(self) -> tuple[str, str, str]:
        _, _, platform = super().get_tag()
        return "py3", "none", platform


setup(distclass=NativeDistribution, cmdclass={"bdist_wheel": PlatformWheel})
