"""HTML for the side-by-side view: sentences with their flagged details highlighted.

Plain functions returning HTML strings, so the look is decided in one place
and the app only places them. All text is escaped here; only the markup we
add is HTML.
"""

from __future__ import annotations

from functools import lru_cache

from opencc import OpenCC

from align.ingest import LANGUAGE_NAMES
from align.model import NOT_CLAIMS, Alignment, Pair, Sentence, is_chinese
from align.normalise import normalise
from align.review import CONFIRMED, REJECTED, Mark, band, document
from align.review.state import UNSCORED, needs_decision
from align.support import KIND as UNSUPPORTED
from align.support import supported_share
from ui.theme import BAND_COLOURS, UNMATCHED_COLOUR

FLAG_LABELS = {
    "number-only-in-source": "figure only in the {src}",
    "number-only-in-target": "figure only in the {tgt}",
    "encoding-damage": "encoding damage",
    "caption": "photo caption",
    "byline": "byline",
    "dateline": "dateline",
    "overlong": "over-long sentence with no end mark: cut into pieces here",
    "crossing": "crossing link: the {tgt} is reordered here",
    "number-elsewhere": "figure this pair's other side lacks, stated elsewhere in the other text",
}
# An unsupported span is named by the side that does not say it.
UNSUPPORTED_LABEL = {"src": "the {tgt} does not say this", "tgt": "the {src} does not say this"}


# HTML's and Markdown's own marks as character references, in one pass: the rows go
# through st.markdown, and a sentence like "[click](javascript:…)" or "**x**" must
# stay text, even if a renderer looked for Markdown inside our HTML.
AS_ENTITIES = str.maketrans({c: f"&#{ord(c)};" for c in "&<>\"'\\`*_[]()#|$~!"})


def escape(text: str) -> str:
    """A file's text as HTML that shows exactly that text: no tag, no link, no emphasis."""
    return text.translate(AS_ENTITIES)


def language_name(lang: str) -> str:
    return LANGUAGE_NAMES.get(lang, lang)


def flag_label(kind: str, alignment: Alignment) -> str:
    return _label(FLAG_LABELS.get(kind, kind), alignment)


def _label(template: str, alignment: Alignment) -> str:
    names = {"src": language_name(alignment.source.lang), "tgt": language_name(alignment.target.lang)}
    return template.format(**names)


def shown_text(sentence: Sentence, lang: str, simplified: bool) -> str:
    """The text as displayed: Chinese in Simplified script on request (the exported form)."""
    return sentence.norm if simplified and is_chinese(lang) else sentence.text


def highlight(text: str, marks: list[tuple[str, str, str]],
              words: list[tuple[int, int, str]] = ()) -> str:
    """Escape ``text`` and wrap the first occurrence of each span in ``<mark>``.

    ``marks`` are (span, css class, tooltip). A span inside another one nests
    (a one-sided figure inside an unsupported clause keeps its own mark); one
    that overlaps another only in part is left out, the earlier one kept.
    ``words`` are (start, end, tooltip) offsets of words, innermost, each an
    ``<abbr class="w">`` (HTML's element for a hover explanation) whose tooltip
    names what it is linked to.
    """
    found = []
    for span, css, title in marks:
        start = text.find(span) if span else -1
        if start >= 0:
            found.append((start, start + len(span), f'<mark class="{css}" title="{escape(title)}">',
                          "</mark>"))
    found += [(a, b, f'<abbr class="w" title="{escape(title)}">', "</abbr>") for a, b, title in words]
    kept: list[tuple[int, int, str, str]] = []
    for start, end, opening, closing in sorted(found, key=lambda m: (m[0], -m[1])):
        if end > start and all(end <= a or start >= b or (a <= start and end <= b)
                               for a, b, _, _ in kept):
            kept.append((start, end, opening, closing))
    # Opening tags at a position go outermost first, closing tags innermost first.
    events = sorted([(a, 1, -b, opening) for a, b, opening, _ in kept]
                    + [(b, 0, -a, closing) for a, b, _, closing in kept])
    out, pos = [], 0
    for at, _, _, tag in events:
        out.append(escape(text[pos:at]))
        out.append(tag)
        pos = at
    out.append(escape(text[pos:]))
    return "".join(out)


def word_links(alignment: Alignment, side: str, sentence: Sentence, pair: Pair | None
               ) -> list[tuple[int, int, str]]:
    """Each linked word of ``sentence`` with the words of the other side it is linked to
    (``Pair.words``), shown when the word is hovered."""
    if pair is None or not pair.words or not sentence.tokens:
        return []
    other = document(alignment, "tgt" if side == "src" else "src")
    mine, theirs = (0, 2) if side == "src" else (2, 0)
    linked: dict[int, list[str]] = {}
    for row in pair.words:
        if row[mine] == sentence.id and row[mine + 1] < len(sentence.tokens):
            partner = other.sentences[row[theirs]]
            if row[theirs + 1] < len(partner.tokens):
                a, b = partner.tokens[row[theirs + 1]]
                linked.setdefault(row[mine + 1], []).append(partner.text[a:b])
    return [(*sentence.tokens[k], "↔ " + " · ".join(dict.fromkeys(found)))
            for k, found in sorted(linked.items())]


def sentence_html(alignment: Alignment, side: str, sentence: Sentence, pair: Pair | None,
                  *, simplified: bool = False, query: str = "") -> str:
    """One sentence with its id, its damage and one-sided figures highlighted."""
    lang = document(alignment, side).lang
    text = shown_text(sentence, lang, simplified)
    shown = (lambda span: normalise(span, lang)) if simplified and is_chinese(lang) else (lambda s: s)
    marks = []
    for flag in sentence.flags:
        if flag.span:
            tip = flag_label(flag.kind, alignment) + (f": likely {flag.value}" if flag.value else "")
            marks.append((shown(flag.span), "damage", tip))
    for flag in pair.flags if pair else []:
        if flag.span and flag.side == side and flag.sentence == sentence.id:
            if flag.kind == UNSUPPORTED:
                marks.append((shown(flag.span), "unsupported", _label(UNSUPPORTED_LABEL[side], alignment)))
            else:
                marks.append((shown(flag.span), "figure", f"{flag_label(flag.kind, alignment)}: {flag.span}"))
    if query.strip():
        marks.append((_find_query(text, query.strip()), "search", "search match"))
    # Word offsets are into the text as read; the Simplified form keeps them only at equal length.
    words = word_links(alignment, side, sentence, pair) if len(text) == len(sentence.text) else []
    body = highlight(text, marks, words)
    meta = [k for k in NOT_CLAIMS if sentence.has_flag(k)]
    badges = "".join(f'<span class="badge">{flag_label(k, alignment)}</span>' for k in meta)
    css = "sentence meta" if meta else "sentence"
    return (f'<div class="{css}"><span class="sid">{lang} {sentence.id}</span>'
            f"{badges}{body}</div>")


def _find_query(text: str, query: str) -> str:
    """The part of ``text`` a search matched, in the text's own case and script.

    A Simplified query finds Traditional text through the text's Simplified
    form; t2s maps character to character almost always, and where it does
    not (a rare phrase rule) the match is simply not highlighted.
    """
    query = _t2s().convert(query.lower())
    folded = _t2s().convert(text.lower())
    start = folded.find(query)
    if start < 0 or len(folded) != len(text):
        return ""
    return text[start:start + len(query)]


@lru_cache(maxsize=1)
def _t2s() -> OpenCC:
    return OpenCC("t2s")


def side_html(alignment: Alignment, pair: Pair, side: str, **options) -> str:
    ids = getattr(pair, side)
    if not ids:
        return f'<div class="none">no {language_name(document(alignment, side).lang)} counterpart</div>'
    doc = document(alignment, side)
    return "".join(sentence_html(alignment, side, doc.sentences[i], pair, **options) for i in ids)


def row_html(alignment: Alignment, pair: Pair, mark: Mark, *, target: bool = False,
             **options) -> str:
    """One bead as a row: confidence (colour and number) and badges, source, target, note.

    A link shows its confidence in its band's colour; an unmatched row has its
    own look (slate, dashed edge, "no counterpart" and how sure the aligner is
    of that), so it is never read as a link scoring 1.00.
    """
    css = ["pair"]
    if mark.status in (CONFIRMED, REJECTED):
        css.append("reviewed")
    if not pair.matched:
        css.append("unmatched")
    if target:  # the row "Go to sentence" asked for
        css.append("target")
    colour = BAND_COLOURS[band(pair.score)] if pair.matched else UNMATCHED_COLOUR
    return (f'<div class="{" ".join(css)}" style="--band:{colour}">'
            f"<div>{_badges(alignment, pair, mark)}</div>"
            f"<div>{side_html(alignment, pair, 'src', **options)}</div>"
            f"<div>{side_html(alignment, pair, 'tgt', **options)}</div>"
            + (f'<div class="note">✎ {escape(mark.note)}</div>' if mark.note else "")
            + "</div>")


def _confidence(alignment: Alignment, pair: Pair) -> str:
    if pair.matched:
        return (f'<span class="score" title="{band(pair.score)} confidence that the link is '
                f'right">{pair.score:.2f}</span> <span class="sid">link</span><br>')
    if not needs_decision(pair, alignment):
        return '<span class="nomatch">metadata</span><br><span class="sid">not aligned</span><br>'
    if pair.score == UNSCORED:  # unlinked by a reviewer: the aligner never judged it alone
        return '<span class="nomatch">no counterpart</span><br>'
    return ('<span class="nomatch">no counterpart</span><br><span class="sid" title="how sure the '
            f'aligner is that nothing on the other side matches">sure: {pair.score:.2f}</span><br>')


def _badges(alignment: Alignment, pair: Pair, mark: Mark) -> str:
    parts = [_confidence(alignment, pair)]
    if mark.status in (CONFIRMED, REJECTED):
        symbol = "✓" if mark.status == CONFIRMED else "✗"
        parts.append(f'<span class="badge {mark.status}">{symbol} {mark.status}</span>')
    if pair.has_flag("crossing"):
        parts.append(f'<span class="badge crossing" title="{flag_label("crossing", alignment)}">'
                     "⤨ crossing</span>")
    figures = sum(1 for f in pair.flags if f.kind.startswith("number-only"))
    if figures:
        parts.append(f'<span class="badge">⚑ {figures} one-sided figure{"s" * (figures > 1)}</span>')
    if pair.has_flag(UNSUPPORTED):
        shares = [f"{document(alignment, side).lang} {supported_share(pair, alignment, side):.0%}"
                  for side in ("src", "tgt")]
        parts.append(f'<span class="badge" title="supported: the share of each side that the '
                     f'other side says">◐ {"<br>".join(shares)}</span>')
    return "".join(parts)


# The link map: each side's sentences as ticks down a column, a line per link.
MAP_WIDTH, MAP_MAX_HEIGHT, MAP_STEP = 360, 640, 14


def link_map_svg(alignment: Alignment) -> str:
    """Both texts in their own order, side by side, with a line for each link: which
    source passage each target sentence comes from, what was left out (ticks with no
    line), and where the target reorders (crossing lines, blue)."""
    rows = max(len(alignment.source.sentences), len(alignment.target.sentences), 1)
    step = min(MAP_STEP, MAP_MAX_HEIGHT / rows)
    height = step * rows + 20
    left, right = 60, MAP_WIDTH - 60

    def y(i: int) -> float:
        return 10 + step * (i + 0.5)

    parts = [f'<svg role="img" aria-label="link map" width="100%" '
             f'viewBox="0 0 {MAP_WIDTH} {height:.0f}" xmlns="http://www.w3.org/2000/svg">',
             f'<text x="{left - 8}" y="10" text-anchor="end" font-size="11" fill="#31333f">'
             f"{escape(alignment.source.lang)}</text>",
             f'<text x="{right + 8}" y="10" font-size="11" fill="#31333f">'
             f"{escape(alignment.target.lang)}</text>"]
    for side, x in (("src", left), ("tgt", right)):
        linked = {i for p in alignment.pairs if p.matched for i in getattr(p, side)}
        for s in document(alignment, side).sentences:
            colour = "#31333f" if s.id in linked else "#9e9e9e"
            parts.append(f'<line class="tick" x1="{x - 6}" x2="{x + 6}" y1="{y(s.id):.1f}" '
                         f'y2="{y(s.id):.1f}" stroke="{colour}" stroke-width="1"/>')
    for pair in alignment.matched_pairs():
        colour = "#1565c0" if pair.has_flag("crossing") else BAND_COLOURS[band(pair.score)]
        for i in pair.src:
            for j in pair.tgt:
                parts.append(f'<line class="link" x1="{left + 6}" x2="{right - 6}" '
                             f'y1="{y(i):.1f}" y2="{y(j):.1f}" stroke="{colour}" '
                             f'stroke-width="1.5"><title>{alignment.source.lang} {i} ↔ '
                             f"{alignment.target.lang} {j}</title></line>")
    return "".join(parts) + "</svg>"
