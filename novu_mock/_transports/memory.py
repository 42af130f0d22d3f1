"""How `novu-mock serve` keeps its memory: the garbage collector off the journals, and what a
keyless reset frees handed back to the system (docs/server.md, "Bounded memory").

Only the server does this: its process is ours. The pytest plugin and `NovuMock` leave the
interpreter of the test run as they found it.
"""

from __future__ import annotations

import gc
import sys
import threading
import time
from collections.abc import Callable
from typing import cast

# A bulk allocates tens of thousands of short-lived objects: at the default 700 the young
# generation was collected ~4 times per bulk (10% of its time); 20,000 makes it ~0.1.
YOUNG_THRESHOLD = 20_000
# After a keyless reset, how long until a second pass: by then the reset request is answered,
# and what of it was cyclic (frozen since) and the free lists refilled after the first pass go.
SECOND_PASS = 1.0


class ServerMemory:
    """The collector settings and the reclaiming of one server process.

    `start()` sets the young-generation threshold and starts a daemon thread that freezes the
    survivors every `interval` seconds: the journals keep hundreds of thousands of objects alive,
    and every full collection walked them all (freezing raised bulk throughput by about 40%,
    bench/server.py). Journal records form no cycles, so reference counting still frees what the
    cap drops; a full sweep every `sweep_every` rounds frees any other cycle frozen while alive
    (a closed connection, say).

    `reclaim()` runs after a reset without a key (`Engine.after_full_reset`), and again
    `SECOND_PASS` seconds later from the thread.
    """

    def __init__(self, interval: float = 0.5, sweep_every: int = 120) -> None:
        self.interval = interval
        self.sweep_every = sweep_every
        # Resolved now: the reset itself must allocate nothing that outlives it.
        self._trim = _malloc_trim()
        self._again_at: float | None = None

    def start(self) -> None:
        gc.set_threshold(YOUNG_THRESHOLD, 10, 10)
        threading.Thread(target=self._run, name="novu-mock-gc", daemon=True).start()

    def reclaim(self) -> None:
        """Free what a keyless reset dropped, now, and hand the freed memory back."""
        self._release()
        self._again_at = time.monotonic() + SECOND_PASS

    def _release(self) -> None:
        # Frozen cyclic garbage (uvicorn's and Starlette's per-connection objects) is otherwise
        # only freed by the thread's sweep, up to a minute later.
        gc.unfreeze()
        gc.collect()
        gc.freeze()
        # CPython's allocator hands a 1 MiB arena back only once every object in it is gone, so
        # one survivor among the dropped environments' memory keeps a whole arena. The
        # attribute-lookup cache makes hundreds: it keeps the name of each lookup it caches, and
        # C code (datetime's strftime, for one) looks up names it has just made.
        sys._clear_type_cache()
        # glibc keeps freed heap pages; malloc_trim(0) returns them to the system.
        if self._trim is not None:
            self._trim(0)

    def _run(self) -> None:
        rounds = 0
        while True:
            time.sleep(self.interval)
            rounds += 1
            again = self._again_at
            if again is not None and time.monotonic() >= again:
                self._again_at = None
                self._release()
            elif rounds % self.sweep_every == 0:
                gc.unfreeze()
                gc.collect()
            gc.freeze()


def _malloc_trim() -> Callable[[int], int] | None:
    """glibc's malloc_trim, or None (other systems and C libraries have none)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        import ctypes

        trim = ctypes.CDLL("libc.so.6").malloc_trim
    except (OSError, AttributeError):  # musl and other libcs: nothing to call
        return None
    trim.argtypes = [ctypes.c_size_t]
    trim.restype = ctypes.c_int
    return cast("Callable[[int], int]", trim)
