"""Building millions of small objects at once (parsed records, the rules' work, the report's
data)."""

from __future__ import annotations

import gc
from collections.abc import Iterator
from contextlib import contextmanager

_ONE_COMMAND = False  # set by ``for_one_command``


def for_one_command() -> None:
    """Say this process runs one command and exits (the console command, not tests calling
    ``cli.main``): what each build leaves alive then lives until the exit, and is set aside
    from the cycle collector (``gc.freeze``) rather than walked again by its next pass (0.9 s
    of a registry-scale gate). In a process that goes on, objects set aside that later fall
    into reference cycles would never be freed."""
    global _ONE_COMMAND
    _ONE_COMMAND = True


@contextmanager
def without_cycle_collection() -> Iterator[None]:
    """Parsed records, the rules' intermediate rows and the report's rows hold no reference
    cycles, but millions of new objects make the cycle collector walk them again and again (a
    quarter of the loading time, a fifth of the rules', half of the reports' from a cache)."""
    enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if enabled:
            if _ONE_COMMAND:
                gc.freeze()
            gc.enable()
