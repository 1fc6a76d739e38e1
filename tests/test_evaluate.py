"""The bead scorer against hand-counted cases and the real gold sets."""

from __future__ import annotations

import shutil
from pathlib import Path

import pytest

from align.errors import InputError
from align.evaluate import format_beads, read_beads, score, score_paths
from align.model import Pair

GOLD = Path(__file__).resolve().parents[1].parent / "shared" / "gold"
MAC_DEV_GOLD = GOLD / "mac-dev" / "gold"
TEXT_BERG_GOLD = GOLD / "text+berg" / "gold"
needs_mac_dev = pytest.mark.skipif(
    not MAC_DEV_GOLD.is_dir(), reason=f"MAC-Dev gold not found at {MAC_DEV_GOLD} (../shared absent)"
)
needs_text_berg = pytest.mark.skipif(
    not TEXT_BERG_GOLD.is_dir(), reason=f"Text+Berg gold not found at {TEXT_BERG_GOLD}"
)

# Gold: a 1-2 bead, a source sentence with no translation (1-0) and a target
# sentence with none (0-1), as the Text+Berg gold has.
GOLD_BEADS = [((0,), (0,)), ((1,), (1, 2)), ((2,), ()), ((3,), (3,)), ((), (4,))]


def write(path: Path, text: str) -> Path:
    path.write_text(text, encoding="utf-8")
    return path


def test_hand_counted_case_with_deletions_and_a_wrong_insertion():
    test = [
        ((0,), (0,)),  # strict hit
        ((1,), (1,)),  # half of the gold 1-2 bead: lax hit only
        ((), (2,)),  # wrong 0-1: target 2 is linked in the gold, but a 0-1 bead has no link
        ((2,), ()),  # right 1-0: verbatim in the gold, a strict hit
        ((3,), (3,)),  # strict hit
    ]
    result = score([GOLD_BEADS], [test])
    # Precision over all 5 test beads: strict 3, lax 4.
    assert result["strict"]["precision"] == pytest.approx(3 / 5)
    assert result["lax"]["precision"] == pytest.approx(4 / 5)
    # Recall over the 3 two-sided gold beads: [1]:[1,2] is only a lax hit.
    assert result["strict"]["recall"] == pytest.approx(2 / 3)
    assert result["lax"]["recall"] == pytest.approx(1.0)
    assert result["strict"]["f1"] == pytest.approx(2 * 0.6 * (2 / 3) / (0.6 + 2 / 3))
    assert result["lax"]["f1"] == pytest.approx(2 * 0.8 / 1.8)


def test_gold_deletions_do_not_count_for_recall():
    result = score([[((0,), (0,)), ((1,), ())]], [[((0,), (0,))]])
    assert result["strict"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


def test_wrong_deletion_is_a_miss_even_lax():
    # Source 1 is in the gold 1-2 bead; calling it untranslated is wrong.
    result = score([GOLD_BEADS], [[((1,), ())]])
    assert result["lax"]["precision"] == 0.0
    assert result["lax"]["recall"] == 0.0


def test_out_of_order_beads_score_by_content_not_position():
    gold = [((0,), (1,)), ((1,), (0,)), ((2,), (2,))]  # a crossing, as in Text+Berg
    result = score([gold], [list(reversed(gold))])
    assert result["strict"]["f1"] == 1.0


def test_counts_are_summed_over_files_not_averaged():
    gold = [((0,), (0,)), ((1,), (1,)), ((2,), (2,))]
    hit = [((0,), (0,))]
    misses = [((0,), (1,)), ((1,), (2,)), ((2,), (0,))]
    result = score([gold, gold], [hit, misses])
    # 1 hit of 4 test beads; a per-file average would give (1 + 0) / 2.
    assert result["strict"]["precision"] == pytest.approx(1 / 4)
    assert result["strict"]["recall"] == pytest.approx(1 / 6)
    assert result["files"] == 2


def test_duplicate_and_empty_beads_are_ignored():
    gold = [((0,), (0,)), ((1,), (1,))]
    test = [((0,), (0,)), ((0,), (0,)), ((1,), (0,)), ((), ())]
    result = score([gold], [test])
    # As in Vecalign (beads become a set): 1 hit of 2, not 2 of 3.
    assert result["strict"]["precision"] == 0.5
    assert result["strict"]["recall"] == 0.5


def test_nothing_to_score_gives_zero_not_a_division_error():
    result = score([[((0,), (0,))]], [[]])
    assert result["strict"] == {"precision": 0.0, "recall": 0.0, "f1": 0.0}


def test_read_beads_accepts_the_format_variants(tmp_path):
    path = write(tmp_path / "001.align", "[0,1]:[0]\n[2] : [1, 2]\n\n[5]:[]\n[]:[7]\n[3]:[4]:0.25\n")
    assert read_beads(path) == [
        ((0, 1), (0,)),
        ((2,), (1, 2)),
        ((5,), ()),
        ((), (7,)),
        ((3,), (4,)),
    ]


@pytest.mark.parametrize(
    "bad", ["[0,1][2]", "[a]:[1]", "[0]:[1]:cheap", "[0]:[1]:2:3", "0:1", "[0,]:[1]"]
)
def test_read_beads_names_the_bad_line(tmp_path, bad):
    path = write(tmp_path / "bad.align", f"[0]:[0]\n{bad}\n")
    with pytest.raises(InputError) as err:
        read_beads(path)
    assert err.value.where == str(path)
    assert err.value.problem.startswith("line 2:")


def test_read_beads_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_beads(tmp_path / "none.align")


def test_format_beads_round_trips_through_read_beads(tmp_path):
    pairs = [Pair([0, 1], [0], 0.9), Pair([2], [], 0.6), Pair([], [1], 0.7), Pair([3], [2, 3], 0.8)]
    text = format_beads(pairs)
    assert text.splitlines()[0] == "[0, 1]:[0]"
    beads = read_beads(write(tmp_path / "out.align", text))
    assert beads == [((0, 1), (0,)), ((2,), ()), ((), (1,)), ((3,), (2, 3))]


def test_score_paths_on_two_files(tmp_path):
    gold = write(tmp_path / "gold.align", format_beads([Pair([0], [0], 1), Pair([1], [1, 2], 1)]))
    test = write(tmp_path / "test.align", "[0]:[0]:0.1\n[1]:[1]:0.3\n[]:[2]:0.5\n")
    result = score_paths(gold, test)
    assert result["strict"]["precision"] == pytest.approx(1 / 3)
    assert result["lax"]["precision"] == pytest.approx(2 / 3)
    assert result["lax"]["recall"] == 1.0


def test_score_paths_rejects_a_file_against_a_folder(tmp_path):
    gold = write(tmp_path / "gold.align", "[0]:[0]\n")
    with pytest.raises(InputError, match="folder"):
        score_paths(gold, tmp_path)


def test_score_paths_needs_a_counterpart_for_every_file(tmp_path):
    (tmp_path / "gold").mkdir()
    (tmp_path / "test").mkdir()
    for name in ("001.align", "002.align"):
        write(tmp_path / "gold" / name, "[0]:[0]\n")
    write(tmp_path / "test" / "001.align", "[0]:[0]\n")
    with pytest.raises(InputError) as err:
        score_paths(tmp_path / "gold", tmp_path / "test")
    assert err.value.where == str(tmp_path / "test")
    assert "002.align" in err.value.problem
    write(tmp_path / "test" / "002.align", "[0]:[0]\n")
    write(tmp_path / "test" / "003.align", "[0]:[0]\n")
    with pytest.raises(InputError, match="no gold for 003.align"):
        score_paths(tmp_path / "gold", tmp_path / "test")


@needs_mac_dev
def test_mac_dev_gold_against_itself_is_perfect():
    assert sum(len(read_beads(p)) for p in MAC_DEV_GOLD.glob("*.align")) == 1343  # README figure
    result = score_paths(MAC_DEV_GOLD, MAC_DEV_GOLD)
    assert result["files"] == 6
    for kind in ("strict", "lax"):
        assert result[kind] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}


@needs_mac_dev
def test_merged_neighbours_are_lax_hits_but_strict_misses(tmp_path):
    """Merging each two neighbouring 1-1 beads keeps every link, so only strict scores drop."""
    for gold_file in sorted(MAC_DEV_GOLD.glob("*.align")):
        beads, merged = read_beads(gold_file), []
        while beads:
            (s1, t1), rest = beads[0], beads[1:]
            if rest and len(s1) == len(t1) == len(rest[0][0]) == len(rest[0][1]) == 1:
                (s2, t2), rest = rest[0], rest[1:]
                merged.append(Pair(list(s1 + s2), list(t1 + t2), 1.0))
            else:
                merged.append(Pair(list(s1), list(t1), 1.0))
            beads = rest
        write(tmp_path / gold_file.name, format_beads(merged))
    result = score_paths(MAC_DEV_GOLD, tmp_path)
    assert result["lax"] == {"precision": 1.0, "recall": 1.0, "f1": 1.0}
    assert result["strict"]["precision"] < 0.9
    assert result["strict"]["recall"] < 0.9


@needs_text_berg
def test_text_berg_gold_files_without_suffix_match_align_files(tmp_path):
    for path in TEXT_BERG_GOLD.iterdir():
        shutil.copy(path, tmp_path / f"{path.name}.align")
    result = score_paths(TEXT_BERG_GOLD, tmp_path)
    assert result["files"] == 7
    assert result["strict"]["f1"] == 1.0
