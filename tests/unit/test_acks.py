"""Input records are acked only after their deliveries, and in offset order per partition."""

from __future__ import annotations

import asyncio

from streamer.kafka.acks import InOrderAcks, when_delivered


async def test_a_record_waits_for_all_its_deliveries() -> None:
    acked: list[int] = []
    acks = InOrderAcks(on_failure=lambda exc: None)
    loop = asyncio.get_running_loop()
    a, b = loop.create_future(), loop.create_future()
    acks.add("p0", lambda: acked.append(1), [a, b])
    a.set_result("ok")
    await asyncio.sleep(0)
    assert acked == []
    b.set_result("ok")
    await asyncio.sleep(0)
    assert acked == [1]
    assert acks.pending() == 0


async def test_a_record_without_output_is_acked_after_earlier_records_only() -> None:
    acked: list[int] = []
    acks = InOrderAcks(on_failure=lambda exc: None)
    slow = asyncio.get_running_loop().create_future()
    acks.add("p0", lambda: acked.append(1), [slow])
    acks.add("p0", lambda: acked.append(2), [])
    acks.add("p1", lambda: acked.append(3), [])  # another partition does not wait
    assert acked == [3]
    slow.set_result("ok")
    await asyncio.sleep(0)
    assert acked == [3, 1, 2]


async def test_a_failed_delivery_is_reported_and_blocks_its_partition() -> None:
    acked: list[int] = []
    failures: list[BaseException] = []
    acks = InOrderAcks(on_failure=failures.append)
    fut = asyncio.get_running_loop().create_future()
    acks.add("p0", lambda: acked.append(1), [fut])
    acks.add("p0", lambda: acked.append(2), [])
    fut.set_exception(RuntimeError("broker said no"))
    await asyncio.sleep(0)
    assert acked == []
    assert [str(e) for e in failures] == ["broker said no"]
    assert acks.pending() == 2


async def test_when_delivered_waits_for_every_delivery_and_not_for_a_failed_one() -> None:
    loop = asyncio.get_running_loop()
    calls: list[str] = []
    ok = [loop.create_future(), loop.create_future()]
    when_delivered(ok, lambda: calls.append("ok"))
    ok[0].set_result(None)
    await asyncio.sleep(0)
    assert calls == []
    ok[1].set_result(None)
    await asyncio.sleep(0)
    assert calls == ["ok"]
    bad = [loop.create_future()]
    when_delivered(bad, lambda: calls.append("bad"))
    bad[0].set_exception(RuntimeError("not acked"))
    await asyncio.sleep(0)
    assert calls == ["ok"]
