"""Caches bounded by the memory they hold, not by their number of entries.

A hostile page decides how large a cached value is (a 512K-character window full of emoji is
2 MB); an entry count alone would let a few hundred such pages fill the process. cachetools'
LRU cache weighs each entry with a size function; ours counts the key and the value.
"""

from __future__ import annotations

import contextlib
import sys
from collections.abc import Callable
from typing import Any, TypeVar

from cachetools import LRUCache

F = TypeVar("F", bound=Callable[..., Any])


def text_bytes(*parts: object) -> int:
    """What strings (and tuples of strings) take in memory, roughly: their object sizes."""
    total = 0
    for part in parts:
        if isinstance(part, tuple):
            total += sys.getsizeof(part) + sum(sys.getsizeof(p) for p in part)
        else:
            total += sys.getsizeof(part)
    return total


def byte_lru(max_bytes: int, size: Callable[[Any, Any], int]) -> Callable[[F], F]:
    """Like `functools.lru_cache` for a function of one argument, bounded at about `max_bytes`
    (`size(arg, result)` weighs an entry); an entry larger than the bound is not kept."""

    def decorate(fn: F) -> F:
        def fresh() -> LRUCache[Any, tuple[int, Any]]:
            return LRUCache(max_bytes, getsizeof=lambda v: v[0])

        cache = fresh()

        def wrapper(arg: Any) -> Any:
            hit = cache.get(arg)
            if hit is not None:
                return hit[1]
            result = fn(arg)
            with contextlib.suppress(ValueError):  # larger than the whole bound: not kept
                cache[arg] = (size(arg, result), result)
            return result

        def cache_clear() -> None:  # (a new table: a cleared dict keeps its allocated size)
            nonlocal cache
            cache = fresh()

        wrapper.cache_clear = cache_clear  # type: ignore[attr-defined]
        wrapper.__doc__, wrapper.__name__ = fn.__doc__, fn.__name__
        return wrapper  # type: ignore[return-value]

    return decorate
