"""Deterministic generator of labelled ticker streams: a simulated crawl of several sites.

Each site posts flashes over H hours (newest on top, ten shown), edits them (editorial variants
that keep the same flash), revises some (figures changed or detail added, in place of the old
line) and posts hard negatives (the same template about another place, actor or object; another
statement by the same speaker). Every page URL is fetched every few minutes, some a little stale.
Labels give, for every (snapshot id, position), the true flash id, version and variants applied.

CLI: `python -m bench.synth --hours 24 --out DIR` writes snapshots.jsonl and labels.jsonl.
"""

from __future__ import annotations

import argparse
import json
import random
import sys
import zlib
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from bench import variants
from bench.layout import Site, render_html, render_text
from bench.sim import SourceSim, SourceSpec, State
from bench.truth import FlashTruth, LineLabel

BASE_TIME = datetime(2025, 3, 1, tzinfo=UTC)


@dataclass(frozen=True, slots=True)
class Stream:
    """Snapshot envelopes in crawl order, plus the ground truth for every ticker line."""

    snapshots: list[dict[str, Any]]
    lines: dict[tuple[str, int], LineLabel]
    flashes: dict[str, FlashTruth]
    tickerless: frozenset[str]

    @property
    def labels(self) -> list[dict[str, Any]]:
        """All labels as JSON-ready records: flashes first, then one per ticker line."""
        out: list[dict[str, Any]] = [f.to_dict() for f in self.flashes.values()]
        out += [{"kind": "no_ticker", "snapshot": s} for s in sorted(self.tickerless)]
        out += [{"kind": "line", "snapshot": s, "position": p, **lab.to_dict()}
                for (s, p), lab in self.lines.items()]
        return out

    @property
    def ticker_lines(self) -> int:
        return len(self.lines)


def default_sources(count: int = 4) -> list[SourceSpec]:
    """Up to four sites: three English (one served as HTML), one Arabic."""
    from bench import corpus, corpus_ar

    specs = [
        SourceSpec("levant", "www.levantwire.example", Site("Levant Wire"), corpus.LEVANT,
                   corpus.SPEAKERS, ("/", "/live", "/en/latest"), (None, "nbsp", None),
                   (False, False, True), extra=corpus.EAST + corpus.GULF),
        SourceSpec("east", "eastdesk.example", Site("East Desk"), corpus.EAST, corpus.SPEAKERS,
                   ("/", "/breaking"), (None, "quotes"), (True, True),
                   extra=corpus.GULF + corpus.LEVANT),
        SourceSpec("akhbar", "akhbar-now.example", Site("أخبار الآن", arabic=True),
                   corpus_ar.AKHBAR, corpus_ar.AR_SPEAKERS, ("/", "/ar/urgent"),
                   (None, "diacritics"), (False, True), arabic=True),
        SourceSpec("gulf", "news.gulfbulletin.example", Site("Gulf Bulletin"), corpus.GULF,
                   corpus.SPEAKERS, ("/", "/news"), (None, "punctuation"), (False, False),
                   extra=corpus.LEVANT + corpus.EAST),
    ]
    return specs[:count]


def language_sources(lang: str) -> list[SourceSpec]:
    """One site writing in `lang` (de, fr, es; ar is the Arabic site of the default set)."""
    from bench import corpus_intl as ci

    if lang == "ar":
        return [s for s in default_sources() if s.arabic]
    templates, speakers, name, host = {
        "de": (ci.RUNDSCHAU, ci.DE_SPEAKERS, "Rundschau Aktuell", "rundschau-aktuell.example"),
        "fr": (ci.QUOTIDIEN, ci.FR_SPEAKERS, "Le Quotidien Express", "quotidien-express.example"),
        "es": (ci.DIARIO, ci.ES_SPEAKERS, "Diario al Minuto", "diarioalminuto.example"),
    }[lang]
    return [SourceSpec(lang, host, Site(name), templates, speakers, ("/", "/eil"),
                       (None, "nbsp"), (False, True), lang=lang)]


def generate(seed: int = 7, hours: float = 24.0, sources: int = 4, interval: float = 4.0,
             mean_gap: float = 20.0, no_ticker_rate: float = 0.02,
             mojibake_rate: float = 0.03, urls: int | None = None,
             lang: str | None = None) -> Stream:
    """Simulate `hours` of crawling `sources` sites, each URL fetched every `interval` minutes."""
    minutes = int(hours * 60)
    rng = random.Random(f"crawl:{seed}")
    snapshots: list[dict[str, Any]] = []
    lines: dict[tuple[str, int], LineLabel] = {}
    flashes: dict[str, FlashTruth] = {}
    tickerless: set[str] = set()
    fetches: list[tuple[float, int, int]] = []
    sims = []
    specs = language_sources(lang) if lang else default_sources(sources)
    for si, spec in enumerate(specs):
        sim = SourceSim(spec, seed, mean_gap)
        sim.run(minutes)
        sims.append(sim)
        flashes.update(sim.truth())
        for ui in range(len(spec.paths) if urls is None else min(urls, len(spec.paths))):
            t = rng.uniform(0, interval)
            while t < minutes:
                fetches.append((t, si, ui))
                t += interval + rng.uniform(-0.5, 0.5)
    fetches.sort()
    counters: dict[tuple[int, int], int] = {}
    for t, si, ui in fetches:
        sim = sims[si]
        spec = sim.spec
        k = counters[si, ui] = counters.get((si, ui), -1) + 1
        sid = f"{spec.key}-{ui}-{k:05d}"
        lag = rng.uniform(0, 3) if ui > 0 else 0.0
        state = sim.state_at(max(0.0, t - lag))
        when = BASE_TIME + timedelta(minutes=t)
        ticker: list[str] | None = None
        if rng.random() >= no_ticker_rate and state:
            ticker = []
            for pos, line in enumerate(state):
                text, tags = _url_variant(spec, ui, line)
                ticker.append(text)
                lines[sid, pos] = LineLabel(line.flash, line.version, tags, text)
        else:
            tickerless.add(sid)
        html = spec.html[ui]
        render = render_html if html else render_text
        content = render(spec.site, ticker, int(t // 60), when.strftime("%d %b %Y %H:%M"))
        if rng.random() < mojibake_rate and ticker:
            broken = variants.mojibake(content)
            if broken != content:
                content = broken
                for pos in range(len(ticker)):
                    lab = lines[sid, pos]
                    if variants.mojibake(lab.text) != lab.text:
                        lines[sid, pos] = lab.tagged("mojibake")
        snapshots.append({
            "id": sid, "source": spec.host, "url": f"https://{spec.host}{spec.paths[ui]}",
            "fetched_at": when.isoformat().replace("+00:00", "Z"),
            "content_type": "text/html" if html else "text/plain", "content": content,
        })
    return Stream(snapshots, lines, flashes, frozenset(tickerless))


def _url_variant(spec: SourceSpec, ui: int, line: State) -> tuple[str, tuple[str, ...]]:
    """A URL's own rendering quirk (the mobile page's NBSPs, say), stable per flash version."""
    quirk = spec.quirks[ui]
    if quirk is None:
        return line.text, line.variants
    seed = zlib.crc32(f"{line.flash}:{line.version}:{ui}".encode())
    changed = variants.apply(quirk, line.text, seed)
    if changed == line.text:
        return line.text, line.variants
    return changed, (*line.variants, quirk)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.synth",
                                     description=__doc__.split("\n")[0])
    parser.add_argument("--hours", type=float, default=24.0)
    parser.add_argument("--seed", type=int, default=7)
    parser.add_argument("--sources", type=int, default=4, choices=range(1, 5))
    parser.add_argument("--interval", type=float, default=4.0,
                        help="minutes between fetches of a URL")
    parser.add_argument("--out", type=Path, required=True, help="directory for the two files")
    args = parser.parse_args(argv)
    stream = generate(seed=args.seed, hours=args.hours, sources=args.sources,
                      interval=args.interval)
    args.out.mkdir(parents=True, exist_ok=True)
    with (args.out / "snapshots.jsonl").open("w", encoding="utf-8") as fh:
        for snap in stream.snapshots:
            fh.write(json.dumps(snap, ensure_ascii=False) + "\n")
    with (args.out / "labels.jsonl").open("w", encoding="utf-8") as fh:
        for rec in stream.labels:
            fh.write(json.dumps(rec, ensure_ascii=False) + "\n")
    print(f"{len(stream.snapshots)} snapshots, {stream.ticker_lines} ticker lines, "
          f"{len(stream.flashes)} flashes -> {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
