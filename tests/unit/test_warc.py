"""WARC crawls through `streamer dedup`: the same events as the same pages sent as envelopes,
records that are not pages counted by reason, damaged records reported and read past."""

from __future__ import annotations

import io
from pathlib import Path

import orjson
import pytest
from warcio.statusandheaders import StatusAndHeaders
from warcio.warcwriter import WARCWriter

from streamer.cli.main import main
from streamer.codec import BadRecord, encode_snapshot
from streamer.core.model import Snapshot
from streamer.inputs.pages import Skipped
from streamer.inputs.warc import read_warc
from tests.crawls import CP1251, CP1252, as_read, crawl, write_warc
from tests.pages import page_text


def dedup(capsysbinary: pytest.CaptureFixture[bytes], *argv: str
          ) -> tuple[int, list[dict[str, object]], str]:
    code = main(["dedup", *argv])
    out, err = capsysbinary.readouterr()
    return code, [orjson.loads(line) for line in out.splitlines()], err.decode()


@pytest.mark.parametrize("name", ["crawl.warc.gz", "crawl.warc"])
def test_a_warc_crawl_gives_the_events_of_the_same_pages_as_envelopes(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], name: str) -> None:
    warc = write_warc(tmp_path / name, crawl(), gz=name.endswith(".gz"))
    envelopes = tmp_path / "crawl.jsonl"
    envelopes.write_bytes(b"\n".join(encode_snapshot(s) for s in as_read(crawl())) + b"\n")

    code, events, err = dedup(capsysbinary, str(warc))
    assert code == 0, err
    assert (0, events) == dedup(capsysbinary, str(envelopes))[:2]
    texts = [e["text"] for e in events]
    # the chunked, gzip, windows-1251 (HTTP charset) and windows-1252 (meta charset) pages
    assert {*CP1251, *CP1252, "Ceasefire in Gaza takes effect"} <= set(texts)
    assert [e["kind"] for e in events].count("revised") == 1
    assert "Not found: the flash you want" not in texts
    assert "7 snapshots" in err  # the revisit is the unchanged page again
    assert "not pages (request record: 6, HTTP status 404: 1)" in err


def test_a_directory_of_crawls_includes_its_warc_files(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    crawls = tmp_path / "crawls"
    crawls.mkdir()
    write_warc(crawls / "a.warc.gz", crawl()[:3], gz=True)
    write_warc(crawls / "b.warc", crawl()[3:], gz=False)
    code, events, _ = dedup(capsysbinary, str(crawls))
    assert code == 0
    whole = write_warc(tmp_path / "all.warc", crawl(), gz=False)
    assert events == dedup(capsysbinary, str(whole))[1]


@pytest.mark.parametrize("gz", [True, False])
def test_a_damaged_record_is_reported_with_its_offset_and_the_rest_is_read(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes], gz: bool) -> None:
    path = write_warc(tmp_path / ("c.warc.gz" if gz else "c.warc"), crawl(), gz=gz)
    offsets = [int(o.rsplit("@", 1)[1]) for o, _ in read_warc(path, max_bytes=1 << 20)]
    data = bytearray(path.read_bytes())
    start = offsets[3]  # the second page's request record: its header is overwritten
    data[start:start + 40] = b"\x00garbage" * 5
    path.write_bytes(bytes(data))

    code, events, err = dedup(capsysbinary, str(path))
    assert code == 1
    assert f"{path}@{start}: skipped: broken WARC record" in err
    assert "1 bad records" in err
    # the pages after the damage are read: b.example is the last record of the file
    assert "Airspace closed at Ramon Airport" in [e["text"] for e in events]


def test_a_file_that_is_not_a_warc_is_one_bad_record(tmp_path: Path) -> None:
    path = tmp_path / "notes.warc"
    path.write_bytes(b"just some text\n" * 100)
    items = list(read_warc(path, max_bytes=1 << 20))
    assert len(items) == 1
    assert isinstance(items[0][1], BadRecord)


def write_one(path: Path, body: bytes, headers: list[tuple[str, str]],
              uri: str = "https://a.example/live") -> Path:
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=True)
        writer.write_record(writer.create_warc_record(
            uri, "response", payload=io.BytesIO(body), length=len(body),
            warc_headers_dict={"WARC-Date": "2025-03-01T08:00:00Z"},
            http_headers=StatusAndHeaders("200 OK", headers, protocol="HTTP/1.1")))
    return path


def only(path: Path, max_bytes: int = 1 << 20) -> Snapshot | BadRecord | Skipped:
    (item,) = [item for _, item in read_warc(path, max_bytes=max_bytes)]
    return item


def test_images_and_oversized_pages_are_not_snapshots(tmp_path: Path) -> None:
    image = only(write_one(tmp_path / "i.warc.gz", b"\x89PNG...", [("Content-Type", "image/png")]))
    assert isinstance(image, Skipped)
    assert str(image) == "image/png payload"
    big = only(write_one(tmp_path / "b.warc.gz", b"BREAKING\n" + b"x" * 5000,
                         [("Content-Type", "text/plain")]), max_bytes=1000)
    assert isinstance(big, BadRecord)
    assert "over max_snapshot_bytes (1000)" in str(big)


def test_a_page_without_content_type_is_sniffed_and_its_fetch_time_is_the_warc_date(
        tmp_path: Path) -> None:
    page = only(write_one(tmp_path / "p.warc.gz", b"<html><body><p>hi</p></body></html>", []))
    assert isinstance(page, Snapshot)
    assert page.content_type == "text/html"
    assert page.fetched_at.isoformat() == "2025-03-01T08:00:00+00:00"
    assert page.source == "a.example"


@pytest.mark.parametrize("name", ["cut.warc.gz", "cut.warc"])
def test_a_crawl_cut_off_mid_record_reports_the_partial_page_not_reads_it(
        tmp_path: Path, name: str) -> None:
    path = write_warc(tmp_path / name, crawl(), gz=name.endswith(".gz"))
    path.write_bytes(path.read_bytes()[:-150])
    items = [item for _, item in read_warc(path, max_bytes=1 << 20)]
    assert isinstance(items[-1], BadRecord)
    assert str(items[-1]) == "truncated record: the file ends inside it"
    assert sum(not isinstance(i, Exception) for i in items) == 6  # 5 whole pages, 1 revisit


def test_a_resource_record_with_an_html_payload_is_a_page(tmp_path: Path) -> None:
    path = tmp_path / "r.warc"
    body = b"<html><body><h2>BREAKING</h2><ul><li>Ceasefire in Gaza takes effect</li></ul>"
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        writer.write_record(writer.create_warc_record(
            "https://a.example/live", "resource", payload=io.BytesIO(body), length=len(body),
            warc_content_type="text/html; charset=utf-8",
            warc_headers_dict={"WARC-Date": "2025-03-01T08:00:00Z"}))
    page = only(path)
    assert isinstance(page, Snapshot)
    assert page.content == body.decode()



def write_visits(path: Path, visits: list[tuple[str, str, list[str] | None]],
                 digest: str | None = None) -> None:
    """(url, HH:MM, flashes) a capture, (url, HH:MM, None) a revisit of the URL's last capture
    (its payload digest, or `digest`)."""
    digests: dict[str, str] = {}
    with path.open("wb") as fh:
        writer = WARCWriter(fh, gzip=False)
        for url, at, flashes in visits:
            date = {"WARC-Date": f"2025-03-01T{at}:00Z"}
            if flashes is None:
                writer.write_record(writer.create_revisit_record(
                    url, digest=digest or digests[url], refers_to_uri=url,
                    refers_to_date="2025-03-01T08:00:00Z", warc_headers_dict=date))
                continue
            body = page_text(flashes).encode()
            response = writer.create_warc_record(
                url, "response", payload=io.BytesIO(body), length=len(body),
                warc_headers_dict=date, http_headers=StatusAndHeaders(
                    "200 OK", [("Content-Type", "text/plain")], protocol="HTTP/1.1"))
            writer.write_record(response)
            digests[url] = response.rec_headers.get_header("WARC-Payload-Digest")


def test_revisits_keep_an_unchanged_pages_flashes_alive(
        tmp_path: Path, capsysbinary: pytest.CaptureFixture[bytes]) -> None:
    live, other = "https://a.example/live", "https://a.example/world"
    gaza, ramon, kursk = ("Ceasefire in Gaza takes effect", "Airspace closed at Ramon Airport",
                          "Drone attack reported in Kursk")
    path = tmp_path / "quiet.warc"
    write_visits(path, [(live, "08:00", [gaza]), (live, "08:50", None), (other, "09:00", [kursk]),
                        (live, "09:40", None), (other, "10:00", [kursk]),
                        (live, "10:10", [ramon, gaza])])
    # A one-hour TTL: by 10:00 the Gaza flash, captured at 08:00, would be forgotten and come
    # back as new at 10:10; the revisits saw it on the page at 09:40.
    code, events, err = dedup(capsysbinary, str(path), "--ttl-hours", "1")
    assert code == 0, err
    assert [e["text"] for e in events] == [gaza, kursk, ramon]
    assert "6 snapshots" in err


def test_a_revisit_of_a_capture_not_read_or_of_another_payload_is_not_a_page(
        tmp_path: Path) -> None:
    path = tmp_path / "r.warc"
    live = "https://a.example/live"
    write_visits(path, [(live, "08:00", ["Ceasefire in Gaza takes effect"]), (live, "08:05", None)],
                 digest="sha1:3I42H3S6NNFQ2MSVX7XZKYAYSCX5QBYJ")
    items = [item for _, item in read_warc(path, max_bytes=1 << 20)]
    assert isinstance(items[0], Snapshot)
    assert str(items[1]) == "revisit of a capture not read before (unchanged page)"



def test_an_unreadable_warc_is_a_bad_record(tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    path = write_warc(tmp_path / "locked.warc", crawl(), gz=False)

    def refuse(self: Path, *args: object, **kw: object) -> None:
        raise PermissionError(13, "Permission denied", str(self))

    monkeypatch.setattr(Path, "open", refuse)  # (chmod 0 does not stop root, who runs CI)
    assert [(o, str(i)) for o, i in read_warc(path, max_bytes=1 << 20)] == [
        (str(path), "cannot read: Permission denied")]
