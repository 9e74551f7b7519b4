"""A fetched page's bytes and its Content-Type into text: which payloads are pages, which
charset they are in (HTTP header, then BOM, `<meta charset>`, strict UTF-8, detection)."""

from __future__ import annotations

import codecs
import re
from collections.abc import Iterator

from streamer.codec import BadRecord

PAGE_TYPES = {
    "text/html": "text/html",
    "application/xhtml+xml": "text/html",
    "text/plain": "text/plain",
}
# WHATWG: these labels are decoded as windows-1252 by every browser, so pages written for
# browsers under them may use its extra characters (curly quotes, dashes).
_AS_CP1252 = {"iso-8859-1", "iso8859-1", "latin-1", "latin1", "l1", "us-ascii", "ascii",
              "windows-1252", "cp1252"}
_BOMS = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"),
         (codecs.BOM_UTF16_BE, "utf-16"))
_META = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([\w.:-]+)""", re.I)
META_SCAN_BYTES = 4096


class Skipped(Exception):
    """A record that is fine but is not a page to read (a 404, a revisit, an image, a request
    record): counted by its reason (the message), never an error."""


def page_type(content_type: str | None) -> str | None:
    """`text/html` or `text/plain` for a page's Content-Type (None: unknown, sniff it);
    raises Skipped for any other media type."""
    if not content_type or not content_type.strip():
        return None
    media = content_type.split(";")[0].strip().lower()
    found = PAGE_TYPES.get(media)
    if found is None:
        raise Skipped(f"{media or 'empty content type'} payload")
    return found


def charset_of(content_type: str | None) -> str | None:
    """The `charset=` parameter of a Content-Type, if any."""
    for param in (content_type or "").split(";")[1:]:
        name, _, value = param.partition("=")
        if name.strip().lower() == "charset" and value.strip(" \t\"'"):
            return value.strip(" \t\"'").lower()
    return None


def decode_body(body: bytes, content_type: str | None) -> str:
    """The page's text. The HTTP charset wins, then a BOM, then `<meta charset>` in the first
    4 KB, then strict UTF-8, then charset-normalizer's best guess; a declared charset that does
    not decode the bytes is passed over, not trusted into mojibake."""
    for bom, name in _BOMS:
        if body.startswith(bom):
            return _decode(body, name) or _detect(body)
    for label in _labels(body, content_type):
        text = _decode(body, label)
        if text is not None:
            return text
    return _detect(body)


def _labels(body: bytes, content_type: str | None) -> Iterator[str]:
    """The charsets to try, in order; the page is searched for a meta charset only if needed."""
    declared = charset_of(content_type)
    if declared:
        yield declared
    meta = _META.search(body, 0, META_SCAN_BYTES)
    if meta:
        yield meta.group(1).decode("ascii", "replace").lower()
    yield "utf-8"


def _decode(body: bytes, label: str) -> str | None:
    name = "cp1252" if label in _AS_CP1252 else label
    try:
        codecs.lookup(name)
        return body.decode(name)
    except (LookupError, UnicodeDecodeError):
        if name == "cp1252":  # bytes 0x81, 0x8D... are undefined in cp1252, fine in latin-1
            return body.decode("latin-1")
        return None


def _detect(body: bytes) -> str:
    from charset_normalizer import from_bytes

    best = from_bytes(body).best()
    if best is None:
        raise BadRecord("undecodable page: no charset declared and none detected")
    return str(best)
