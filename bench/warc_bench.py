"""WARC throughput of `streamer dedup`: a `.warc.gz` crawl of our own making, read end to end.

    python bench/warc_bench.py [--size-gb 1.0] [--sites 40] [--seed 1] [--reader-only]

Writes a crawl of news front pages (~80 KB of HTML each, a BREAKING ticker that gains a flash now
and then, words drawn at random: it compresses less than real pages, about 1.7:1) in a temporary
directory with warcio's writer, the way crawlers write them: a request record before each
response, one response in 50 a 404, one capture in 10 a revisit of the URL's last page. Then
runs `streamer dedup` on it in a subprocess and reports pages/s, MB/s (of the file and of the
page bodies) and the child's RSS, sampled through the run (it should stay flat: records are
streamed; the engine's own state grows until its TTL window is full) and its peak, with the
flashes alive at the end. `--reader-only` reads the file with the WARC adapter alone, in this
process, and samples RSS every 5,000 records: what the input side holds. The file is deleted
afterwards. Needs the disk space and a quiet machine; says the load average.
"""

from __future__ import annotations

import argparse
import io
import json
import os
import random
import resource
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

VOCAB_SIZE = 5000
PAGE_PARAGRAPHS = 90


def _vocabulary(rng: random.Random) -> list[str]:
    letters = "etaoinshrdlucmfwypvbgkqjxz"
    weights = [12, 9, 8, 8, 7, 7, 6, 6, 6, 4, 4, 3, 3, 2, 2, 2, 2, 2, 1, 1, 1, 1, 1, 1, 1, 1]
    return ["".join(rng.choices(letters, weights, k=rng.randint(2, 10)))
            for _ in range(VOCAB_SIZE)]


def _sentence(rng: random.Random, words: list[str], n: int) -> str:
    return " ".join(rng.choices(words, k=n)).capitalize()


def write_crawl(path: Path, size_bytes: int, sites: int, seed: int) -> tuple[int, int]:
    """(pages: responses with status 200 and revisits of them, bytes of the responses' bodies)
    written until the file reaches `size_bytes`."""
    rng = random.Random(seed)
    words = _vocabulary(rng)
    paragraphs = [f"<p>{_sentence(rng, words, rng.randint(20, 40))}.</p>" for _ in range(4000)]
    tickers = {f"site{n:02d}.example": [_sentence(rng, words, rng.randint(6, 14))
                                        for _ in range(12)] for n in range(sites)}
    when = datetime(2025, 3, 1, tzinfo=UTC)
    pages = body_bytes = 0
    digests: dict[str, str] = {}  # url -> payload digest of its last capture
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        while fh.tell() < size_bytes:
            source = rng.choice(list(tickers))
            url = f"https://{source}/live"
            when += timedelta(seconds=rng.randint(1, 20))
            date = when.strftime("%Y-%m-%dT%H:%M:%SZ")
            request = StatusAndHeaders("GET /live HTTP/1.1", [("Host", source)],
                                       is_http_request=True)
            writer.write_record(writer.create_warc_record(
                url, "request", payload=io.BytesIO(b""), length=0, http_headers=request,
                warc_headers_dict={"WARC-Date": date}))
            roll = rng.random()
            if roll < 0.1 and url in digests:
                writer.write_record(writer.create_revisit_record(
                    url, digest=digests[url], refers_to_uri=url, refers_to_date=date,
                    warc_headers_dict={"WARC-Date": date}, http_headers=StatusAndHeaders(
                        "304 Not Modified", [], protocol="HTTP/1.1")))
                pages += 1  # the unchanged page, read again
                continue
            ticker = tickers[source]
            if rng.random() < 0.3:
                ticker.insert(0, _sentence(rng, words, rng.randint(6, 14)))
                del ticker[12:]
            items = "".join(f"<li>{flash}</li>" for flash in ticker)
            html = ("<!doctype html><html><head><meta charset='utf-8'><title>Live</title>"
                    "</head><body><nav><ul><li>Home</li><li>World</li></ul></nav>"
                    f"<div class='breaking'><h2>BREAKING</h2><ul>{items}</ul></div><article>"
                    + "".join(rng.sample(paragraphs, PAGE_PARAGRAPHS)) + "</article></body></html>")
            body = html.encode()
            status = "404 Not Found" if roll > 0.98 else "200 OK"
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                warc_headers_dict={"WARC-Date": date},
                http_headers=StatusAndHeaders(
                    status, [("Content-Type", "text/html; charset=utf-8")], protocol="HTTP/1.1"))
            writer.write_record(response)
            if status == "200 OK":
                pages += 1
                body_bytes += len(body)
                digests[url] = response.rec_headers.get_header("WARC-Payload-Digest")
    return pages, body_bytes


def _rss_kb(pid: int) -> int | None:
    try:
        for line in Path(f"/proc/{pid}/status").read_text().splitlines():
            if line.startswith("VmRSS:"):
                return int(line.split()[1])
    except OSError:
        return None
    return None


def _read_only(path: Path, size: int) -> int:
    from streamer.inputs.warc import read_warc

    base, marks, records = _rss_kb(os.getpid()) or 0, [], 0
    t = time.perf_counter()
    for _ in read_warc(path, max_bytes=5 * 1024 * 1024):
        records += 1
        if records % 5000 == 0:
            marks.append((_rss_kb(os.getpid()) or 0) // 1024)
    took = time.perf_counter() - t
    print(f"WARC adapter alone: {records:,} records in {took:.1f} s = {size / 1e6 / took:.1f} MB/s "
          f"of .warc.gz; RSS {base // 1024} MB before, every 5,000 records: {marks} MB")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size-gb", type=float, default=1.0)
    parser.add_argument("--sites", type=int, default=40)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--reader-only", action="store_true",
                        help="time the WARC adapter alone (no engine), RSS every 5,000 records")
    args = parser.parse_args()
    print(f"load average at start: {os.getloadavg()[0]:.2f} ({os.cpu_count()} cores)")
    with tempfile.TemporaryDirectory(prefix="warc_bench-") as tmp:
        path = Path(tmp) / "crawl.warc.gz"
        t = time.perf_counter()
        pages, body_bytes = write_crawl(path, int(args.size_gb * 1e9), args.sites, args.seed)
        size = path.stat().st_size
        print(f"wrote {size / 1e6:,.0f} MB ({pages:,} pages incl. revisits, "
              f"{body_bytes / 1e6:,.0f} MB of HTML) in {time.perf_counter() - t:.0f} s")
        if args.reader_only:
            return _read_only(path, size)
        t = time.perf_counter()
        proc = subprocess.Popen(
            [sys.executable, "-m", "streamer", "dedup", str(path), "--summary-json"],
            stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
        samples: list[tuple[float, int]] = []
        while proc.poll() is None:
            rss = _rss_kb(proc.pid)
            if rss is not None:
                samples.append((time.perf_counter() - t, rss))
            time.sleep(0.5)
        took = time.perf_counter() - t
        _, err = proc.communicate()
        peak_kb = resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss  # the only child
    summary = json.loads(err.decode().strip().splitlines()[-1])
    print(f"streamer dedup: {summary['snapshots']:,} snapshots in {took:.1f} s = "
          f"{summary['snapshots'] / took:,.0f} pages/s, {size / 1e6 / took:.1f} MB/s of .warc.gz, "
          f"{body_bytes / 1e6 / took:.1f} MB/s of HTML; exit {proc.returncode}; "
          f"{summary['live_flashes']:,} flashes alive at the end; skipped {summary['skipped']}")
    if samples:  # (at least one: the run takes longer than a sample interval)
        n = len(samples)
        marks = [samples[min(n - 1, int(n * f))] for f in (0.1, 0.25, 0.5, 0.75, 0.95)]
        print("RSS over the run: " + ", ".join(f"{s:.0f} s {kb / 1024:.0f} MB" for s, kb in marks)
              + f"; peak (getrusage) {peak_kb / 1024:.0f} MB")
    print(f"load average at end: {os.getloadavg()[0]:.2f}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
