"""Progress on long runs: a bar on a terminal, plain periodic lines in CI logs (stderr)."""

from __future__ import annotations

import sys
import time
from typing import TextIO

MIN_ITEMS = 20000  # smaller runs finish too fast to need progress


class Progress:
    def __init__(
        self, label: str, total: int, stream: TextIO | None = None, every_seconds: float = 10.0
    ):
        self.label, self.total = label, total
        self.stream = stream or sys.stderr
        self.enabled = total >= MIN_ITEMS
        self.tty = self.enabled and self.stream.isatty()
        self.every = every_seconds
        self.started = self.last = time.monotonic()
        self.done = 0

    def advance(self, count: int = 1) -> None:
        self.done += count
        if not self.enabled:
            return
        now = time.monotonic()
        if self.tty and (now - self.last > 0.2 or self.done == self.total):
            width = 30
            filled = width * self.done // max(self.total, 1)
            self.stream.write(
                f"\r{self.label} [{'#' * filled}{'.' * (width - filled)}] "
                f"{self.done:,}/{self.total:,}"
            )
            self.stream.flush()
            self.last = now
        elif not self.tty and now - self.last >= self.every:
            self.stream.write(
                f"{self.label}: {self.done:,}/{self.total:,} "
                f"({100 * self.done // max(self.total, 1)}%, "
                f"{now - self.started:.0f} s)\n"
            )
            self.stream.flush()
            self.last = now

    def close(self) -> None:
        if self.enabled:
            end = "\n" if self.tty else ""
            self.stream.write(
                f"{end}{self.label}: {self.done:,} in {time.monotonic() - self.started:.1f} s\n"
            )
            self.stream.flush()
