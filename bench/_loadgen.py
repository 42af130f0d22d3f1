"""A small HTTP/1.1 keep-alive load generator (used when `wrk` is not installed): `concurrency`
connections each sending the same POST back to back for `seconds`, on asyncio streams.

Run as `python -m bench._loadgen URL PATH BODY_FILE CONCURRENCY SECONDS`; prints one JSON line:
`{"requests": N, "seconds": S, "errors": E, "p99_ms": L}`."""

from __future__ import annotations

import asyncio
import json
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit


async def _worker(
    host: str, port: int, request: bytes, deadline: float, counts: list[int], waits: list[float]
) -> None:
    reader, writer = await asyncio.open_connection(host, port)
    try:
        while time.perf_counter() < deadline:
            sent = time.perf_counter()
            writer.write(request)
            head = await reader.readuntil(b"\r\n\r\n")
            status = int(head.split(b" ", 2)[1])
            length = 0
            for line in head.split(b"\r\n")[1:]:
                name, _, value = line.partition(b":")
                if name.strip().lower() == b"content-length":
                    length = int(value)
            await reader.readexactly(length)
            counts[0 if 200 <= status < 300 else 1] += 1
            waits.append(time.perf_counter() - sent)
    finally:
        writer.close()


async def run(
    url: str, path: str, body: bytes, concurrency: int, seconds: float
) -> dict[str, float]:
    parts = urlsplit(url)
    host, port = parts.hostname or "127.0.0.1", parts.port or 80
    request = (
        f"POST {path} HTTP/1.1\r\nHost: {parts.netloc}\r\nAuthorization: ApiKey bench-key\r\n"
        f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n\r\n"
    ).encode() + body
    counts = [0, 0]
    waits: list[float] = []
    start = time.perf_counter()
    deadline = start + seconds
    await asyncio.gather(
        *(_worker(host, port, request, deadline, counts, waits) for _ in range(concurrency))
    )
    waits.sort()
    p99 = waits[min(len(waits) - 1, int(len(waits) * 0.99))] * 1000.0 if waits else 0.0
    return {
        "requests": counts[0],
        "seconds": time.perf_counter() - start,
        "errors": counts[1],
        "p99_ms": p99,
    }


if __name__ == "__main__":
    url, path, body_file, conc, secs = sys.argv[1:6]
    result = asyncio.run(run(url, path, Path(body_file).read_bytes(), int(conc), float(secs)))
    print(json.dumps(result))
