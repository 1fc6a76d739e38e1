"""Word links inside the flagship's matched pairs, and their place in the JSON."""

from __future__ import annotations

import copy
import json

import pytest

from align.evidence import add_word_links
from align.model import Alignment


@pytest.fixture(scope="module")
def with_words(flagship) -> Alignment:
    return add_word_links(copy.deepcopy(flagship))


def words_of(alignment: Alignment, pair) -> set[tuple[str, str]]:
    out = set()
    for s, i, t, j, _ in pair.words:
        src, tgt = alignment.source.sentences[s], alignment.target.sentences[t]
        out.add((src.text[slice(*src.tokens[i])], tgt.text[slice(*tgt.tokens[j])]))
    return out


def test_every_matched_pair_gets_links_inside_its_own_sentences(with_words):
    for pair in with_words.matched_pairs():
        assert pair.words
        for s, i, t, j, score in pair.words:
            assert s in pair.src and t in pair.tgt
            assert 0 <= i < len(with_words.source.sentences[s].tokens)
            assert 0 <= j < len(with_words.target.sentences[t].tokens)
            assert -1.0 <= score <= 1.0
    assert with_words.signature["words"].startswith("e5-small|layer:")


def test_the_opening_ceremony_pair_links_its_figure_and_verb(with_words):
    # corpus/003 sentence 3 ("More than 1,000 ... attended the opening ceremony ...").
    [pair] = [p for p in with_words.matched_pairs() if 3 in p.tgt]
    found = words_of(with_words, pair)
    assert {("1000", "1,000"), ("出席", "attended"), ("代表", "representatives")} <= found


def test_json_gains_tokens_and_words_and_reads_them_back(with_words, flagship):
    data = json.loads(json.dumps(with_words.to_dict()))
    assert json.loads(json.dumps(Alignment.from_dict(data).to_dict())) == data
    assert any("tokens" in s for s in data["source"]["sentences"])
    assert all("words" in p for p in data["pairs"] if p["src"] and p["tgt"])
    # Without the evidence step the JSON is what it was: no empty new fields.
    plain = copy.deepcopy(flagship)
    for s in plain.source.sentences + plain.target.sentences:
        s.tokens = []
    for p in plain.pairs:
        p.words = []
    plain = plain.to_dict()
    assert not any("tokens" in s for s in plain["source"]["sentences"])
    assert not any("words" in p for p in plain["pairs"])
