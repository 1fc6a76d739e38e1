"""Unsupported spans and figures in document context: the flagship, real snippets, outputs, CLI."""

from __future__ import annotations

import json
from datetime import date
from pathlib import Path

import pytest
from lxml import etree
from opencc import OpenCC

from align import cli
from align.claims import ELSEWHERE, Context, article_date, flag_claims, flag_pair
from align.export import to_tsv
from align.model import Alignment, Document, Flag, Pair, Sentence
from align.support import KIND, Settings, clause_spans, is_content, spans
from align.tmx import to_tmx
from align.words import Sentence as Words

DATA = Path(__file__).resolve().parent / "data"
CORPUS = Path(__file__).resolve().parents[1] / "corpus"
T2S = OpenCC("t2s")

# corpus/003 sentence 3 and corpus/001 sentence 26: the example.
EN_ATTENDANCE = (
    "More than 1,000 high-level representatives from upwards of 40 countries and "
    "international organizations attended the opening ceremony of the three-day event, "
    'themed "Global Solidarity in the AI Era".'
)
ZH_OPENING = "國務院總理李強7月26日在上海出席2025世界人工智能大會暨人工智能全球治理高級別會議開幕式并致辭。"
ZH_DATELINE = "新華社上海7月26日電(記者王慧慧、龔雯)"
EN_OPENING = (
    "Premier Li Qiang announced the initiative when addressing the opening ceremony of the "
    "2025 World AI Conference and High-Level Meeting on Global AI Governance in Shanghai."
)


def unsupported(alignment: Alignment, tgt_id: int) -> list[Flag]:
    [pair] = [p for p in alignment.matched_pairs() if tgt_id in p.tgt]
    return [f for f in pair.flags if f.kind == KIND]


# --- the flagship, end to end ------------------------------------------------------------


def test_flagship_attendance_sentence_flags_what_the_chinese_lacks(flagship):
    flags = unsupported(flagship, 3)
    text = flagship.target.sentences[3].text
    flagged = "".join(text[f.start:f.end] for f in flags)
    assert all(f.side == "tgt" and f.sentence == 3 and text[f.start:f.end] == f.span for f in flags)
    for words in ("upwards of 40 countries", "three-day event, themed"):
        assert words in flagged, (words, [f.span for f in flags])
    # What both say is not flagged: the thousand representatives who attended the opening
    # ceremony (開幕式, which CC-CEDICT reads as "opening ceremony": flagged before 0.1.17).
    for words in ("1,000", "representatives", "attended", "ceremony"):
        assert words not in flagged


def test_a_flagged_chinese_span_ends_on_a_word_boundary(flagship):
    # The English never mentions the 2030 Agenda; the span used to stop inside 可持續
    # (落實聯合國2030年可), where jieba had cut the word.
    [pair] = [p for p in flagship.matched_pairs() if 37 in p.src]
    [span] = [f.span for f in pair.flags if f.kind == KIND and f.side == "src"]
    assert span.startswith("落實聯合國2030年可持續")


def test_every_unsupported_flag_is_a_content_span_of_its_pair(flagship):
    for pair in flagship.matched_pairs():
        for f in pair.flags:
            if f.kind != KIND:
                continue
            doc = flagship.source if f.side == "src" else flagship.target
            assert f.sentence in (pair.src if f.side == "src" else pair.tgt)
            sentence = doc.sentences[f.sentence]
            assert sentence.text[f.start:f.end] == f.span
            # Whole words (a word span or a clause), and never function words alone.
            inside = [t for t in sentence.tokens if f.start <= t[0] and t[1] <= f.end]
            assert inside[0][0] == f.start and inside[-1][1] == f.end
            assert any(is_content(sentence.text[a:b], doc.lang) for a, b in inside)
    assert flagship.signature["unsupported"] == Settings().signature()


def test_what_the_other_side_says_is_not_flagged_however_weak_its_word_links(flagship):
    # Word links alone flag "China places great importance" in en 8 (a free rendering of
    # 中國高度重視) and "Li said" tails; the pair matches worse without them, so they stand.
    for tgt_id, words in ((8, "China places great importance"), (8, "the premier said"),
                          (11, "Li said")):
        assert not any(words in f.span for f in unsupported(flagship, tgt_id)), words
    # What en 12 adds to 大會發表《人工智能全球治理行動計劃》 is flagged as one clause.
    assert ("which calls on all parties to work in solidarity to advance AI development and "
            "governance") in [f.span for f in unsupported(flagship, 12)]


def test_a_clause_inserted_into_a_translation_is_flagged_whole(default_encoder):
    """A real translation pair (the flagship's opening sentence and its rendering) with a
    clause of another flagship sentence inserted into the English: the whole clause is
    flagged, and beyond it only what the untouched pair shows too (the date 7月26日, which
    the English leaves out)."""
    from align.evidence import add_word_links, word_aligner_for
    from align.support import flag_unsupported
    from align.views import fast_part

    clause = "which calls on all parties to work in solidarity to advance AI development"
    treated = EN_OPENING.replace("Global AI Governance in Shanghai.",
                                 f"Global AI Governance, {clause}, in Shanghai.")
    source = document("zh", [ZH_OPENING, ZH_OPENING])
    target = document("en", [EN_OPENING, treated])
    pairs = [Pair([0], [0], 0.9), Pair([1], [1], 0.9)]
    alignment = Alignment(source, target, "", "parallel", pairs)
    add_word_links(alignment, word_aligner_for(default_encoder))
    flag_claims(alignment)
    flag_unsupported(alignment, fast_part(default_encoder))
    untouched, inserted = ([f.span for f in p.flags if f.kind == KIND] for p in alignment.pairs)
    assert untouched == ["7月26日"]
    [span] = [x for x in inserted if x not in untouched]
    # A weak word link beside it may join the span ("Governance, which calls …"), no more.
    assert clause in span and len(span.split()) <= len(clause.split()) + 1


def test_clause_spans_run_from_first_to_last_word():
    words = Words.from_text(EN_ATTENDANCE, "en")
    found = [EN_ATTENDANCE[a:b] for a, b in clause_spans(EN_ATTENDANCE, words.spans, "en")]
    assert found == [EN_ATTENDANCE.split(", themed")[0], 'themed "Global Solidarity in the AI Era']
    plain = "No clause here."
    assert clause_spans(plain, Words.from_text(plain, "en").spans, "en") == []


def test_function_words_never_make_a_span_alone():
    words = Words.from_text(EN_ATTENDANCE, "en")
    support = [0.0 if EN_ATTENDANCE[a:b] in ("of", "the", "and", ",", '"') else 0.9 for a, b in words.spans]
    assert spans(EN_ATTENDANCE, words.spans, support, "en", Settings(bar=0.5, window=0, min_words=1)) == []
    # ... but they join one: "upwards of 40 countries" is one span, not three.
    weak = {"upwards", "40", "countries"}
    support = [0.0 if EN_ATTENDANCE[a:b] in weak else 0.9 for a, b in words.spans]
    [(a, b)] = spans(EN_ATTENDANCE, words.spans, support, "en", Settings(bar=0.5, window=0, min_words=3))
    assert EN_ATTENDANCE[a:b] == "upwards of 40 countries"


def test_chinese_particles_are_function_words():
    assert not is_content("的", "zh") and not is_content("，", "zh")
    assert is_content("開幕式", "zh") and is_content("1000", "zh")


# --- figures in document context --------------------------------------------------------


def document(lang: str, texts: list[str], datelines: tuple[int, ...] = ()) -> Document:
    return Document(lang, f"snippet.{lang}", [
        Sentence(i, t, T2S.convert(t) if lang == "zh" else t, 0,
                 [Flag("dateline")] if i in datelines else [])
        for i, t in enumerate(texts)])


def test_flagship_date_stated_elsewhere_points_at_the_sentence(flagship):
    # en 12 "Also on July 26, ..." is matched to a Chinese sentence without the date,
    # but the Chinese opening sentence (3) gives it.
    [pair] = [p for p in flagship.matched_pairs() if 12 in p.tgt]
    [flag] = [f for f in pair.flags if f.value == "07-26"]
    assert flag.kind == ELSEWHERE and flag.side == "tgt" and flag.where == 3
    assert "7月26日" in flagship.source.sentences[3].text
    assert not any(f.kind == "number-only-in-target" and f.value == "07-26" for f in pair.flags)


def test_a_weekday_covers_the_date_of_a_dated_report():
    source = document("zh", [ZH_DATELINE, ZH_OPENING], datelines=(0,))
    target = document("en", ["date 2025-07-27", EN_OPENING.replace("announced", "on Saturday announced")],
                      datelines=(0,))
    assert article_date(target) == date(2025, 7, 27)
    context = Context.of(source, target)
    flags = flag_pair(Pair([1], [1], 0.9), source, target, context)
    assert not any(f.value == "07-26" for f in flags)  # Saturday = 2025-07-26
    # On Friday it would be the 25th: the date stays one-sided (stated nowhere else in English).
    target.sentences[1].text = target.sentences[1].text.replace("Saturday", "Friday")
    flags = flag_pair(Pair([1], [1], 0.9), source, target, Context.of(source, target))
    assert {(f.kind, f.value) for f in flags if f.value == "07-26"} == {("number-only-in-source", "07-26")}


def test_small_counts_are_never_stated_elsewhere():
    # "three" recurs by chance: a one-sided 3 stays a missing figure even if the other
    # document says 三天 somewhere.
    source = document("zh", ["國內外嘉賓及人工智能產學研領域代表1000多人出席大會開幕式。", "會期三天。"])
    target = document("en", [EN_ATTENDANCE])
    alignment = Alignment(source, target, "", "comparable", [Pair([0], [0], 0.9), Pair([1], [], 0.9)])
    flag_claims(alignment)
    kinds = {(f.kind, f.value) for f in alignment.pairs[0].flags}
    assert ("number-only-in-target", "3") in kinds and ("number-only-in-target", "40") in kinds


# --- outputs ----------------------------------------------------------------------------


def test_json_tsv_and_tmx_carry_the_spans(flagship, tmp_path):
    data = json.loads(json.dumps(flagship.to_dict()))
    [pair] = [p for p in data["pairs"] if 3 in p["tgt"] and p["src"]]
    assert pair["words"] and all(len(w) == 5 for w in pair["words"])
    flags = [f for f in pair["flags"] if f["kind"] == KIND]
    text = data["target"]["sentences"][3]["text"]
    assert flags and all(text[f["start"]:f["end"]] == f["span"] for f in flags)
    assert data["target"]["sentences"][3]["tokens"]
    assert Alignment.from_dict(data).to_dict() == data

    rows = [line.split("\t") for line in to_tsv(flagship).splitlines()]
    assert rows[0][-1] == "unsupported"
    [row] = [r for r in rows[1:] if r[1] == "3" and r[0]]
    assert "target 3: " in row[-1] and "40 countries" in row[-1]

    dtd = etree.DTD(str(DATA / "tmx14.dtd"))
    root = etree.fromstring(to_tmx(flagship, min_score=0.0))
    assert dtd.validate(root), dtd.error_log.filter_from_errors()
    notes = [n.text for n in root.iter("note")]
    assert any(n.startswith("unsupported: ") and "40 countries" in n for n in notes)


def test_cli_pair_summary_lists_unsupported_spans_per_pair(capsys, default_encoder):
    code = cli.main(["pair", str(CORPUS / "001_6e67b410ee902a66.txt"),
                     str(CORPUS / "003_3cceb59c81ded892.txt")])
    out = capsys.readouterr().out
    assert code == 0
    assert "Pairs with unsupported spans" in out
    assert "+ target 3 only: " in out and "40 countries" in out


@pytest.mark.slow
def test_demo_prints_unsupported_spans(capsys, tmp_path, default_encoder):
    assert cli.main(["demo", "--out", str(tmp_path)]) == 0
    assert "+ target 3 only: " in capsys.readouterr().out


def test_the_review_shows_what_a_link_leaves_unsupported(flagship):
    """The attendance link is listed as partly supported, its English-only words are
    highlighted with a tooltip naming the side that lacks them, and the row says how
    much of each side the other one says."""
    from align.review import Review
    from ui.render import row_html

    review = Review.start(flagship)
    (index,) = [k for k, p in enumerate(flagship.pairs) if p.tgt == [3]]
    assert index in review.select("partly supported")
    assert all(flagship.pairs[k].matched for k in review.select("partly supported"))
    html = row_html(flagship, flagship.pairs[index], review.marks[index])
    # The one-sided figure keeps its own mark inside the unsupported span.
    assert ('<mark class="unsupported" title="the Chinese does not say this">upwards of '
            '<mark class="figure"') in html
    assert "◐ zh 100%<br>en " in html


def test_a_hovered_word_names_the_words_it_is_linked_to(flagship):
    """Word links are shown where the reviewer reads: each linked word's tooltip names the
    other side's words (the attendance pair: 出席 ↔ attended, from the word aligner)."""
    from align.review import Review
    from ui.render import row_html, word_links

    (pair,) = [p for p in flagship.pairs if p.tgt == [3]]
    sentence = flagship.target.sentences[3]
    links = {sentence.text[a:b]: title for a, b, title in word_links(flagship, "tgt", sentence, pair)}
    assert "出席" in links["attended"], links
    html = row_html(flagship, pair, Review.start(flagship).marks[flagship.pairs.index(pair)])
    assert f'<abbr class="w" title="{links["attended"]}">attended</abbr>' in html
