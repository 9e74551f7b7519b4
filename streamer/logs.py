"""Logging for every streamer process: one line per record on stderr, text or JSON.

JSON lines (`STREAMER_LOG_FORMAT=json`) carry time, level, logger, message and whatever context
the call gave in `extra` (topic, partition, offset, source); faust's and aiokafka's records go
through the same handler. python-json-logger does the formatting: it is a plain
`logging.Formatter`, so every library's stdlib logging is covered without adapters.
"""

from __future__ import annotations

import logging
import sys
from typing import TextIO

TEXT_FORMAT = "%(asctime)s %(levelname)s %(name)s: %(message)s"

# Known-harmless records that libraries log too loudly: (logger, text in the message, level).
QUIET = (
    # The group coordinator is not elected yet on a fresh broker; aiokafka retries by itself.
    ("aiokafka.consumer.group_coordinator", "GroupCoordinatorNotAvailable", logging.INFO),
    # After a restart the broker has forgotten a member; aiokafka re-joins by itself.
    ("aiokafka.consumer.group_coordinator", "member_id was not recognized", logging.INFO),
    # faust's sensors are not used, so there is no sensor state to miss.
    ("faust.app.base", "Missing sensor state", logging.DEBUG),
)


class Quieter(logging.Filter):
    """Lowers the level of the QUIET records, and drops them below the configured level."""

    def __init__(self, threshold: int) -> None:
        super().__init__()
        self.threshold = threshold

    def filter(self, record: logging.LogRecord) -> bool:
        for name, text, level in QUIET:
            if record.levelno > level and record.name == name and text in record.getMessage():
                record.levelno, record.levelname = level, logging.getLevelName(level)
        return record.levelno >= self.threshold


def formatter(fmt: str) -> logging.Formatter:
    if fmt == "json":
        from pythonjsonlogger.json import JsonFormatter  # only then: start-up of text logging

        return JsonFormatter(
            "%(levelname)s %(name)s %(message)s",
            rename_fields={"levelname": "level", "name": "logger"},
            timestamp="time",
            json_ensure_ascii=False,
        )
    return logging.Formatter(TEXT_FORMAT)


def setup(fmt: str = "text", verbosity: int = 0, stream: TextIO | None = None) -> None:
    """Root logging for this process: WARNING, INFO with -v, DEBUG with -v -v."""
    threshold = logging.WARNING - 10 * min(verbosity, 2)
    handler = logging.StreamHandler(stream or sys.stderr)
    handler.setFormatter(formatter(fmt))
    handler.addFilter(Quieter(threshold))
    root = logging.getLogger()
    for old in root.handlers[:]:
        root.removeHandler(old)
    root.addHandler(handler)
    root.setLevel(threshold)
    # aiokafka's connection logger prints whole requests at DEBUG, SASL credentials included.
    logging.getLogger("aiokafka.conn").setLevel(max(threshold, logging.INFO))
