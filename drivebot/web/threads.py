"""What each serving thread opens for itself: a SQLite connection belongs to the thread that
opened it, and waitress serves requests on several."""

from __future__ import annotations

import threading
from collections.abc import Callable
from typing import TypeVar

T = TypeVar("T")


def per_thread(open_one: Callable[[], T]) -> Callable[[], T]:
    """A function that gives each thread its own `open_one()`, made on the thread's first call."""
    local = threading.local()

    def get() -> T:
        if not hasattr(local, "value"):
            local.value = open_one()
        value: T = local.value
        return value

    return get
