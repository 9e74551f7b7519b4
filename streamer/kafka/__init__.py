"""The Kafka service behind `streamer run`: the faust app, start-up and topics, the state store,
the engine process (client, host and the wire between them), connection helpers, in-order acks,
record envelopes and the health server. It calls into `streamer.core`, never into `streamer.cli`.
"""
