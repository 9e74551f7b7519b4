"""Small synthetic ticker pages for the worker's tests and benchmark (written for this project).

Each source shows a BREAKING block of ten flashes, newest on top, between a menu and an article,
in the layout of the real pages. Most fetches see the same block again (repeats); now and then
a new flash is pushed on top, and sometimes a shown flash is lightly edited (same flash).
"""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta
from typing import Any

BASE_TIME = datetime(2025, 3, 1, tzinfo=UTC)

_WHO = ("Health Ministry", "Civil Defence", "Foreign Minister", "Army spokesman", "Red Crescent",
        "Prime Minister", "Central Bank", "Energy Ministry", "Coast Guard", "Airport authority",
        "Interior Ministry", "Port authority", "Electricity company", "Weather service")
_WHAT = ("convoy", "hospital", "bridge", "power station", "school", "market", "harbour",
         "airport", "pipeline", "refinery", "reservoir", "railway", "stadium", "border crossing",
         "grain silo", "water plant", "radio mast", "fuel depot")
_DID = ("reopened after", "closed following", "evacuated due to", "damaged in",
        "inspected after", "secured following", "struck during", "shut down amid")
_WHY = ("heavy shelling", "a fire", "flooding", "a strike", "protests", "an explosion",
        "a cyberattack", "a landslide", "a power cut", "a storm", "a drone attack")
_PLACES = ("Tyre", "Sidon", "Aleppo", "Mosul", "Basra", "Homs", "Jenin", "Rafah", "Latakia",
           "Tripoli", "Irbid", "Zahle", "Baalbek", "Nabatieh", "Hama", "Idlib", "Kirkuk", "Aden")


def flash_text(rng: random.Random, serial: int) -> str:
    """A distinct flash: who says what happened where, with a number that makes it unique."""
    n = 2 + serial * 7 % 97
    return (f"{rng.choice(_WHO)}: {n} {rng.choice(_WHAT)}s in {rng.choice(_PLACES)} "
            f"{rng.choice(_DID)} {rng.choice(_WHY)} near {rng.choice(_PLACES)}")


def edited(text: str, rng: random.Random) -> str:
    """A light editorial variant of the same flash."""
    choice = rng.randrange(3)
    if choice == 0:
        return text + "."
    if choice == 1:
        return text.replace(": ", " - ", 1)
    return "URGENT: " + text if not text.startswith("URGENT") else text


def page(site: str, lines: list[str], article: str) -> str:
    menu = "\n".join(f"  • {m}" for m in ("News", "Politics", "Economy", "Sports", "Videos"))
    ticker = "\n".join(lines)
    return f"{site}\n\n{menu}\n\nBREAKING\n{ticker}\n\n{article}\n\n  • By {site}\n"


def source_stream(source: str, count: int, *, seed: int = 1, start: datetime = BASE_TIME,
                  interval: float = 60.0, new_rate: float = 0.1, edit_rate: float = 0.05,
                  shown: int = 10) -> list[dict[str, Any]]:
    """`count` snapshot envelopes of one source, fetched every `interval` seconds."""
    rng = random.Random(f"{seed}:{source}")
    serial = 0
    lines: list[str] = []
    for _ in range(shown):
        lines.append(flash_text(rng, serial))
        serial += 1
    out: list[dict[str, Any]] = []
    site = source.split(".")[0].title()
    for i in range(count):
        if rng.random() < new_rate:
            lines = [flash_text(rng, serial), *lines[: shown - 1]]
            serial += 1
        elif rng.random() < edit_rate:
            k = rng.randrange(len(lines))
            lines = [*lines[:k], edited(lines[k], rng), *lines[k + 1:]]
        when = start + timedelta(seconds=i * interval)
        out.append({
            "id": f"{source}/{i}",
            "url": f"https://{source}/live",
            "fetched_at": when.isoformat().replace("+00:00", "Z"),
            "source": source,
            "content_type": "text/plain",
            "content": page(site, lines, f"Article {i % 7} of the day"),
        })
    return out


def interleave(streams: list[list[dict[str, Any]]]) -> list[dict[str, Any]]:
    """Round-robin merge: each source's order kept, sources interleaved."""
    out: list[dict[str, Any]] = []
    longest = max((len(s) for s in streams), default=0)
    for i in range(longest):
        out.extend(s[i] for s in streams if i < len(s))
    return out
