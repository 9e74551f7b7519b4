"""Keys of the state topic: one record per known flash (`source NUL cluster-id`) and one per
partition (the event-topic offset its state accounts for). Shared by the store and the engine."""

from __future__ import annotations

PARTITION_KEY = b"\x00partition"  # the partition's own record: the event-topic offset covered


def state_key(source: str, cid: int) -> bytes:
    return f"{source}\x00{cid}".encode()


def parse_key(key: bytes) -> tuple[str, int] | None:
    if key == PARTITION_KEY:
        return None
    source, _, cid = key.decode().rpartition("\x00")
    return source, int(cid)
