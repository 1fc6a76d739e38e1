"""JSON and TSV export, write_outputs and the CLI summary, on a real flagship excerpt.

The fixture ``tests/data/export_waic2025.json`` aligns sentences copied from
corpus/001 (Traditional Chinese) and corpus/003 (English); see test_tmx.py.
"""

from __future__ import annotations

import csv
import io
import json
from pathlib import Path

import pandas as pd
import pytest

from align.errors import InputError
from align.export import read_json, summary, to_json, to_tsv, write_outputs
from align.model import Alignment, Flag
from align.tmx import to_tmx

FIXTURE = Path(__file__).parent / "data" / "export_waic2025.json"


@pytest.fixture
def alignment() -> Alignment:
    return Alignment.from_dict(json.loads(FIXTURE.read_text(encoding="utf-8")))


def tsv_rows(alignment: Alignment, script: str = "original") -> list[list[str]]:
    return list(csv.reader(io.StringIO(to_tsv(alignment, script)), delimiter="\t"))


def test_json_is_exactly_to_dict_and_reads_back(alignment, tmp_path):
    text = to_json(alignment)
    assert json.loads(text) == alignment.to_dict()
    assert "國務院總理李強" in text  # ensure_ascii=False: readable Chinese
    path = tmp_path / "waic.json"
    path.write_text(text, encoding="utf-8")
    assert read_json(path).to_dict() == alignment.to_dict()


def test_fixture_itself_reads_back_unchanged(alignment):
    assert to_json(read_json(FIXTURE)) == FIXTURE.read_text(encoding="utf-8")


def break_fixture(tmp_path: Path, edit) -> Path:
    data = json.loads(FIXTURE.read_text(encoding="utf-8"))
    edit(data)
    path = tmp_path / "broken.json"
    path.write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    return path


@pytest.mark.parametrize(
    ("edit", "problem"),
    [
        (lambda d: d.pop("pairs"), "not an alignment: missing key 'pairs'"),
        (lambda d: d["source"]["sentences"][0].pop("text"), "missing key 'text'"),
        (lambda d: d["pairs"][3].update(src="three"), "wrong type"),
        (lambda d: d["pairs"][3].update(tgt=[7]), "pair 3: target id 7 out of range (7 sentences)"),
        (lambda d: d["source"]["sentences"][2].update(id=5), "source sentence 2 has id 5"),
        (lambda d: d["target"]["sentences"][0].update(text=42), "text is not a string"),
    ],
)
def test_read_json_reports_a_broken_alignment_in_one_line(tmp_path, edit, problem):
    path = break_fixture(tmp_path, edit)
    with pytest.raises(InputError) as err:
        read_json(path)
    assert err.value.where == str(path)
    assert problem in err.value.problem
    assert "\n" not in err.value.problem


@pytest.mark.parametrize(
    ("content", "problem"),
    [
        ('{"source": ', "not valid JSON"),
        ("[1, 2]", "the top level is not a JSON object"),
        ("李強".encode("gb18030"), "not UTF-8"),
    ],
)
def test_read_json_rejects_what_is_not_json(tmp_path, content, problem):
    path = tmp_path / "input.json"
    path.write_bytes(content if isinstance(content, bytes) else content.encode())
    with pytest.raises(InputError, match=problem):
        read_json(path)


def test_read_json_missing_file(tmp_path):
    with pytest.raises(InputError, match="cannot read"):
        read_json(tmp_path / "missing.json")


def test_tsv_has_a_header_and_one_row_per_pair_in_order(alignment):
    rows = tsv_rows(alignment)
    assert rows[0] == ["src_ids", "tgt_ids", "score", "source", "target", "flags", "unsupported"]
    assert len(rows) == len(alignment.pairs) + 1
    assert all(len(row) == 7 for row in rows)
    assert [row[:2] for row in rows[1:4]] == [["0", ""], ["1", ""], ["2", ""]]
    assert rows[4][:3] == ["3", "0", "0.4700"]


def test_tsv_joins_chinese_without_space_and_english_with(alignment):
    rows = tsv_rows(alignment)
    zh, en = alignment.source.sentences, alignment.target.sentences
    two_two = rows[9]
    assert two_two[:2] == ["7,8", "5,6"]
    assert two_two[3] == zh[7].text + zh[8].text
    assert two_two[4] == en[5].text + " " + en[6].text


def test_tsv_flags_are_distinct_kinds(alignment):
    rows = tsv_rows(alignment)
    assert rows[6][:2] == ["", "1"]  # the 40-countries sentence the Chinese lacks
    assert rows[6][5] == "number-only-in-target"
    assert rows[5][5] == "encoding-damage"


def test_tsv_fields_come_back_whole_from_csv_readers_and_pandas(alignment):
    # A sentence that opens with a quotation mark broke every csv reader when fields
    # were written bare: the reader took the quote as the start of a quoted field.
    awkward = ['"Greater emphasis," Li said, "should be placed on governance."',
               "Li said\tgreater emphasis\nshould be placed \\ here."]
    alignment.target.sentences[4].text = awkward[0]
    alignment.target.sentences[1].text = awkward[1]
    rows = tsv_rows(alignment)
    assert len(rows) == len(alignment.pairs) + 1
    targets = {row[4] for row in rows}
    assert set(awkward) <= targets
    frame = pd.read_csv(io.StringIO(to_tsv(alignment)), sep="\t", dtype=str, keep_default_na=False)
    assert frame.shape == (len(alignment.pairs), 7) and set(awkward) <= set(frame["target"])


def test_tsv_takes_the_script_the_tmx_takes(alignment):
    original, simplified = tsv_rows(alignment), tsv_rows(alignment, "simplified")
    assert "國務院總理李強" in original[1][3]
    assert "国务院总理李强" in simplified[1][3]
    assert [row[4] for row in original] == [row[4] for row in simplified]  # English as it is


def test_write_outputs_writes_three_files_into_a_new_folder(alignment, tmp_path):
    out = tmp_path / "runs" / "waic"
    paths = write_outputs(alignment, out, "waic2025", tmx_options={"script": "simplified"})
    assert paths == {ext: out / f"waic2025.{ext}" for ext in ("json", "tmx", "tsv")}
    assert read_json(paths["json"]).to_dict() == alignment.to_dict()
    assert paths["tmx"].read_bytes() == to_tmx(alignment, script="simplified")
    assert paths["tsv"].read_text(encoding="utf-8") == to_tsv(alignment, script="simplified")
    assert sorted(p.name for p in out.iterdir()) == ["waic2025.json", "waic2025.tmx", "waic2025.tsv"]


def test_write_outputs_bad_option_writes_nothing(alignment, tmp_path):
    with pytest.raises(InputError):
        write_outputs(alignment, tmp_path, "waic", tmx_options={"src_code": "Traditional!"})
    assert list(tmp_path.iterdir()) == []


@pytest.mark.parametrize("name", ["", "..", "sub/waic"])
def test_write_outputs_name_must_be_a_plain_file_name(alignment, tmp_path, name):
    with pytest.raises(InputError) as err:
        write_outputs(alignment, tmp_path, name)
    assert err.value.where == "--name"


def test_outputs_are_written_as_a_set_or_not_at_all(alignment, tmp_path):
    # A folder where the TMX goes: the JSON and TSV must not be replaced either,
    # or the folder would hold a new JSON beside an old TSV.
    for ext in ("json", "tsv"):
        (tmp_path / f"waic.{ext}").write_text("earlier run", encoding="utf-8")
    (tmp_path / "waic.tmx").mkdir()
    with pytest.raises(InputError, match="waic.tmx: cannot write"):
        write_outputs(alignment, tmp_path, "waic")
    assert sorted(p.name for p in tmp_path.iterdir()) == ["waic.json", "waic.tmx", "waic.tsv"]
    assert {(tmp_path / f"waic.{ext}").read_text(encoding="utf-8") for ext in ("json", "tsv")} \
        == {"earlier run"}


def test_write_outputs_into_a_file_is_an_input_error(alignment, tmp_path):
    blocker = tmp_path / "out"
    blocker.write_text("not a folder", encoding="utf-8")
    with pytest.raises(InputError, match="cannot write"):
        write_outputs(alignment, blocker, "waic")


def test_summary_counts_leave_out_captions_bylines_and_datelines(alignment):
    assert summary(alignment) == {
        "pairs": 9,
        "matched": 4,
        "unmatched_src": 1,  # the encoding-damaged sentence; caption, byline, dateline excluded
        "unmatched_tgt": 1,  # 40 countries, 1,000 representatives
        "flagged": 2,
        "mean_confidence": round((0.97 + 0.99 + 0.99 + 0.47 + 0.58 + 0.71 + 0.76 + 0.88 + 0.64) / 9, 4),
    }


def test_summary_of_an_empty_alignment(alignment):
    alignment.pairs = []
    assert summary(alignment)["mean_confidence"] == 0.0


def test_flagged_counts_pairs_not_flags(alignment):
    alignment.pairs[7].flags = [Flag("crossing"), Flag("number-only-in-source")]
    assert summary(alignment)["flagged"] == 3
