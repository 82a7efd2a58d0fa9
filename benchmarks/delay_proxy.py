"""A TCP proxy on loopback that adds a fixed delay to every round trip.

It forwards one target (``127.0.0.1:port``) and holds each chunk a client sends for
``rtt`` seconds before passing it on; replies come back at once. A request/reply
exchange thus takes ``rtt`` longer, which is what a Redis in another rack or zone
costs: the benchmarks use it to show 0, 1 and 2 round trips per request in
milliseconds. Order is kept per connection; it accepts at most ``max_connections``
clients and only ever listens on and connects to 127.0.0.1.

Run it in a thread (`DelayProxy`, for tests) or as its own process, so that it does not
compete with a benchmarked app for the GIL (`delay_proxy_process`)::

    python -m benchmarks.delay_proxy --target 6379 --rtt-ms 1   # prints its port
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import subprocess
import sys
import threading
from collections.abc import Iterator, Sequence
from typing import Any

__all__ = ["DelayProxy", "delay_proxy_process", "main"]

LOOPBACK = "127.0.0.1"
CHUNK = 65536
MAX_CONNECTIONS = 512
READY_TIMEOUT = 10.0


async def _pump(reader: asyncio.StreamReader, writer: asyncio.StreamWriter, delay: float) -> None:
    """Copy ``reader`` to ``writer``, each chunk ``delay`` seconds after it arrived."""
    loop = asyncio.get_running_loop()
    queue: asyncio.Queue[tuple[float, bytes]] = asyncio.Queue()

    async def release() -> None:
        while True:
            due, chunk = await queue.get()
            if not chunk:
                break
            wait = due - loop.time()
            if wait > 0:
                await asyncio.sleep(wait)
            writer.write(chunk)
            await writer.drain()
        with contextlib.suppress(OSError):
            writer.write_eof()

    releaser = asyncio.ensure_future(release())
    try:
        while chunk := await reader.read(CHUNK):
            queue.put_nowait((loop.time() + delay, chunk))
        queue.put_nowait((loop.time(), b""))
        await releaser
    except OSError:
        pass
    finally:
        if not releaser.done():
            releaser.cancel()
            await asyncio.wait([releaser])
        elif not releaser.cancelled():
            releaser.exception()  # a peer that went away: nothing to report
        writer.close()


class _Forwarder:
    """Accepts clients and pairs each with a connection to the target."""

    def __init__(self, target_port: int, rtt: float, max_connections: int) -> None:
        self.target_port = target_port
        self.rtt = rtt
        self.max_connections = max_connections
        self.writers: set[asyncio.StreamWriter] = set()
        self.handlers: set[asyncio.Task[Any]] = set()

    async def handle(
        self, client_reader: asyncio.StreamReader, client_writer: asyncio.StreamWriter
    ) -> None:
        task = asyncio.current_task()
        if task is None or len(self.handlers) >= self.max_connections:
            client_writer.close()
            return
        self.handlers.add(task)
        self.writers.add(client_writer)
        try:
            server_reader, server_writer = await asyncio.open_connection(LOOPBACK, self.target_port)
        except OSError:
            client_writer.close()
            return
        else:
            self.writers.add(server_writer)
            await asyncio.gather(
                _pump(client_reader, server_writer, self.rtt),
                _pump(server_reader, client_writer, 0.0),
                return_exceptions=True,
            )
        finally:
            self.handlers.discard(task)

    async def close(self) -> None:
        """Close every connection and wait for the handlers to end."""
        for writer in self.writers:
            writer.close()
        handlers = list(self.handlers)
        for handler in handlers:
            handler.cancel()
        await asyncio.gather(*handlers, return_exceptions=True)
        for writer in self.writers:
            with contextlib.suppress(OSError, asyncio.CancelledError):
                await writer.wait_closed()


async def _serve(
    target_port: int, rtt: float, ready: asyncio.Future[int] | None, stop: asyncio.Event
) -> None:
    forwarder = _Forwarder(target_port, rtt, MAX_CONNECTIONS)
    server = await asyncio.start_server(forwarder.handle, LOOPBACK, 0)
    port: int = server.sockets[0].getsockname()[1]
    if ready is not None:
        ready.set_result(port)
    else:
        print(port, flush=True)
    async with server:
        await stop.wait()
        server.close()
        await forwarder.close()


class DelayProxy:
    """The proxy on a thread of its own (its own event loop); a context manager."""

    def __init__(self, target_port: int, *, rtt: float) -> None:
        self.target_port = target_port
        self.rtt = rtt
        self.port = 0
        self._loop = asyncio.new_event_loop()
        self._stop: asyncio.Event | None = None
        self._thread = threading.Thread(target=self._run, name="delay-proxy", daemon=True)
        self._started = threading.Event()
        self._error: BaseException | None = None

    def _run(self) -> None:
        asyncio.set_event_loop(self._loop)

        async def main() -> None:
            self._stop = asyncio.Event()
            ready: asyncio.Future[int] = self._loop.create_future()
            serving = asyncio.ensure_future(_serve(self.target_port, self.rtt, ready, self._stop))
            try:
                self.port = await ready
            finally:
                self._started.set()
            await serving

        try:
            self._loop.run_until_complete(main())
        except BaseException as error:  # reported by start()
            self._error = error
            self._started.set()
        finally:
            self._loop.close()

    def start(self) -> None:
        """Start listening; `port` is set once this returns."""
        self._thread.start()
        if not self._started.wait(READY_TIMEOUT) or self._error is not None:
            raise RuntimeError(f"the delay proxy did not start: {self._error!r}")

    def stop(self) -> None:
        """Stop listening and close every connection."""
        stop = self._stop
        if stop is not None and self._thread.is_alive():
            self._loop.call_soon_threadsafe(stop.set)
        self._thread.join(READY_TIMEOUT)

    def __enter__(self) -> DelayProxy:
        self.start()
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.stop()


@contextlib.contextmanager
def delay_proxy_process(target_port: int, *, rtt: float) -> Iterator[int]:
    """Run the proxy as a child process; yields the port it listens on."""
    command = [sys.executable, "-m", "benchmarks.delay_proxy", "--target", str(target_port)]
    command += ["--rtt-ms", repr(rtt * 1000)]
    process = subprocess.Popen(command, stdout=subprocess.PIPE, stdin=subprocess.DEVNULL)
    try:
        assert process.stdout is not None
        line = process.stdout.readline()
        if not line.strip().isdigit():
            raise RuntimeError("the delay proxy did not start")
        yield int(line)
    finally:
        process.terminate()
        try:
            process.wait(timeout=READY_TIMEOUT)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait(timeout=READY_TIMEOUT)
        if process.stdout is not None:
            process.stdout.close()


def main(argv: Sequence[str] | None = None) -> int:
    """Serve until killed, printing the port first."""
    parser = argparse.ArgumentParser(prog="python -m benchmarks.delay_proxy")
    parser.add_argument("--target", type=int, required=True, help="port on 127.0.0.1")
    parser.add_argument("--rtt-ms", type=float, required=True, help="added round-trip time")
    args = parser.parse_args(argv)

    async def run() -> None:
        await _serve(args.target, args.rtt_ms / 1000, None, asyncio.Event())

    with contextlib.suppress(KeyboardInterrupt):
        asyncio.run(run())
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
