"""Word alignment from e5's token states, and ``align words`` (fast_align's formats).

Real inputs: the flagship pair's sentence on the opening ceremony (corpus/001
line 6 against corpus/003 line 3) and its headline-sized neighbours.
"""

from __future__ import annotations

import numpy as np
import pytest

from align import cli
from align.words import Sentence, WordAligner, _overlapping, itermax, mutual_argmax, pharaoh

ZH = "國內外嘉賓及人工智能產學研領域代表1000多人出席大會開幕式。"
EN = ("More than 1,000 high-level representatives from upwards of 40 countries and international "
      "organizations attended the opening ceremony of the three-day event, themed "
      '"Global Solidarity in the AI Era".')
# Pre-tokenised as word aligners take them: Chinese segmented, English split off punctuation.
TOKENISED = [
    ("国务院 总理 李强 出席 开幕式 并 致辞 。",
     "Premier Li Qiang of the State Council attended the opening ceremony and delivered a speech ."),
    ("2025 世界 人工智能 大会 在 上海 开幕 。",
     "The 2025 World Artificial Intelligence Conference opened in Shanghai ."),
]


@pytest.fixture(scope="module")
def aligner() -> WordAligner:
    return WordAligner()


def linked(links, src: Sentence, tgt: Sentence) -> set[tuple[str, str]]:
    return {(src.words[x.src], tgt.words[x.tgt]) for x in links}


def test_raw_text_is_segmented_into_words():
    zh, en = Sentence.from_text(ZH, "zh"), Sentence.from_text(EN, "en")
    # Traditional script segmented through its Simplified form; spans stay on the text as read.
    assert zh.words[:4] == ["國內外", "嘉賓", "及", "人工智能"]
    assert "".join(zh.words) == ZH
    assert "1,000" in en.words and "three-day" in en.words


def test_a_lone_character_joins_the_word_it_makes_with_its_neighbour():
    # jieba cuts 可持续 into 可 / 持续; CC-CEDICT has 可持续 ("sustainable").
    words = Sentence.from_text("推動落實聯合國2030年可持續發展議程。", "zh").words
    assert words[4:8] == ["年", "可持續", "發展", "議程"]
    # Two lone characters stay two words (的 + 话 is CEDICT's 的话, "if"; jieba's own call
    # stands), and a word jieba found is never taken apart.
    assert Sentence.from_text("他說的話很有道理", "zh").words[:3] == ["他", "說", "的話"]
    assert "".join(Sentence.from_text(ZH, "zh").words) == ZH


def test_tokens_find_the_words_they_overlap(aligner):
    # The model's own subword spans against the words: the same owners as testing
    # every word for every token, which took minutes on a 40,000-word line.
    for text, lang in ((ZH, "zh"), (EN, "en")):
        sentence = Sentence.from_text(text, lang)
        _, [states] = aligner.model.run([text], states=0, vectors=False)
        brute = [[w for w, (a, b) in enumerate(sentence.spans) if t and t[0] < b and a < t[1]]
                 for t in states.spans]
        assert _overlapping(sentence.spans, states.spans) == brute
        assert sum(map(bool, brute)) >= len(sentence.spans)  # every word has a token


def test_flagship_pair_links_the_obvious_words(aligner):
    zh, en = Sentence.from_text(ZH, "zh"), Sentence.from_text(EN, "en")
    [links] = aligner.align([(zh, en)])
    pairs = linked(links, zh, en)
    for expected in [("1000", "1,000"), ("出席", "attended"), ("代表", "representatives"),
                     ("開幕式", "ceremony"), ("人工智能", "AI")]:
        assert expected in pairs, (expected, sorted(pairs))
    assert all(-1.0 <= x.score <= 1.0 for x in links)


def test_pretokenised_pairs_link_names_and_numbers(aligner):
    sentences = [(Sentence.from_tokens(s.split()), Sentence.from_tokens(t.split())) for s, t in TOKENISED]
    first, second = aligner.align(sentences)
    assert {("李强", "Qiang"), ("总理", "Premier"), ("出席", "attended"), ("开幕式", "ceremony"),
            ("致辞", "speech")} <= linked(first, *sentences[0])
    assert {("2025", "2025"), ("上海", "Shanghai")} <= linked(second, *sentences[1])


def test_penn_treebank_brackets_reach_the_model_as_brackets():
    s = Sentence.from_tokens("Xinhua -LRB- Reporter -RRB-".split())
    assert s.text == "Xinhua ( Reporter )" and s.words == ["Xinhua", "(", "Reporter", ")"]


def test_itermax_adds_a_second_link_for_an_unlinked_word():
    # Two source words both closest to target 0; argmax keeps one, itermax attaches the other.
    sim = np.array([[0.9, 0.1, 0.0],
                    [0.8, 0.2, 0.1],
                    [0.0, 0.1, 0.9]])
    assert set(zip(*np.nonzero(mutual_argmax(sim)))) == {(0, 0), (2, 2)}
    assert set(zip(*np.nonzero(itermax(sim)))) == {(0, 0), (1, 0), (2, 2)}


def write(path, data: bytes):
    path.write_bytes(data)
    return str(path)


@pytest.mark.slow
def test_cli_round_trip(tmp_path, capsys):
    both = write(tmp_path / "pairs.txt", "".join(f"{s} ||| {t}\n" for s, t in TOKENISED).encode())
    assert cli.main(["words", both]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert len(lines) == len(TOKENISED)
    for line, (s, t) in zip(lines, TOKENISED):
        links = [tuple(map(int, x.split("-"))) for x in line.split()]
        assert links and all(0 <= i < len(s.split()) and 0 <= j < len(t.split()) for i, j in links)
    # The same pairs as two line-aligned files give the same links.
    src = write(tmp_path / "src.txt", "".join(s + "\n" for s, _ in TOKENISED).encode())
    tgt = write(tmp_path / "tgt.txt", "".join(t + "\n" for _, t in TOKENISED).encode())
    assert cli.main(["words", src, tgt]) == 0
    assert capsys.readouterr().out.splitlines() == lines
    assert pharaoh([]) == ""


@pytest.mark.parametrize("content, problem", [
    (b"a b ||| c d\nno separator here\n", "line 2: no '|||' between source and target"),
    (b"a b ||| c d\n ||| c\n", "line 2: empty source side"),
    (b"a b |||   \n", "line 1: empty target side"),
    (b"a b ||| c d\n\xff\xfe ||| c\n", "line 2: not UTF-8"),
    (b"", "empty file"),
], ids=["no-separator", "empty-source", "empty-target", "undecodable", "empty-file"])
def test_cli_bad_input_is_one_line_and_exit_2(tmp_path, capsys, content, problem):
    path = write(tmp_path / "pairs.txt", content)
    assert cli.main(["words", path]) == 2
    captured = capsys.readouterr()
    assert captured.out == ""
    assert captured.err.startswith(f"align: {path}: {problem}") and captured.err.count("\n") == 1


def test_cli_two_files_of_different_length(tmp_path, capsys):
    src = write(tmp_path / "src.txt", b"a b\nc d\n")
    tgt = write(tmp_path / "tgt.txt", b"x y\n")
    assert cli.main(["words", src, tgt]) == 2
    assert capsys.readouterr().err == f"align: {tgt}: has 1 lines, the source 2\n"


@pytest.mark.slow
def test_cli_bad_layer(tmp_path, capsys):
    path = write(tmp_path / "pairs.txt", b"a ||| b\n")
    assert cli.main(["words", path, "--layer", "13"]) == 2
    assert capsys.readouterr().err == "align: --layer: layer must be 0-12, not 13\n"


@pytest.mark.slow
def test_cli_word_the_model_cannot_see_stays_unlinked(tmp_path, capsys):
    # A zero-width space is a "word" to str.split but normalises to nothing in the model.
    path = write(tmp_path / "pairs.txt", "\u200b ||| hello world\n中国 \u200b ||| China\n".encode())
    assert cli.main(["words", path]) == 0
    assert capsys.readouterr().out == "\n0-0\n"
