"""Forked worker processes for rendering and checking large fleets.

One job (a plan, a list of files) is split into chunks; forked workers inherit the job at
fork, so it is never pickled, and return each chunk's results, which arrive in order. A
worker that dies (killed, out of memory) ends the run with an error instead of a wait for
a result that never comes; Ctrl-C or SIGTERM stops every worker at once.
"""

from __future__ import annotations

import gc
import multiprocessing
import os
import signal
from collections import deque
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ProcessPoolExecutor
from concurrent.futures.process import BrokenProcessPool
from contextlib import contextmanager
from typing import Any, TypeVar

from acr_edge_cli.errors import AcrEdgeError

#: Below this many items one process is faster than starting workers.
PARALLEL_THRESHOLD = 256

_Job = TypeVar("_Job")
_Item = TypeVar("_Item")
Work = Callable[[_Job, int, int], list[_Item]]

#: What forked workers run: work(job, start, stop), inherited at fork.
_forked_work: tuple[Callable[[Any, int, int], list[Any]], Any] | None = None


class WorkerError(AcrEdgeError):
    """A worker process ended without finishing its work (exit 2: nothing is written)."""


def default_workers(items: int) -> int:
    """Processes for rendering or checking: every available core for a large fleet, else
    one. ACR_EDGE_WORKERS overrides."""
    configured = os.environ.get("ACR_EDGE_WORKERS")
    if configured:
        return max(1, int(configured))
    if items < PARALLEL_THRESHOLD:
        return 1
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count() or 1


def _die_with_parent() -> None:
    """Linux: a worker is killed when the process that forked it ends, however it ends
    (a worker whose parent was SIGKILLed would otherwise wait for work forever)."""
    try:
        import ctypes

        pr_set_pdeathsig = 1
        ctypes.CDLL(None).prctl(pr_set_pdeathsig, signal.SIGKILL, 0, 0, 0)
    except (OSError, AttributeError):  # not Linux: the parent's own cleanup must do
        pass


def _start_worker() -> None:
    """Workers leave Ctrl-C to the main process, which stops them, and die quietly when it
    does (rather than run a SIGTERM handler inherited from the command line)."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    signal.signal(signal.SIGTERM, signal.SIG_DFL)
    _die_with_parent()


def _work_in_worker(bounds: tuple[int, int]) -> list[Any]:
    assert _forked_work is not None
    work, job = _forked_work
    return work(job, *bounds)


def _results(futures: deque[Future[list[_Item]]]) -> Iterator[list[_Item]]:
    """Each chunk's results in order. A future holds its result for as long as it is kept:
    each is let go once read, or a fleet's manifests would all stay in memory."""
    while futures:
        future = futures.popleft()
        try:
            yield future.result()
        except BrokenProcessPool:
            raise WorkerError(
                "a worker process ended unexpectedly (killed, or out of memory); "
                "nothing was written"
            ) from None


@contextmanager
def in_chunks(
    work: Work[_Job, _Item],
    job: _Job,
    count: int,
    processes: int,
    *,
    before_fork: Callable[[], None] | None = None,
) -> Iterator[Iterator[list[_Item]]]:
    """work(job, start, stop) over [0, count), in chunks, the results in order: in forked
    worker processes, which start at once (so the caller's own work overlaps theirs until
    it reads the results), or in this process. Leaving the block early stops the workers.

    `before_fork`: lets the caller's other threads finish first (forking copies only the
    calling thread)."""
    global _forked_work
    if processes <= 1 or count < 2:
        yield (work(job, start, min(start + 256, count)) for start in range(0, count, 256))
        return
    # Small chunks, several a worker: for balance, and so that results start arriving early.
    size = -(-count // (processes * 8))
    chunks = [(start, min(start + size, count)) for start in range(0, count, size)]
    # Frozen, the inherited heap is never scanned by a worker's collector (if one runs: the
    # command line turns it off), so its pages stay shared instead of being copied.
    gc.freeze()
    if before_fork is not None:
        before_fork()
    others = set(multiprocessing.active_children())
    _forked_work = (work, job)
    executor = ProcessPoolExecutor(
        processes, mp_context=multiprocessing.get_context("fork"), initializer=_start_worker
    )
    try:
        # the workers fork at the first submit (all of them, with the fork context)
        futures = deque(executor.submit(_work_in_worker, chunk) for chunk in chunks)
    finally:
        _forked_work = None
        gc.unfreeze()
    workers = set(multiprocessing.active_children()) - others
    finished = False
    try:
        yield _results(futures)
        finished = True
    finally:
        if finished:
            executor.shutdown(wait=True)
        else:  # interrupted, or a worker died: stop the rest now, without waiting on them
            for worker in workers:
                worker.kill()
            for worker in workers:  # reaped here, or they outlive us as zombies
                worker.join(timeout=5)
            executor.shutdown(wait=False, cancel_futures=True)
