"""The local Google: Drive v3 and Gmail v1 on a loopback HTTP server, for tests and benchmarks."""

from fakegoogle.discovery import ApiError
from fakegoogle.server import FakeGoogle, Fault

__all__ = ["ApiError", "FakeGoogle", "Fault"]
