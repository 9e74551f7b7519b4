"""Start-up: a command loads what it uses. `streamer dedup` pays for numpy, ftfy and the
matching rules (rapidfuzz) with its first ticker lines, for selectolax with a profile that has
CSS selectors, for warcio with a WARC file, for JSON logging with `--log-format json`, never for
another command's modules nor for asyncio or TLS, and never for datasketch and the scipy it
imports (its MinHash and band choice are computed without them). Settings are a plain
dataclass: pydantic (~150 ms of imports) is never loaded."""

import subprocess
import sys
from pathlib import Path

HEAVY = ("datasketch", "scipy", "numpy", "ftfy", "rapidfuzz", "selectolax", "faust", "aiokafka",
         "aiohttp")
# Not loaded by `dedup` until its input or flags ask (the worker and serve use asyncio and ssl).
LIGHT_START = ("asyncio", "ssl", "warcio", "pythonjsonlogger", "pydantic", "pydantic_settings")
PROBE = """
import sys
from streamer.cli.main import main
code = main(sys.argv[1:])
print(code, *sorted(m for m in {heavy!r} if m in sys.modules))
"""


def loaded_after(*argv: str, watched: tuple[str, ...] = HEAVY) -> list[str]:
    out = subprocess.run(
        [sys.executable, "-c", PROBE.format(heavy=watched), *argv],
        capture_output=True, text=True, check=True, cwd=Path(__file__).parents[2],
    ).stdout.splitlines()[-1].split()  # (after the events)
    assert out[0] == "0", out
    return out[1:]


def test_dedup_of_input_without_a_ticker_loads_none_of_the_heavy_modules(tmp_path: Path) -> None:
    empty = tmp_path / "empty.jsonl"
    empty.write_bytes(b"")
    assert loaded_after("dedup", str(empty), watched=HEAVY + LIGHT_START) == []


def test_version_loads_no_subcommand() -> None:
    probe = ("import sys\nfrom streamer.cli.main import main\n"
             "try:\n    main(['--version'])\nexcept SystemExit as exit:\n    code = exit.code\n"
             f"print(code, *sorted(m for m in {HEAVY + LIGHT_START!r} if m in sys.modules))\n")
    out = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True,
                         check=True, cwd=Path(__file__).parents[2]).stdout.splitlines()
    assert out[0].startswith("streamer ")
    assert out[-1].split() == ["0"]


def test_warcio_and_json_logging_load_when_asked_for(tmp_path: Path) -> None:
    empty = tmp_path / "empty.warc"
    empty.write_bytes(b"")
    assert loaded_after("--log-format", "json", "dedup", str(empty), watched=LIGHT_START) == [
        "pythonjsonlogger", "warcio"]


def test_dedup_loads_the_minhash_machinery_with_its_first_ticker_line(tmp_path: Path) -> None:
    page = tmp_path / "page.txt"
    page.write_text("BREAKING\nCeasefire in the north takes effect at noon\n", encoding="utf-8")
    loaded = set(loaded_after("dedup", str(page), watched=HEAVY + LIGHT_START))
    assert "numpy" in loaded
    assert not loaded & {"datasketch", "scipy", *LIGHT_START}


def test_the_workers_engine_process_loads_everything_before_its_first_snapshot() -> None:
    # The engine process starts while the worker waits for Kafka: it pays for its imports then,
    # so the first snapshot is not held up by them. With no request at all (stdin at EOF):
    probe = ("import sys, runpy\n"
             "sys.argv = ['enginehost']\n"
             "try:\n"
             "    runpy.run_module('streamer.kafka.enginehost', run_name='__main__')\n"
             "except SystemExit:\n"
             "    pass\n"
             f"sys.stderr.write(' '.join(sorted(m for m in {HEAVY!r} if m in sys.modules)))\n")
    done = subprocess.run([sys.executable, "-c", probe], stdin=subprocess.DEVNULL,
                          capture_output=True, text=True, check=True,
                          cwd=Path(__file__).parents[2])
    loaded = set(done.stderr.splitlines()[-1].split())
    assert {"numpy", "ftfy", "rapidfuzz"} <= loaded
    assert not loaded & {"datasketch", "scipy", "faust", "aiokafka", "aiohttp"}
