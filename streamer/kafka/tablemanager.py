"""faust's table manager without its fixed wait at start.

faust's `TableManager.on_start` sleeps 1 s before it finalises the tables, a grace for tables
declared late; the conductor subscribes to the input topic only after that, so every worker
start paid it before joining its consumer group. The worker declares no faust tables (its state
is `streamer.kafka.statestore`'s, in Kafka) and declares everything before it starts: nothing
waits for the grace. A table added after the start is still refused by faust ("Too late to add
tables at this point").
"""

from __future__ import annotations

from faust.tables import TableManager


class PromptTableManager(TableManager):
    """`TableManager` whose start finalises the tables at once (the app's `TableManager`)."""

    async def on_start(self) -> None:
        if not self.should_stop:
            await self._update_channels()
            await self.recovery.start()
