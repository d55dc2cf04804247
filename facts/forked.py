"""Reading a file in forked processes while this one writes what they read.

Each reader is a generator of batches run in a process of its own; a reader that reads
spans of the file yields None at the end of each, and the readers' spans are taken in
turn. The batches come back over pipes, in the file's order, a few ahead of the writer.
"""

from __future__ import annotations

import gc
import multiprocessing
import queue
import threading
from collections.abc import Callable, Iterator
from multiprocessing.connection import Connection as PipeEnd
from typing import Any, TypeVar

AHEAD = 4  # batches a reader's thread takes off its pipe before they are written

T = TypeVar("T")


def _send(batches: Callable[[], Iterator[T | None]], send: PipeEnd,
          receiving: list[PipeEnd]) -> None:
    """A reader's body: its batches down the pipe, None as the end of a span. The receiving
    ends it was forked with are closed first: a reader holding one open (its own, or an
    earlier reader's) would never see the writer die, and would wait on a full pipe for ever."""
    for end in receiving:
        end.close()
    # What this process was forked with stays as it is: the collector need not go through it
    # again and again (a fifth of a reader's time among a chunk's thousands of new rows).
    gc.freeze()
    gc.set_threshold(10_000, *gc.get_threshold()[1:])
    try:
        try:
            for batch in batches():
                send.send(("span", None) if batch is None else ("batch", batch))
            send.send(("done", None))
        except BaseException as exc:  # noqa: BLE001 - handed to the parent, which raises it
            send.send(("raise", exc))
    except OSError:
        pass  # the writer is gone (killed, or stopped reading after an error): nobody to tell
    finally:
        send.close()


def forked(readers: list[Callable[[], Iterator[T | None]]]) -> Iterator[T]:
    """Each reader run in a forked process, its batches received here as they come, in the
    file's order: the readers' spans are taken in turn, the first reader's first, and the
    reader whose turn it is saying it is done is the file's end. A thread per reader takes
    its batches off the pipe as soon as they come, a few ahead (memory stays bounded), so
    that the readers read while this process writes (both cores). A reader's exception is
    raised here."""
    context = multiprocessing.get_context("fork")
    stop = threading.Event()
    children, pipes, queues, threads = [], [], [], []
    try:
        for body in readers:
            receive, send = context.Pipe(duplex=False)
            pipes.append(receive)
            child = context.Process(target=_send, args=(body, send, [*pipes]), daemon=True)
            child.start()
            send.close()
            children.append(child)
        for child, receive in zip(children, pipes, strict=True):
            received: queue.Queue = queue.Queue(maxsize=AHEAD)
            thread = threading.Thread(target=_receive, args=(receive, child, received, stop),
                                      daemon=True)
            thread.start()
            queues.append(received)
            threads.append(thread)
        turn = 0
        while True:
            tag, item = queues[turn].get()
            if tag == "batch":
                yield item
            elif tag == "span":
                turn = (turn + 1) % len(queues)
            elif tag == "done":
                return
            else:
                raise item
    finally:
        stop.set()
        for child in children:
            if child.is_alive():
                child.kill()
            child.join()
        for thread in threads:
            thread.join()
        for receive in pipes:
            receive.close()


def _receive(receive: PipeEnd, child: Any, received: queue.Queue, stop: threading.Event) -> None:
    """A reader's messages, from its pipe to its queue, until it is done or gone."""
    while True:
        try:
            message = receive.recv()
        except (EOFError, OSError):
            child.join()
            message = ("raise", RuntimeError(
                f"the process reading the file stopped (exit code {child.exitcode})"))
        while not stop.is_set():
            try:
                received.put(message, timeout=0.1)
                break
            except queue.Full:
                continue
        if message[0] in ("done", "raise") or stop.is_set():
            return
