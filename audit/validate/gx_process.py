"""Great Expectations in a second process, started when a run that starts from a cache begins.

Importing GX takes about 2.5 s, most of what a gate on a small change spends on the suites.
The process imports it on the other core while the run loads its tables and runs pandera,
then validates the jobs it is sent (``expectations.validate_batches``) while the run goes on
with its rules: a small change's rows and the few whole-table expectations. Its outcomes are
the same plain data as in-process ones. When the process is gone (killed, out of memory),
the jobs run here instead; a bad suite raises the same ``SuiteError``.
"""

from __future__ import annotations

import multiprocessing
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from multiprocessing.connection import Connection
from typing import Any

from audit.validate.expectations import Job, Outcomes, SuiteError, quiet_gx, validate_batches


class GxProcess:
    """A forked process that imports GX at once and then validates batches of jobs."""

    def __init__(self) -> None:
        # fork: the child starts from this process's imports (pandas, audit) at no cost, and
        # ``python -m audit`` has no import-safe main module for spawn to re-run.
        context = multiprocessing.get_context("fork")
        self._connection, child = context.Pipe()
        self._process = context.Process(target=_serve, args=(child,), daemon=True)
        self._process.start()
        child.close()
        # Sends the jobs and waits for the outcomes, so this process's thread need not: the
        # pipe holds 64 KiB and the child reads only once GX is imported.
        self._exchange = ThreadPoolExecutor(1, thread_name_prefix="gx")

    def submit(self, batches: list[list[Job]]) -> Callable[[], Outcomes]:
        """Send the batches and return a function giving their outcomes. The jobs' frames
        are the suites' own copies of the columns they read (``suite_jobs``), so nothing
        else touches them while they are sent."""
        reply = self._exchange.submit(self._round_trip, batches)

        def outcomes() -> Outcomes:
            try:
                status, value = reply.result()
            except (EOFError, OSError):  # the process is gone
                return validate_batches(batches)
            if status == "raised":
                raise value
            return value

        return outcomes

    def _round_trip(self, batches: list[list[Job]]) -> tuple[str, Any]:
        self._connection.send(batches)
        return self._connection.recv()

    def close(self) -> None:
        """Stop the process (it may still be importing GX when no job came)."""
        self._process.terminate()
        self._process.join()
        self._exchange.shutdown()
        self._connection.close()


def _serve(connection: Connection) -> None:
    quiet_gx()
    import great_expectations  # noqa: F401  (the point: imported before the first job)

    while True:
        try:
            batches = connection.recv()
        except EOFError:
            return
        try:
            connection.send(("done", validate_batches(batches)))
        except SuiteError as error:
            connection.send(("raised", SuiteError(str(error))))
        except Exception as error:  # any other failure is the run's, as in-process
            connection.send(("raised", RuntimeError(f"GX validation failed: {error!r}")))
