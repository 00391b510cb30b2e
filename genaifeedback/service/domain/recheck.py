"""How often a key file that calls depend on is looked at for a change: at most once a second.

Looking is a `stat`, and every system call on the event loop lets the service's other threads take
the interpreter lock: under load that cost the loop about 10 µs a call for each file, well above the
stat itself. With this, a changed file takes effect within a second rather than on the next call.
"""

import math
import time
from collections.abc import Callable

RECHECK_SECONDS = 1.0


class Recheck:
    def __init__(self, seconds: float = RECHECK_SECONDS, clock: Callable[[], float] = time.monotonic) -> None:
        self._seconds, self._clock = seconds, clock
        self._next = -math.inf

    def due(self) -> bool:
        """True at most once per period: then the caller looks at the file."""
        now = self._clock()
        if now < self._next:
            return False
        self._next = now + self._seconds
        return True
