"""Access-log throughput: durable appends/s (one writer, two writer processes) and verify speed.

Run from the repository root: python bench/audit_log.py [--events N] [--verify-events M] [--repeat R]
Figures depend on the disk's fsync latency, which is printed first. Each run uses fresh keys and a
fresh log in a temporary folder (on the same disk as --dir).
"""
from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import statistics
import sys
import tempfile
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))  # run as a script from anywhere

from audit.events import AccessEvent  # noqa: E402
from audit.key_checks import ensure_log_key  # noqa: E402
from audit.log.verify import verify  # noqa: E402
from audit.log.writer import AccessLog  # noqa: E402
from config.paths import Paths  # noqa: E402

BATCH = 10_000


def _event(i: int) -> AccessEvent:
    """A typical PHI reveal (about 450 bytes stored)."""
    return AccessEvent(
        user=f"coder{i % 40:02d}", role="auditor", action="phi_reveal", resource="claim_detail",
        claim_keys=(f"ck_{i * 7919 % 10**12:016x}",), fields=("member_name", "date_of_birth"),
        purpose_of_use="HOPERAT", justification="coding audit: rebuttal review",
        details={"page": "claims", "row": i % 500},
    )


def _fresh_paths(root: Path) -> Paths:
    folder = Path(tempfile.mkdtemp(dir=root))
    paths = Paths(data_dir=folder / "data", key_dir=folder / "keys")
    ensure_log_key(paths)
    return paths


def fsync_latency_ms(root: Path, n: int = 500) -> float:
    fd, name = tempfile.mkstemp(dir=root)
    try:
        times = []
        for _ in range(n):
            os.write(fd, b"x" * 450)
            start = time.perf_counter()
            os.fsync(fd)
            times.append(time.perf_counter() - start)
    finally:
        os.close(fd)
        os.unlink(name)
    return statistics.median(times) * 1000


def single_writer(root: Path, n: int) -> tuple[float, float]:
    """Durable events/s of one writer, and its ratio to the floor measured in the same run: each append is
    followed by one fsync'ed 450-byte append to a file beside the log, timed apart, so that both see the disk
    as it is at that moment (its latency moves several times over a minute on a shared machine)."""
    fd, name = tempfile.mkstemp(dir=root)
    appends = floor = 0.0
    try:
        with AccessLog(_fresh_paths(root)) as log:
            for i in range(n):
                start = time.perf_counter()
                log.append(_event(i))
                appends += time.perf_counter() - start
                os.write(fd, b"x" * 450)
                start = time.perf_counter()
                os.fsync(fd)
                floor += time.perf_counter() - start
    finally:
        os.close(fd)
        os.unlink(name)
    return n / appends, floor / appends


def _writer_process(paths: Paths, n: int, ready: multiprocessing.Barrier, done: multiprocessing.Queue) -> None:
    with AccessLog(paths) as log:
        log.append(_event(-1))  # open files and warm up before the clock starts
        ready.wait()
        for i in range(n):
            log.append(_event(i))
    done.put(time.monotonic())


def two_writers(root: Path, n: int) -> float:
    """Total durable events/s of two processes appending n events each at the same time."""
    spawn = multiprocessing.get_context("spawn")
    paths = _fresh_paths(root)
    ready, done = spawn.Barrier(3), spawn.Queue()
    writers = [spawn.Process(target=_writer_process, args=(paths, n, ready, done)) for _ in range(2)]
    for writer in writers:
        writer.start()
    ready.wait()
    start = time.monotonic()
    end = max(done.get(), done.get())
    for writer in writers:
        writer.join()
    report = verify(paths)
    if not report.ok or report.events != 2 * n + 2:
        raise SystemExit(f"concurrent log failed verification: {report.summary()}")
    return 2 * n / (end - start)


def build_and_verify(root: Path, n: int, repeat: int) -> tuple[float, list[tuple[float, float, float]]]:
    """Seconds to build an n-event log by group commit, and for each verify run its wall seconds and the CPU
    seconds of its own process and of its helper (audit.log.scan): on a loaded machine the wall time is set by
    the load, and the larger CPU figure is what it would be on two idle cores."""
    paths = _fresh_paths(root)
    with AccessLog(paths) as log:
        start = time.perf_counter()
        for first in range(0, n, BATCH):
            log.append_many([_event(i) for i in range(first, min(first + BATCH, n))])
        build = time.perf_counter() - start
    runs = []
    for _ in range(repeat):
        start, cpu, helper = time.perf_counter(), time.process_time(), _children_cpu()
        report = verify(paths)
        runs.append((time.perf_counter() - start, time.process_time() - cpu, _children_cpu() - helper))
        if not report.ok or report.events != n:
            raise SystemExit(f"benchmark log failed verification: {report.summary()}")
    return build, runs


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--events", type=int, default=5_000, help="durable appends per writer per run")
    parser.add_argument("--verify-events", type=int, default=1_000_000, help="size of the log to verify")
    parser.add_argument("--repeat", type=int, default=3, help="runs per figure; medians are printed")
    parser.add_argument("--dir", type=Path, default=Path(tempfile.gettempdir()), help="folder on the disk to test")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(dir=args.dir, prefix="bench-audit-log-") as tmp:
        root = Path(tmp)
        load = " ".join(Path("/proc/loadavg").read_text().split()[:3])
        print(f"access-log benchmark: {os.cpu_count()} CPUs, folder {args.dir}, load average {load}")
        latency = fsync_latency_ms(root)
        _row("fsync latency", f"{latency:.3f} ms (median of 500): the floor, one fsync an event, is {1000 / latency:,.0f}/s")
        runs = f"median of {args.repeat} runs"
        singles = [single_writer(root, args.events) for _ in range(args.repeat)]
        _row("durable appends, 1 writer", f"{statistics.median(s for s, _ in singles):,.0f} events/s ({runs} of "
             f"{args.events:,}), {statistics.median(r for _, r in singles):.2f} of the floor timed in turn with them "
             f"(runs: {', '.join(f'{r:.2f}' for _, r in singles)}; target 0.8)")
        double = statistics.median(two_writers(root, args.events) for _ in range(args.repeat))
        _row("durable appends, 2 processes", f"{double:,.0f} events/s in total ({runs} of 2 x {args.events:,})")
        n = args.verify_events
        build, verify_runs = build_and_verify(root, n, args.repeat)
        _row(f"group commit, batches of {BATCH:,}", f"{n / build:,.0f} events/s ({n:,} events in {build:.1f} s)")
        seconds = statistics.median(wall for wall, _, _ in verify_runs)
        _row(f"verify {n:,} events", f"{seconds:.2f} s = {n / seconds:,.0f} events/s ({runs}: "
             + ", ".join(f"{wall:.2f}" for wall, _, _ in verify_runs) + " s; target 2 s)")
        _row("  CPU: verify's process, its helper", f"{statistics.median(c for _, c, _ in verify_runs):.2f} s, "
             f"{statistics.median(h for _, _, h in verify_runs):.2f} s (medians)")
        print(f"  load average at the end: {' '.join(Path('/proc/loadavg').read_text().split()[:3])}")


def _row(label: str, figure: str) -> None:
    print(f"  {label + ':':<36} {figure}")


if __name__ == "__main__":
    main()
