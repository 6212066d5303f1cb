"""The cycle collector around large builds: off during them; afterwards, in a process that runs
one command, what they left alive is set aside from it (``gc.freeze``), and never otherwise."""

from __future__ import annotations

import gc
import subprocess
import sys

from audit.heap import without_cycle_collection


def test_in_a_process_that_goes_on_nothing_is_set_aside() -> None:
    frozen = gc.get_freeze_count()
    with without_cycle_collection():
        assert not gc.isenabled()
        built = [[index] for index in range(10_000)]
    assert gc.isenabled()
    assert gc.get_freeze_count() == frozen
    assert len(built) == 10_000


def test_the_console_command_sets_aside_what_a_build_left_alive() -> None:
    script = """
import gc, sys, weakref
from audit.cli import command
import audit.cli
audit.cli.main = lambda: 0  # only the entry point's own work: no command is run
command()
from audit.heap import without_cycle_collection
class Node: pass
with without_cycle_collection():
    built = [Node() for _ in range(10_000)]
assert gc.isenabled(), "collector left off"
assert gc.get_freeze_count() >= 10_000, gc.get_freeze_count()
alive = weakref.ref(built[0])
del built
assert alive() is None, "a frozen object was not freed with its last reference"
print("ok")
"""
    done = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert done.returncode == 0, done.stderr
    assert done.stdout.strip() == "ok"
