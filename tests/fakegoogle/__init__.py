"""The local Google: Drive v3 and Gmail v1 on a loopback HTTP server, for tests and benchmarks.

server.py (HTTP, options, the request path), faults.py, discovery.py (Google's own API
descriptions, errors), auth.py (tokens, the token endpoint), quotas.py, drive.py with files.py,
query.py, permissions.py, rules.py, sharing.py and changes.py, gmail.py with mail.py, users.py
(the people around drivebot), clients.py (real client-library services for the tests here).
"""

from fakegoogle.discovery import ApiError
from fakegoogle.server import FakeGoogle, Fault

__all__ = ["ApiError", "FakeGoogle", "Fault"]
