"""The one backoff rule of the service: exponential, capped, with jitter (so replicas retrying
the same MLflow do not retry in step)."""

import random

_jitter = random.Random()  # our own: the global one may be seeded by whoever imports us


class Backoff:
    def __init__(self, initial: float = 0.1, maximum: float = 5.0, factor: float = 2.0):
        self._next = initial
        self._maximum = maximum
        self._factor = factor

    def next(self) -> float:
        """The next pause, in seconds (between half and all of the current step)."""
        pause = self._next
        self._next = min(self._next * self._factor, self._maximum)
        return pause * _jitter.uniform(0.5, 1.0)
