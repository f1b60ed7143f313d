"""Smoothing landmarks over time: MediaPipe's One Euro filter, vectorised.

One Euro (Casiez et al., CHI 2012) adapts its cutoff to speed: still joints are smoothed hard,
fast ones follow quickly. The constants are MediaPipe's (``blazepose.md``, "Smoothing").

    >>> f = OneEuro(min_cutoff=0.05, beta=80.0)
    >>> f(0.0, np.array([1.0]), value_scale=1.0)
    array([1.])
"""

from __future__ import annotations

import math

import numpy as np

DEFAULT_FREQUENCY = 30.0


class OneEuro:
    """A One Euro filter over an array of values sharing one clock.

    ``min_cutoff``, ``beta`` and the call's ``value_scale`` may be arrays shaped like the
    values, so that differently tuned signals are filtered in one vectorised step.
    """

    def __init__(
        self,
        min_cutoff: float | np.ndarray,
        beta: float | np.ndarray,
        derivative_cutoff: float = 1.0,
    ) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.derivative_cutoff = derivative_cutoff
        self.reset()

    def reset(self) -> None:
        self._last_t: float | None = None
        self._frequency = DEFAULT_FREQUENCY
        self._raw: np.ndarray | None = None
        self._value: np.ndarray | None = None
        self._dvalue: np.ndarray | None = None

    def __call__(
        self, t: float, value: np.ndarray, value_scale: float | np.ndarray = 1.0
    ) -> np.ndarray:
        if self._last_t is not None:
            if t <= self._last_t:
                return value  # time did not move on: nothing to learn from this sample
            self._frequency = 1.0 / (t - self._last_t)
        self._last_t = t
        if self._raw is None or self._value is None or self._raw.shape != value.shape:
            self._raw = value.copy()
            self._value = value.copy()
            self._dvalue = np.zeros_like(value)
            return self._value
        # alpha = 1 / (1 + tau / Te) with tau = 1 / (2 pi cutoff) and Te = 1 / frequency is
        # cutoff / (cutoff + frequency / (2 pi)); the updates are the same exponential
        # averages written as x += alpha * (new - x), in fewer array operations.
        # The arrays are replaced, never changed in place: what was returned stays as it was.
        f = self._frequency / (2 * math.pi)
        dc = self.derivative_cutoff
        dvalue = (value - self._raw) * (value_scale * self._frequency)
        self._dvalue = self._dvalue + (dc / (dc + f)) * (dvalue - self._dvalue)
        cutoff = self.beta * np.abs(self._dvalue) + self.min_cutoff
        self._value = self._value + cutoff / (cutoff + f) * (value - self._value)
        self._raw = value.copy()
        return self._value


class LowPass:
    """Exponential smoothing with a fixed alpha (MediaPipe's visibility filter uses 0.1)."""

    def __init__(self, alpha: float) -> None:
        self.alpha = alpha
        self._value: np.ndarray | None = None

    def reset(self) -> None:
        self._value = None

    def __call__(self, value: np.ndarray) -> np.ndarray:
        if self._value is None or self._value.shape != value.shape:
            self._value = value.astype(float)
        else:  # replaced, not changed in place: what was returned stays as it was
            self._value = self._value + self.alpha * (value - self._value)
        return self._value
