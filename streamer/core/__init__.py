"""The pure dedup engine: model, extract (+ profiles/), clean, match, bands, index, engine, state.

Synchronous and deterministic: it never reads the clock, the environment or a socket, and never
imports faust, aiokafka or orjson. Adapters hand it snapshots and `now`; every adapter calls
`Deduplicator.process`. From the rest of streamer it imports only `streamer.settings`' plain config.
"""
