"""Cleaning: shown text is repaired, not rewritten; the matching form folds editorial noise."""

import pytest

from streamer.core.clean import clean_line, fold, repair, split_attribution, strip_decorations


def test_display_text_keeps_wording_case_and_punctuation() -> None:
    line = "Dutch Police: Two were wounded — the attacker is “still at large”!"
    assert clean_line(line).text == line


def test_mojibake_is_repaired() -> None:
    assert repair("Erdoâ€™s visit: Recep Tayyip ErdoÄŸan arrives") == (
        "Erdo’s visit: Recep Tayyip Erdoğan arrives"
    )


def test_whitespace_nbsp_control_and_bidi_characters() -> None:
    raw = "  Ceasefire\u00a0in\u2009Gaza \u200ftakes\u202a effect\x00\x07 \n"
    assert repair(raw) == "Ceasefire in Gaza takes effect"


@pytest.mark.parametrize(
    ("line", "body", "attribution"),
    [
        (
            "Al Mayadeen's correspondent in Gaza: Shelling targeted Khan Younis",
            "Shelling targeted Khan Younis",
            "Al Mayadeen's correspondent in Gaza",
        ),
        (
            "Twin stabbings in Utrecht left several injured: Dutch police",
            "Twin stabbings in Utrecht left several injured",
            "Dutch police",
        ),
        (
            "Talks on the port deal are at a standstill, Kremlin says",
            "Talks on the port deal are at a standstill",
            "Kremlin",
        ),
        (
            "Channel 12: Airspace closed at Ramon Airport",
            "Airspace closed at Ramon Airport",
            "Channel 12",
        ),
        (
            "Nagorno-Karabakh announces the end of the republic",
            "Nagorno-Karabakh announces the end of the republic",
            None,
        ),
    ],
)
def test_attribution_split(line: str, body: str, attribution: str | None) -> None:
    assert split_attribution(line) == (body, attribution)


@pytest.mark.parametrize(
    "decorated",
    [
        "BREAKING: Ceasefire in Gaza takes effect",
        "URGENT | Ceasefire in Gaza takes effect",
        "Ceasefire in Gaza takes effect (video)",
        "Ceasefire in Gaza takes effect | Live updates",
        "Ceasefire in Gaza takes effect - developing",
    ],
)
def test_decorations_do_not_reach_the_matching_form(decorated: str) -> None:
    assert strip_decorations(decorated) == "Ceasefire in Gaza takes effect"
    assert clean_line(decorated).key == clean_line("Ceasefire in Gaza takes effect").key
    assert clean_line(decorated).text == decorated  # but users still see what the site wrote


def test_matching_form_folds_case_quotes_and_punctuation() -> None:
    assert fold("“Two” were WOUNDED, in 1,500 shootings!") == "2 were wounded in 1500 shootings"


def test_matching_form_folds_arabic_diacritics_tatweel_and_letter_variants() -> None:
    plain = "قصف مدفعي على خان يونس واصابة الاطفال"
    decorated = "قَصفٌ مدفعـــيّ على خان يونس وإصابة الأطفال"
    assert fold(decorated) == fold(plain)


@pytest.mark.parametrize(("line", "key", "speaker"), [
    ("10:12 Dutch Police: Rotterdam gunman arrested", "rotterdam gunman arrested", "Dutch Police"),
    ("3:30pm | Ceasefire takes effect in Gaza", "ceasefire takes effect in gaza", None),
    ("10.50 euro fine for littering", "10 50 euro fine for littering", None),  # not a time
])
def test_a_clock_time_before_a_flash_is_not_part_of_what_it_says(
        line: str, key: str, speaker: str | None) -> None:
    flash = clean_line(line)
    assert (flash.key, flash.attribution, flash.text) == (key, speaker, line)
