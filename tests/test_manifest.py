"""Manifests: the corpus's own manifest.tsv, the same table as CSV and JSON lines, bad rows."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from align.errors import InputError
from align.manifest import PairJob, read_manifest

CORPUS = Path(__file__).resolve().parents[1] / "corpus"
FLAGSHIP_ZH = "001_6e67b410ee902a66.txt"
FLAGSHIP_EN = "003_3cceb59c81ded892.txt"
MFA_2024 = "000_8585149f7048a6d3.txt"


def test_corpus_manifest_lists_the_flagship_pair_with_paths_beside_it():
    jobs = read_manifest(CORPUS / "manifest.tsv")
    assert [j.id for j in jobs] == ["waic2025", "waic2024-vs-2025"]
    flagship = jobs[0]
    assert flagship == PairJob(id="waic2025", source=CORPUS / FLAGSHIP_ZH,
                               target=CORPUS / FLAGSHIP_EN, src_lang="zh", tgt_lang="en",
                               mode="comparable", origin="line 2")
    assert all(j.source.is_file() and j.target.is_file() for j in jobs)
    assert jobs[1].src_lang == jobs[1].tgt_lang == "en"  # nothing hard-wired to zh→en


def write(tmp_path: Path, name: str, text: str) -> Path:
    path = tmp_path / name
    path.write_text(text, encoding="utf-8")
    return path


def test_csv_jsonl_json_and_sniffed_tsv_read_the_same_jobs(tmp_path):
    rows = [{"id": "waic2025", "source": FLAGSHIP_ZH, "target": FLAGSHIP_EN, "src_lang": "zh",
             "tgt_lang": "en", "mode": "comparable"},
            {"source": MFA_2024, "target": FLAGSHIP_EN}]
    csv_text = ("id,source,target,src_lang,tgt_lang,mode\n"
                f"waic2025,{FLAGSHIP_ZH},{FLAGSHIP_EN},zh,en,comparable\n"
                f",{MFA_2024},{FLAGSHIP_EN},,,\n")
    jsonl = "\n".join(json.dumps(r) for r in rows) + "\n\n"
    tsv = csv_text.replace(",", "\t")
    found = [read_manifest(write(tmp_path, "m.csv", csv_text)),
             read_manifest(write(tmp_path, "m.jsonl", jsonl)),
             read_manifest(write(tmp_path, "pairs.txt", tsv)),
             read_manifest(write(tmp_path, "m.json", json.dumps(rows, indent=2)))]
    for jobs in found:
        assert [(j.id, j.source.name, j.target.name, j.src_lang, j.tgt_lang, j.mode)
                for j in jobs] == [
            ("waic2025", FLAGSHIP_ZH, FLAGSHIP_EN, "zh", "en", "comparable"),
            # no id: the source's stem; blank cells: the batch's defaults
            ("000_8585149f7048a6d3", MFA_2024, FLAGSHIP_EN, None, None, None),
        ]
        assert jobs[0].source == tmp_path / FLAGSHIP_ZH  # relative to the manifest


def test_extra_columns_absolute_paths_and_a_spreadsheet_bom_are_fine(tmp_path):
    text = f"\ufeffsource,target,note\n{CORPUS / FLAGSHIP_ZH},{CORPUS / FLAGSHIP_EN},flagship\n"
    (job,) = read_manifest(write(tmp_path, "m.csv", text))
    assert job.source == CORPUS / FLAGSHIP_ZH and job.target == CORPUS / FLAGSHIP_EN


@pytest.mark.parametrize(
    ("name", "text", "problem"),
    [
        ("m.tsv", "id\tsource\twaic\n", "the header has no target column"),
        ("m.csv", "source,target\n", "no pairs listed"),
        ("m.csv", f"source,target\n{FLAGSHIP_ZH},\n", "line 2: no target file given"),
        ("m.csv", f"source,target,mode\n{FLAGSHIP_ZH},{FLAGSHIP_EN},translation\n",
         "line 2: unknown mode 'translation'"),
        ("m.csv", f"source,target\n{FLAGSHIP_ZH},{FLAGSHIP_EN},zh\n",
         "line 2: more fields than the header has columns (2)"),
        ("m.csv", f"id,source,target\na,{FLAGSHIP_ZH},{FLAGSHIP_EN}\na,{MFA_2024},{FLAGSHIP_EN}\n",
         "line 3: id 'a' repeats line 2"),
        ("m.csv", f"id,source,target\n../up,{FLAGSHIP_ZH},{FLAGSHIP_EN}\n",
         "id '../up' is not a usable file name"),
        ("m.csv", f"id,source,target\nbatch,{FLAGSHIP_ZH},{FLAGSHIP_EN}\n",
         "id 'batch' is reserved"),
        ("m.jsonl", '{"source": "a.txt", "target": "b.txt"}\n{"source": "c.txt",\n',
         "line 2: not valid JSON"),
        ("m.jsonl", '"a.txt"\n', "line 1: expected a JSON object"),
        ("m.json", '["a.txt", "b.txt"]\n', "item 1: expected a JSON object"),
        ("m.json", '[{"source": "a.txt", "target": "b.txt"},\n', "line 2: not valid JSON"),
        ("m.csv", "", "the manifest is empty"),
        ("m.csv", "\n \n", "the manifest is empty"),
        ("m.jsonl", '{"source": "a.txt", "target": 7}\n', "line 1: target must be a string"),
    ],
)
def test_bad_manifests_name_the_line_and_the_problem(tmp_path, name, text, problem):
    path = write(tmp_path, name, text)
    with pytest.raises(InputError) as exc:
        read_manifest(path)
    assert exc.value.where == str(path)
    assert problem in exc.value.problem


def test_missing_or_non_utf8_manifest(tmp_path):
    with pytest.raises(InputError, match="no such manifest file"):
        read_manifest(tmp_path / "absent.tsv")
    path = tmp_path / "gbk.csv"
    path.write_bytes(f"source,target\n{FLAGSHIP_ZH},李強.txt\n".encode("gbk"))
    with pytest.raises(InputError, match="not UTF-8 text"):
        read_manifest(path)
