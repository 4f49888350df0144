"""A closed-loop concurrent HTTP client: N threads, each sending its next request when the last
one is answered, bounded by a request count and a deadline.

It uses http.client rather than requests: the client shares the two cores with the server it
measures, and requests spends several times more CPU per call, which would cap the floor.
gunicorn's sync workers close every connection after one answer, so each request opens one.
"""

from __future__ import annotations

import http.client
import itertools
import json
import threading
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from bench.report import percentile


@dataclass
class LoadResult:
    latencies: list[float] = field(default_factory=list)  # seconds, answered requests
    statuses: Counter[int] = field(default_factory=Counter)
    errors: list[str] = field(default_factory=list)
    elapsed: float = 0.0

    @property
    def throughput(self) -> float:
        return len(self.latencies) / self.elapsed if self.elapsed else 0.0

    def ms(self, pct: float) -> float:
        return percentile(self.latencies, pct) * 1000

    def merge(self, other: LoadResult) -> LoadResult:
        return LoadResult(
            self.latencies + other.latencies,
            self.statuses + other.statuses,
            self.errors + other.errors,
            self.elapsed + other.elapsed,
        )


def post_json(
    port: int,
    path: str,
    make_body: Callable[[int], dict[str, Any]],
    headers: dict[str, str],
    *,
    first: int,
    count: int,
    concurrency: int,
    time_limit: float,
) -> LoadResult:
    """POST `count` bodies (make_body(first), make_body(first + 1), ...) with `concurrency`
    threads; stops early at `time_limit` seconds."""
    bodies = [json.dumps(make_body(first + i)).encode() for i in range(count)]
    send_headers = headers | {"Content-Type": "application/json"}
    result = LoadResult()
    lock = threading.Lock()
    indexes = itertools.count()
    deadline = time.perf_counter() + time_limit

    def worker() -> None:
        latencies: list[float] = []
        statuses: Counter[int] = Counter()
        errors: list[str] = []
        while time.perf_counter() < deadline:
            with lock:
                index = next(indexes)
            if index >= count:
                break
            started = time.perf_counter()
            try:
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
                conn.request("POST", path, bodies[index], send_headers)
                response = conn.getresponse()
                response.read()
                conn.close()
            except OSError as error:
                errors.append(f"{type(error).__name__}: {error}")
                continue
            latencies.append(time.perf_counter() - started)
            statuses[response.status] += 1
        with lock:
            result.latencies.extend(latencies)
            result.statuses.update(statuses)
            result.errors.extend(errors)

    threads = [threading.Thread(target=worker, daemon=True) for _ in range(concurrency)]
    started = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(time_limit + 15)
    result.elapsed = time.perf_counter() - started
    return result
