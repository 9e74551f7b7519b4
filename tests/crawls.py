"""Crawls written the way crawlers write them, for the input-format tests: WARC files (warcio's
writer) and scrapy-cluster / Nutch JSON records, each carrying given snapshots."""

from __future__ import annotations

import base64
import gzip
import hashlib
import io
import json
from collections.abc import Iterable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path

from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from streamer.codec import format_time
from streamer.core.model import Snapshot
from tests.pages import page_html, snap

# Flashes of a site whose pages are not UTF-8: (charset, where it is declared, flashes).
CP1251 = ["Москва: в центре города введён режим ЧС", "Мэр: метро работает в обычном режиме"]
CP1252 = ["Préfecture: l’autoroute A7 est fermée", "Météo: vigilance orange à Lyon"]


def crawl() -> list[Snapshot]:
    """A small crawl of three sites over an hour: repeats, a new flash, a revision."""
    a1 = ["Dutch Police: Two were wounded in Rotterdam shooting", "Ceasefire in Gaza takes effect"]
    a2 = ["Dutch Police: Three were wounded in Rotterdam shooting", *a1[1:]]
    return [
        snap(a1, 0, "a.example", html=True, ident="urn:uuid:00000000-0000-4000-8000-000000000001"),
        snap(a1, 10, "a.example", html=True, ident="urn:uuid:00000000-0000-4000-8000-000000000002"),
        snap(CP1251, 12, "ru.example", html=True,
             ident="urn:uuid:00000000-0000-4000-8000-000000000003"),
        snap(a2, 20, "a.example", html=True, ident="urn:uuid:00000000-0000-4000-8000-000000000004"),
        # declared only in the page itself
        replace(page := snap(CP1252, 25, "fr.example", html=True,
                             ident="urn:uuid:00000000-0000-4000-8000-000000000005"),
                content='<meta charset="windows-1252">' + page.content),
        snap(["Airspace closed at Ramon Airport"], 30, "b.example",
             ident="urn:uuid:00000000-0000-4000-8000-000000000006"),
    ]


def fetched(s: Snapshot) -> tuple[bytes, str]:
    """The bytes a crawler fetched for the page and their Content-Type: ru.example serves
    windows-1251 (said in the header), fr.example windows-1252 (said in the page only)."""
    if s.source == "ru.example":
        return s.content.encode("cp1251"), "text/html; charset=windows-1251"
    if s.source == "fr.example":
        return s.content.encode("cp1252"), "text/html"
    return s.content.encode("utf-8"), f"{s.content_type}; charset=utf-8"


def _chunked(body: bytes, size: int = 50) -> bytes:
    parts = [body[i:i + size] for i in range(0, len(body), size)]
    return b"".join(b"%x\r\n%s\r\n" % (len(p), p) for p in parts) + b"0\r\n\r\n"


REVISIT_ID = "urn:uuid:00000000-0000-4000-8000-0000000000f0"
REVISIT_AFTER = timedelta(minutes=1)


def as_read(snapshots: list[Snapshot]) -> list[Snapshot]:
    """The pages `write_warc` writes, as reading the WARC gives them: the 2nd page comes again,
    a minute later, from the revisit record that says it had not changed."""
    again = replace(snapshots[1], fetched_at=snapshots[1].fetched_at + REVISIT_AFTER,
                    id=REVISIT_ID)
    return [*snapshots[:2], again, *snapshots[2:]]


def write_warc(path: Path, snapshots: Iterable[Snapshot], *, gz: bool) -> Path:
    """Each snapshot as a response record, in ways crawlers write them: the 1st chunked, the 2nd
    gzip-compressed, ru.example's page in windows-1251 (HTTP charset), fr.example's in
    windows-1252 (meta charset only); with a request record before each response, a 404, and a
    revisit of the 2nd page a minute later (same payload digest)."""
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=gz)
        for n, s in enumerate(snapshots):
            body, ctype = fetched(s)
            headers = [("Content-Type", ctype)]
            if n == 0:
                body = _chunked(body)
                headers.append(("Transfer-Encoding", "chunked"))
            elif n == 1:
                body = gzip.compress(body)
                headers.append(("Content-Encoding", "gzip"))
            warc = {"WARC-Date": format_time(s.fetched_at), "WARC-Record-ID": f"<{s.id}>"}
            request = StatusAndHeaders("GET /live HTTP/1.1", [("Host", s.source)],
                                       is_http_request=True)
            writer.write_record(writer.create_warc_record(
                s.url, "request", payload=io.BytesIO(b""), length=0, http_headers=request,
                warc_headers_dict={"WARC-Date": warc["WARC-Date"]}))
            writer.write_record(writer.create_warc_record(
                s.url, "response", payload=io.BytesIO(body), length=len(body),
                warc_headers_dict=warc,
                http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")))
            if n == 0:
                gone = page_html(["Not found: the flash you want"]).encode()
                missing = StatusAndHeaders("404 Not Found", [("Content-Type", "text/html")],
                                           protocol="HTTP/1.1")
                writer.write_record(writer.create_warc_record(
                    f"https://{s.source}/gone", "response", http_headers=missing,
                    payload=io.BytesIO(gone), length=len(gone),
                    warc_headers_dict={"WARC-Date": warc["WARC-Date"]}))
            if n == 1:
                digest = "sha1:" + base64.b32encode(hashlib.sha1(body).digest()).decode()
                writer.write_record(writer.create_revisit_record(
                    s.url, digest=digest, refers_to_uri=s.url, refers_to_date=warc["WARC-Date"],
                    http_headers=StatusAndHeaders("304 Not Modified", [], protocol="HTTP/1.1"),
                    warc_headers_dict={
                        "WARC-Date": format_time(s.fetched_at + REVISIT_AFTER),
                        "WARC-Record-ID": f"<{REVISIT_ID}>"}))
    return path


def scrapy_cluster_item(s: Snapshot, *, b64: bool) -> bytes:
    """A crawled page as scrapy-cluster's Kafka pipeline publishes it (use_base64 or not)."""
    body = base64.b64encode(s.content.encode()).decode() if b64 else s.content
    return json.dumps({
        "appid": "streamer-test", "crawlid": "c1", "url": s.url, "response_url": s.url,
        "status_code": 200, "status_msg": "OK", "encoding": "utf-8", "links": [], "attrs": None,
        "response_headers": {"Content-Type": [f"{s.content_type}; charset=utf-8"]},
        "request_headers": {"Accept": ["text/html"]}, "body": body,
        "timestamp": s.fetched_at.strftime("%Y-%m-%dT%H:%M:%S.%f"),
    }).encode()


def nutch_document(s: Snapshot, *, b64: bool) -> bytes:
    """A page as Nutch's Kafka indexer sends it: every field a list of strings, the fetched page
    in binaryContent (indexer.binary.content: the fetched bytes base64ed, or read as UTF-8),
    tstamp as Java prints a Date."""
    body, ctype = fetched(s)
    page = base64.b64encode(body).decode() if b64 else s.content
    return json.dumps({
        "id": [s.url], "url": [s.url], "host": [s.source], "digest": ["0f3c"],
        "segment": ["20250303080000"], "boost": ["1.0"], "title": ["Example"],
        "tstamp": [s.fetched_at.strftime("%a %b %d %H:%M:%S UTC %Y")],
        "type": [ctype.split(";")[0], s.content_type.split("/")[0]],
        "binaryContent": [page], "content": ["flattened text Nutch parsed"],
    }).encode()
