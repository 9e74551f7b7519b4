"""The plain datasketch recipe, as a competent user would write it: the fair baseline.

    python -m bench.recipe SNAPSHOTS.jsonl [--profiles FILE] [--no-cache] [--threshold 0.5]

Reads the same snapshots as `streamer dedup`, takes the same ticker lines (streamer's own
extractor and profiles, so extraction costs both the same), then per source: a dict of lines
already seen (byte-identical repeats, ~97% of ticker lines, skip everything else), and for the
rest a MinHash (128 permutations made once, lower-cased word shingles) queried in a MinHashLSH
(its bands chosen once for the threshold); a line that matches nothing is an event, printed as
one JSON line on stdout, and inserted.
`--no-cache` drops the dict (MinHash every line): the recipe as the datasketch README shows it.
"""

from __future__ import annotations

import argparse
import json
import re
import sys
from pathlib import Path

_WORD = re.compile(r"\w+")


def main(argv: list[str] | None = None) -> int:
    ap = argparse.ArgumentParser(prog="python -m bench.recipe", description=__doc__.splitlines()[0])
    ap.add_argument("snapshots", type=Path)
    ap.add_argument("--profiles", type=Path)
    ap.add_argument("--threshold", type=float, default=0.5)
    ap.add_argument("--no-cache", action="store_true", help="MinHash every line (no exact dict)")
    args = ap.parse_args(argv)

    from datasketch import MinHash, MinHashLSH

    from streamer.codec import decode_snapshot
    from streamer.core.extract import Profiles, ticker_lines

    profiles = Profiles.load(args.profiles)
    template = MinHash(num_perm=128)  # permutations made once: MinHash() redoes them per line
    perms, scheme = template.permutations, template.scheme
    bands = MinHashLSH(threshold=args.threshold, num_perm=128)  # its (bands, rows) choice is a
    params = (bands.b, bands.r)  # numerical integration: made once, not once per source
    indexes: dict[str, tuple[MinHashLSH, dict[str, str]]] = {}
    out = sys.stdout
    lines = events = 0
    with args.snapshots.open("rb") as fh:
        for raw in fh:
            if not raw.strip():
                continue
            snap = decode_snapshot(raw)
            if snap.source not in indexes:  # not setdefault: its default would build an index
                indexes[snap.source] = (MinHashLSH(num_perm=128, params=params), {})  # per call
            lsh, seen = indexes[snap.source]
            for line in reversed(ticker_lines(snap, profiles) or []):  # oldest first
                lines += 1
                if not args.no_cache and line in seen:
                    continue
                m = MinHash(num_perm=128, permutations=perms, scheme=scheme)
                m.update_batch([w.encode() for w in _WORD.findall(line.lower())] or [b""])
                hits = lsh.query(m)
                if hits:
                    seen[line] = min(hits)
                    continue
                events += 1
                key = f"e{events}"
                lsh.insert(key, m)
                seen[line] = key
                out.write(json.dumps({"event_id": key, "source": snap.source, "text": line,
                                      "first_seen": snap.fetched_at.isoformat()}) + "\n")
    print(f"recipe: {lines} ticker lines -> {events} events", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
