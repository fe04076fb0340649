"""The daemon loop: warm shutdown on the first signal, a hard stop on the second, and which
errors end it. Signals are real (os.kill on this process), sent from inside the cycle."""

from __future__ import annotations

import os
import signal

import pytest

from drivebot.app.daemon import Daemon
from drivebot.errors import ConfigError


def test_the_first_signal_lets_the_cycle_finish_then_stops():
    steps: list[str] = []

    def cycle() -> None:
        steps.append("started")
        os.kill(os.getpid(), signal.SIGTERM)  # arrives in the middle of the cycle
        steps.append("finished")

    Daemon(cycle, interval=3600).run()  # returns at once instead of waiting an hour
    assert steps == ["started", "finished"]


def test_the_second_signal_stops_at_once():
    steps: list[str] = []

    def cycle() -> None:
        steps.append("started")
        os.kill(os.getpid(), signal.SIGTERM)
        os.kill(os.getpid(), signal.SIGINT)
        steps.append("finished")

    with pytest.raises(KeyboardInterrupt):
        Daemon(cycle, interval=3600).run()
    assert steps == ["started"]


def test_cycles_repeat_and_a_failed_one_does_not_stop_the_daemon():
    steps: list[str] = []
    daemon: Daemon

    def cycle() -> None:
        steps.append("cycle")
        if len(steps) == 1:
            raise RuntimeError("Drive hiccup")
        if len(steps) == 3:
            daemon.stop()

    daemon = Daemon(cycle, interval=0.01)
    daemon.run()
    assert steps == ["cycle", "cycle", "cycle"]


def test_a_configuration_error_ends_the_daemon():
    def cycle() -> None:
        raise ConfigError("login_refused", detail="invalid_grant")

    with pytest.raises(ConfigError):
        Daemon(cycle, interval=0.01).run()


def test_the_signal_handlers_are_put_back():
    before = signal.getsignal(signal.SIGTERM)
    daemon: Daemon

    def cycle() -> None:
        daemon.stop()

    daemon = Daemon(cycle, interval=3600)
    daemon.run()
    assert signal.getsignal(signal.SIGTERM) is before
