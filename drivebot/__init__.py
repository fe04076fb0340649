"""drivebot: moves draft legal products through review at a regency's legal division."""

from importlib.metadata import PackageNotFoundError, version

try:
    __version__ = version("drivebot")
except PackageNotFoundError:  # run from a source tree that was never installed
    __version__ = "0+unknown"
