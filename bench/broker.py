"""The project's local Kafka broker script, loaded by path (it is a script, not in the package).

Shared by the benchmarks and the integration tests, so there is one loader.
"""

from __future__ import annotations

import contextlib
import importlib.util
import sys
from collections.abc import Iterator
from pathlib import Path
from types import ModuleType

LOCAL_KAFKA = Path(__file__).resolve().parents[1] / "deploy" / "kafka" / "local_kafka.py"


def load_local_kafka() -> ModuleType:
    """deploy/kafka/local_kafka.py as a module (`start()`, `Broker`), loaded once."""
    module = sys.modules.get("local_kafka")
    if module is not None:
        return module
    spec = importlib.util.spec_from_file_location("local_kafka", LOCAL_KAFKA)
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["local_kafka"] = module  # dataclasses and pickling look modules up here
    spec.loader.exec_module(module)
    return module


@contextlib.contextmanager
def broker_for(bootstrap: str | None) -> Iterator[tuple[str, int | None]]:
    """(bootstrap, broker pid): the broker named, or a local one started here and stopped after
    (its pid lets a benchmark count the broker's CPU; None for a broker not ours)."""
    if bootstrap:
        yield bootstrap, None
        return
    broker = load_local_kafka().start()
    try:
        yield broker.bootstrap, broker.pid
    finally:
        broker.close()
