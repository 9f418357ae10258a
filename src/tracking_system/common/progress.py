"""A tiny text progress bar: redrawn in place on a terminal, periodic count lines otherwise."""

from __future__ import annotations

import sys
import time
from typing import TextIO


class Progress:
    """Counts work done out of `total`.

    On a TTY the bar is redrawn with '\\r' at most `interval` seconds apart; elsewhere (logs, CI)
    a plain line is printed every `log_interval` seconds, so output stays readable."""

    def __init__(
        self,
        total: int,
        *,
        label: str = "",
        unit: str = "",
        stream: TextIO | None = None,
        width: int = 30,
        interval: float = 0.1,
        log_interval: float = 5.0,
    ) -> None:
        self.total = max(0, total)
        self.done = 0
        self.label = label
        self.unit = unit
        self._stream = stream if stream is not None else sys.stderr
        self._tty = bool(getattr(self._stream, "isatty", lambda: False)())
        self._width = width
        self._interval = interval if self._tty else log_interval
        self._started = time.monotonic()
        self._last_draw = float("-inf")
        self._closed = False

    def __enter__(self) -> Progress:
        self._draw(force=True)
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def update(self, amount: int = 1) -> None:
        """Record `amount` more units done and redraw when it is time to."""
        self.done = min(self.total, self.done + amount) if self.total else self.done + amount
        self._draw(force=self.done == self.total)

    def render(self) -> str:
        """The current line, without any '\\r' or newline."""
        elapsed = time.monotonic() - self._started
        rate = self.done / elapsed if elapsed > 0 else 0.0
        unit = f" {self.unit}" if self.unit else ""
        label = f"{self.label} " if self.label else ""
        if not self.total:
            return f"{label}{self.done}{unit} ({rate:,.0f}{unit}/s)"
        fraction = self.done / self.total
        filled = int(fraction * self._width)
        bar = "#" * filled + "-" * (self._width - filled)
        return (
            f"{label}[{bar}] {fraction:4.0%} {self.done:,}/{self.total:,}{unit}"
            f" ({rate:,.0f}{unit}/s)"
        )

    def _draw(self, *, force: bool = False) -> None:
        if self._closed:
            return
        now = time.monotonic()
        if not force and now - self._last_draw < self._interval:
            return
        self._last_draw = now
        if self._tty:
            self._stream.write("\r" + self.render() + "\x1b[K")
        else:
            self._stream.write(self.render() + "\n")
        self._stream.flush()

    def close(self) -> None:
        """Draw the final state and end the line."""
        if self._closed:
            return
        if self._tty:
            self._draw(force=True)
            self._stream.write("\n")
            self._stream.flush()
        elif self.done != self.total or self._last_draw == float("-inf"):
            self._draw(force=True)
        self._closed = True
