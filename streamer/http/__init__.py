"""Delivery to subscribers without Kafka: `streamer serve` (SSE, JSON Feed, Atom, webhooks, page).

Reads the event topic with its own consumer; Kafka is the only shared state between replicas.
"""
