"""Every text colour of the app reaches WCAG AA contrast (4.5:1) on its background (fault 7)."""

from __future__ import annotations

import re

import pytest

from ui.theme import (
    AA_LARGE_TEXT,
    AA_TEXT,
    BAND_COLOURS,
    CSS,
    PAGE_BACKGROUND,
    REVIEWED_BACKGROUND,
    STREAMLIT_PRIMARY,
    TEXT_COLOUR,
    UNMATCHED_COLOUR,
    contrast,
)

RULE = re.compile(r"([^{}]+)\{\{?([^{}]*)\}")
HEX = r"#[0-9a-fA-F]{3,6}\b"


def text_colours() -> list[tuple[str, str, str]]:
    """(where, text colour, background) for every rule of the CSS that draws text:
    its own colour (or the default text colour) on its own background (or a row's)."""
    found = []
    for selector, body in RULE.findall(CSS):
        colour = re.search(rf"(?<![-\w])color:\s*({HEX})", body)
        background = re.search(rf"background:\s*({HEX})", body)
        if "::before" in selector and "primary" in selector:
            continue  # white glyph on Streamlit's primary (red) button, checked below
        if colour is None and background is None:
            continue
        fg = colour.group(1) if colour else TEXT_COLOUR
        grounds = [background.group(1)] if background else [PAGE_BACKGROUND, REVIEWED_BACKGROUND]
        found += [(selector.strip(), fg, bg) for bg in grounds]
    found += [(f"{band} score", colour, bg) for band, colour in BAND_COLOURS.items()
              for bg in (PAGE_BACKGROUND, REVIEWED_BACKGROUND)]
    found += [("unmatched row", UNMATCHED_COLOUR, bg) for bg in (PAGE_BACKGROUND, REVIEWED_BACKGROUND)]
    return found


def test_the_ratio_is_computed_as_wcag_defines_it():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#777", "#fff") == pytest.approx(4.48, abs=0.01)
    assert contrast("#e0a800", "#ffffff") == pytest.approx(2.15, abs=0.01)  # the old amber


def test_the_check_covers_the_css():
    checked = {where for where, _, _ in text_colours()}
    assert {".sid", ".none", ".nomatch", ".note", ".meta", "mark.figure", ".badge.confirmed",
            "high score", "medium score", "low score", "unmatched row"} <= checked


@pytest.mark.parametrize(("where", "fg", "bg"), text_colours(),
                         ids=lambda v: v if isinstance(v, str) else None)
def test_every_text_colour_reaches_aa(where, fg, bg):
    assert contrast(fg, bg) >= AA_TEXT, f"{where}: {fg} on {bg} is {contrast(fg, bg):.2f}:1"


def test_the_open_rows_glyph_is_large_text_on_streamlits_primary_colour():
    rule = next(body for selector, body in RULE.findall(CSS) if "primary" in selector)
    assert "font-size: 1.5rem" in rule  # 24 px: large text
    assert contrast("#ffffff", STREAMLIT_PRIMARY) >= AA_LARGE_TEXT
