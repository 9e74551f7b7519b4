"""Resumable stream positions: the next offset to read in every partition, as an opaque id.

An SSE `id:` is the client's position after that event, so `Last-Event-ID` resumes exactly
there, on any replica (offsets are the topic's, not the replica's).
"""

from __future__ import annotations

import base64
import binascii
from collections.abc import Sequence


class BadCursor(ValueError):
    """A cursor that was not made by `encode`; the message is what the client sees."""


def encode(positions: Sequence[int]) -> str:
    """`[12, 0, 7]` -> an opaque URL-safe token."""
    text = ".".join(map(str, positions))
    return base64.urlsafe_b64encode(text.encode("ascii")).rstrip(b"=").decode("ascii")


def decode(token: str, partitions: int) -> list[int]:
    """The positions in `token`, one per partition (partitions it does not name start at 0)."""
    try:
        raw = base64.urlsafe_b64decode(token + "=" * (-len(token) % 4)).decode("ascii")
        positions = [int(part) for part in raw.split(".")]
    except (binascii.Error, UnicodeDecodeError, ValueError):
        raise BadCursor(f"not a stream position: {token[:40]!r}") from None
    if not positions or any(p < 0 for p in positions) or len(positions) > partitions:
        raise BadCursor(f"not a stream position of this topic: {token[:40]!r}")
    return positions + [0] * (partitions - len(positions))
