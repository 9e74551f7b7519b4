"""The pair decision, rule by rule, as the issue states them."""

import pytest

from streamer.core.clean import clean_line
from streamer.core.match import decide
from streamer.core.model import Verdict

SAME = [
    ("Dutch Police: Rotterdam gunman arrested", "Dutch police: Rotterdam gunman arrested."),
    ("Dutch Police: Rotterdam gunman arrested", "Dutch Police:  Rotterdam   gunman arrested"),
    (
        "Qatari PM: We won't surrender to 'extremists'",
        "Qatari PM: We won’t surrender to “extremists”",
    ),
    (
        "Israeli artilery shelling targeted Khan Younis",
        "Israeli artillery shelling targeted Khan Younis",
    ),
    ("BREAKING: Ceasefire in Gaza takes effect", "Ceasefire in Gaza takes effect (video)"),
    (
        "Al Mayadeen's correspondent in Gaza: Shelling targeted Khan Younis",
        "Al Mayadeen correspondent in Gaza: Shelling targeted Khan Younis",
    ),
    (
        "Al Mayadeen's Gaza correspondent: Shelling targeted Khan Younis",
        "Al Mayadeen's correspondent in Gaza: Shelling targeted Khan Younis",
    ),
    (
        "Al Mayadeen's correspondent: Shelling targeted Khan Younis",
        "Al Mayadeen's correspondent in Gaza: Shelling targeted Khan Younis",
    ),
    (
        "Russian Ministry of Defense: 37 drones destroyed over the Black Sea",
        "Russian Defense Ministry: 37 drones destroyed over the Black Sea",
    ),
    ("Airspace closed at Ramon Airport", "Airspace closed at Ramon Airport due to drone fears"),
    ("قصفٌ مدفعيّ على خان يونس", "قصف مدفعي على خان يونس"),
    ("Two were wounded in Rotterdam", "2 were wounded in Rotterdam"),
]

REVISED = [
    (
        "Dutch Police: Three were wounded in a shooting in Rotterdam",
        "Dutch Police: Two were wounded in a shooting in Rotterdam",
    ),
    (
        "Ministry: 45 drones destroyed in 6 hours over the Black Sea",
        "Ministry: 37 drones destroyed in 4 hours over the Black Sea",
    ),
    (
        "Airspace closed at Ramon Airport due to fears of drone infiltration",
        "Airspace closed at Ramon Airport",
    ),
]

DIFFERENT = [
    (
        "Russian Defense Ministry: Ukrainian drone destroyed over Russia's Bryansk region",
        "Russian Defense Ministry: Ukrainian drone destroyed over Russia's Kursk region",
    ),
    ("Ceasefire in Gaza takes effect", "Ceasefire in Lebanon takes effect"),
    ("Airspace closed at Ramon Airport", "Airspace closed at Eilat Airport"),
    (
        "Sheikh Qassem: Be brave in the face of foreign pressures",
        "Sheikh Qassem: The US efforts are aimed at sabotaging Lebanon",
    ),
    (
        "Correspondent in Gaza: Shelling targeted the eastern areas",
        "Correspondent in Lebanon: Shelling targeted the eastern areas",
    ),
]


@pytest.mark.parametrize(("new", "known"), SAME)
def test_editorial_variants_are_the_same_flash(new: str, known: str) -> None:
    assert decide(clean_line(new), clean_line(known)).verdict is Verdict.DUPLICATE


@pytest.mark.parametrize(("new", "known"), REVISED)
def test_changed_figures_and_added_detail_are_revisions(new: str, known: str) -> None:
    assert decide(clean_line(new), clean_line(known)).verdict is Verdict.REVISED


@pytest.mark.parametrize(("new", "known"), DIFFERENT)
def test_another_place_actor_or_statement_is_a_different_flash(new: str, known: str) -> None:
    assert decide(clean_line(new), clean_line(known)).verdict is Verdict.NEW
    assert decide(clean_line(known), clean_line(new)).verdict is Verdict.NEW


def test_decision_says_why() -> None:
    pd = decide(
        clean_line("Ceasefire in Gaza takes effect"),
        clean_line("Ceasefire in Lebanon takes effect"),
    )
    assert "gaza" in pd.reason
    assert "lebanon" in pd.reason
