"""The transport under the Google client sends every request exactly once: a connection closed
after the request arrived, before the answer, is an error for drivebot to judge, not a silent
second POST (which httplib2, the client library's default, makes)."""

from __future__ import annotations

import socket
import threading

import httplib2
import pytest

from drivebot.google.transport import OnceHttp


class Dropper:
    """A server that reads each request, counts it, and closes the socket without answering:
    the request was carried out, the answer lost on the way back."""

    def __init__(self) -> None:
        self.sock = socket.create_server(("127.0.0.1", 0))
        self.port = self.sock.getsockname()[1]
        self.requests = 0
        self._thread = threading.Thread(target=self._serve, daemon=True)
        self._thread.start()

    def _serve(self) -> None:
        while True:
            try:
                conn, _ = self.sock.accept()
            except OSError:
                return
            with conn:
                data = b""
                while b"\r\n\r\n" not in data:
                    chunk = conn.recv(65536)
                    if not chunk:
                        break
                    data += chunk
                if data:
                    self.requests += 1

    def close(self) -> None:
        self.sock.close()


@pytest.fixture
def dropper():
    server = Dropper()
    yield server
    server.close()


def test_httplib2_sends_a_post_twice_when_the_answer_is_lost(dropper):
    """Why drivebot does not use httplib2: the reason for this whole module, shown."""
    with pytest.raises(Exception):  # noqa: B017 - whatever it raises in the end
        httplib2.Http().request(f"http://127.0.0.1:{dropper.port}/send", "POST", body=b"{}")
    assert dropper.requests == 2


def test_the_transport_sends_it_once_and_says_the_connection_was_lost(dropper):
    with pytest.raises(ConnectionError):
        OnceHttp().request(f"http://127.0.0.1:{dropper.port}/send", "POST", body=b"{}")
    assert dropper.requests == 1
