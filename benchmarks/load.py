"""Bounded load generators for the end-to-end run: ``wrk`` if installed, else a small
asyncio client. Both keep ``connections`` keep-alive connections busy for ``seconds``
against 127.0.0.1 only, and stop by themselves."""

from __future__ import annotations

import asyncio
import contextlib
import re
import shutil
import subprocess
import time
from dataclasses import dataclass

__all__ = ["LoadResult", "generator_name", "run_load"]

LOOPBACK = "127.0.0.1"
_REQUESTS_PER_SECOND = re.compile(r"Requests/sec:\s+([\d.]+)")
_NON_2XX = re.compile(r"Non-2xx or 3xx responses:\s+(\d+)")
_TOTAL = re.compile(r"(\d+) requests in")
_ERRORS = re.compile(r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)")


@dataclass(frozen=True)
class LoadResult:
    """Throughput of one load run."""

    requests_per_second: float
    requests: int
    bad: int
    """Responses that were not 2xx/3xx, plus socket errors."""


def generator_name(prefer_wrk: bool = True) -> str:
    """``"wrk"`` when it is installed (and preferred), else ``"asyncio"``."""
    return "wrk" if prefer_wrk and shutil.which("wrk") else "asyncio"


def run_load(
    port: int,
    path: str,
    cookie: str | None,
    *,
    seconds: int,
    connections: int,
    generator: str,
) -> LoadResult:
    """Load ``http://127.0.0.1:{port}{path}`` for ``seconds`` with ``connections``."""
    if generator == "wrk":
        return _wrk(port, path, cookie, seconds=seconds, connections=connections)
    return asyncio.run(_asyncio_load(port, path, cookie, seconds, connections))


def _wrk(port: int, path: str, cookie: str | None, *, seconds: int, connections: int) -> LoadResult:
    args = ["wrk", "-t1", f"-c{connections}", f"-d{seconds}s", "--timeout", "5s"]
    if cookie is not None:
        args += ["-H", f"Cookie: {cookie}"]
    args.append(f"http://{LOOPBACK}:{port}{path}")
    completed = subprocess.run(
        args, capture_output=True, text=True, timeout=seconds + 30, check=True
    )
    output = completed.stdout
    rate = _REQUESTS_PER_SECOND.search(output)
    total = _TOTAL.search(output)
    if rate is None or total is None:
        raise RuntimeError(f"could not read wrk's output:\n{output}\n{completed.stderr}")
    bad = 0
    if (non_2xx := _NON_2XX.search(output)) is not None:
        bad += int(non_2xx.group(1))
    if (errors := _ERRORS.search(output)) is not None:
        bad += sum(int(group) for group in errors.groups())
    return LoadResult(float(rate.group(1)), int(total.group(1)), bad)


async def _asyncio_load(
    port: int, path: str, cookie: str | None, seconds: float, connections: int
) -> LoadResult:
    head = f"GET {path} HTTP/1.1\r\nHost: {LOOPBACK}:{port}\r\n"
    if cookie is not None:
        head += f"Cookie: {cookie}\r\n"
    request = (head + "\r\n").encode("latin-1")
    began = time.perf_counter()
    deadline = began + seconds
    counts = await asyncio.gather(
        *(_connection(port, request, deadline) for _ in range(connections))
    )
    elapsed = time.perf_counter() - began
    done = sum(good + bad for good, bad in counts)
    return LoadResult(done / elapsed, done, sum(bad for _, bad in counts))


async def _connection(port: int, request: bytes, deadline: float) -> tuple[int, int]:
    """One keep-alive connection sending requests back to back until ``deadline``."""
    good = bad = 0
    reader, writer = await asyncio.open_connection(LOOPBACK, port)
    try:
        while time.perf_counter() < deadline:
            writer.write(request)
            head = await asyncio.wait_for(reader.readuntil(b"\r\n\r\n"), timeout=5)
            status = int(head.split(b" ", 2)[1])
            length = 0
            chunked = False
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                lowered = name.strip().lower()
                if lowered == b"content-length":
                    length = int(value)
                elif lowered == b"transfer-encoding" and b"chunked" in value.lower():
                    chunked = True
            if chunked:
                while True:
                    size = int((await reader.readuntil(b"\r\n")).split(b";")[0], 16)
                    await reader.readexactly(size + 2)
                    if size == 0:
                        break
            elif length:
                await reader.readexactly(length)
            if 200 <= status < 400:
                good += 1
            else:
                bad += 1
    except (OSError, asyncio.IncompleteReadError, asyncio.TimeoutError, ValueError):
        bad += 1
    finally:
        writer.close()
        with contextlib.suppress(OSError):
            await writer.wait_closed()
    return good, bad
