"""Figures are told apart as a reader would: a sign, an exponent and another script's digits."""

from __future__ import annotations

import pytest

from streamer.core.engine import Deduplicator
from streamer.core.model import Verdict
from tests.pages import snap


def second_verdict(first: str, second: str) -> Verdict:
    engine = Deduplicator()
    engine.process(snap([first], 0))
    [decision] = engine.process(snap([second], 5)).decisions
    return decision.verdict


@pytest.mark.parametrize(("first", "second"), [
    ("Moscow: temperature falls to -5 degrees overnight",
     "Moscow: temperature falls to 5 degrees overnight"),
    ("Moscow: temperature falls to \u22125 degrees overnight",
     "Moscow: temperature falls to 5 degrees overnight"),
    ("Health Ministry: 10\u00b3 cases of cholera recorded in the north",
     "Health Ministry: 103 cases of cholera recorded in the north"),
])
def test_a_sign_or_an_exponent_is_a_figure_that_changed(first: str, second: str) -> None:
    assert second_verdict(first, second) is Verdict.REVISED


@pytest.mark.parametrize("digits", ["\u0969\u096d", "\u09e9\u09ed", "\u0663\u0667", "\u06f3\u06f7"])
def test_digits_of_any_script_are_the_same_figure(digits: str) -> None:
    first = "Health Ministry: 37 killed in the strike on the market"
    second = f"Health Ministry: {digits} killed in the strike on the market"
    assert second_verdict(first, second) is Verdict.DUPLICATE


def test_a_range_is_not_a_negative_number() -> None:
    first = "Central bank: rates to stay between 2-5 percent this year"
    assert second_verdict(first, first.replace("2-5", "2 - 5")) is Verdict.DUPLICATE
