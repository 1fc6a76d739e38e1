"""The app's colours and CSS, in one place, with the contrast check they must pass.

Every text colour reaches WCAG AA (4.5:1) on the backgrounds it is drawn on;
``tests/test_theme.py`` computes it for every colour in :data:`CSS` and
:data:`BAND_COLOURS`, so a new colour that fails is caught before a reviewer
squints at it. (The first palette failed: amber #e0a800 was 2.15:1 on white,
the grey ids 3.5:1, "no counterpart" 2.3:1.)
"""

from __future__ import annotations

from align.review import BANDS, CONFIRMED, REJECTED, UNREVIEWED

# Green / amber / red, the colours CAT aligners use for link confidence, dark
# enough to be read as text (the score) on white and on a reviewed row.
BAND_COLOURS = dict(zip(BANDS, ("#2e7d32", "#8a6100", "#c62828")))
# An unmatched row is not a weak link: slate, with a dashed edge, whatever its score.
UNMATCHED_COLOUR = "#455a64"
# Bars of the summary charts (not text).
STATUS_COLOURS = {UNREVIEWED: "#9e9e9e", CONFIRMED: "#2e7d32", REJECTED: "#c62828"}

PAGE_BACKGROUND = "#ffffff"
REVIEWED_BACKGROUND = "#fafafa"
# Streamlit's default text colour, for rules that set a background only.
TEXT_COLOUR = "#31333f"
AA_TEXT = 4.5
# Text of 24 px and more (here only the ▲ of an open row, white on Streamlit's red).
AA_LARGE_TEXT = 3.0
STREAMLIT_PRIMARY = "#ff4b4b"

CSS = f"""
<style>
.pair {{display: grid; grid-template-columns: 7.5em 1fr 1fr; gap: 14px; margin: 2px 0;
       border-left: 6px solid var(--band); padding: 4px 0 4px 10px;}}
.pair.reviewed {{background: {REVIEWED_BACKGROUND};}}
.pair.unmatched {{border-left-style: dashed;}}
.score {{font-weight: 700; color: var(--band); font-size: 1.05em;}}
.nomatch {{font-weight: 700; color: {UNMATCHED_COLOUR}; font-size: 0.9em;}}
.note {{grid-column: 2 / 4; color: #555555; font-size: 0.85em; font-style: italic;}}
.badge {{display: inline-block; font-size: 0.72em; padding: 0 5px; margin: 1px 2px 1px 0;
        border-radius: 4px; border: 1px solid #bbbbbb; color: #444444; white-space: nowrap;}}
.badge.confirmed {{background: #e8f5e9; border-color: #2e7d32; color: #1b5e20;}}
.badge.rejected {{background: #ffebee; border-color: #c62828; color: #b71c1c;}}
.badge.crossing {{background: #e3f2fd; border-color: #1565c0; color: #0d47a1;}}
.sentence {{margin: 0 0 4px 0; line-height: 1.55;}}
.sid {{color: #5f6368; font-size: 0.75em; margin-right: 4px;}}
.meta {{color: #5f6368; font-style: italic;}}
.none {{color: {UNMATCHED_COLOUR}; font-style: italic;}}
.para {{border-top: 1px dashed #bbbbbb; margin-top: 8px; color: #5f6368; font-size: 0.75em;}}
.pair.target {{outline: 3px solid #1565c0; outline-offset: 2px;}}
.kb-current {{outline: 2px solid #1565c0; outline-offset: 3px; border-radius: 4px;}}
mark.figure {{background: #ffe08a; padding: 0 1px;}}
mark.unsupported {{background: #e3f2fd; border-bottom: 2px dotted #1565c0; padding: 0 1px;}}
abbr.w {{text-decoration: none; cursor: help;}}
abbr.w:hover {{background: #ede7f6; outline: 1px solid #5e35b1;}}
mark.damage {{background: #ffcdd2; text-decoration: underline wavy #c62828; padding: 0 1px;}}
mark.search {{background: #c5e1a5; padding: 0;}}
/* Row buttons: the label (the accessible name, e.g. "Confirm pair zh 3 ↔ en 1") is
   hidden visually but kept for screen readers; a glyph shows instead, its own
   alternative text empty (content: "…" / "") so it is not read twice. */
[class*="st-key-confirm-"] button, [class*="st-key-reject-"] button,
[class*="st-key-open-"] button {{min-width: 40px; min-height: 36px; padding: 0 4px;
    display: flex; justify-content: center; align-items: center;}}
[class*="st-key-confirm-"] button > div, [class*="st-key-reject-"] button > div,
[class*="st-key-open-"] button > div {{position: absolute; width: 1px; height: 1px;
    overflow: hidden; clip-path: inset(50%); white-space: nowrap;}}
[class*="st-key-confirm-"] button::before {{content: "✓" / ""; font-size: 1.3rem; color: #1b5e20;}}
[class*="st-key-reject-"] button::before {{content: "✗" / ""; font-size: 1.3rem; color: #b71c1c;}}
[class*="st-key-open-"] button::before {{content: "✎" / ""; font-size: 1.3rem; color: #37474f;}}
[class*="st-key-open-"] button[data-testid="stBaseButton-primary"]::before {{content: "▲" / "";
    color: #ffffff; font-size: 1.5rem;}}
button:disabled::before {{opacity: 0.45;}}
/* A compact header, so that rows start above the fold at 1280x800. */
h1 {{font-size: 1.9rem !important; padding-top: 0 !important;}}
[data-testid="stMainBlockContainer"] {{padding-top: 2.5rem;}}
/* Toasts at the bottom left: at the top right they covered the first row's buttons. */
[data-testid="stToastContainer"] {{top: auto !important; bottom: 1rem; right: auto !important;
    left: 1rem;}}
</style>
"""


def luminance(colour: str) -> float:
    """WCAG relative luminance of ``#rgb`` or ``#rrggbb``."""
    hex_digits = colour.lstrip("#")
    if len(hex_digits) == 3:
        hex_digits = "".join(c * 2 for c in hex_digits)
    channels = [int(hex_digits[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    linear = [c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels]
    return 0.2126 * linear[0] + 0.7152 * linear[1] + 0.0722 * linear[2]


def contrast(foreground: str, background: str) -> float:
    """WCAG contrast ratio, 1 to 21."""
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)
