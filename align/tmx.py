"""TMX 1.4b: the translation-memory format every CAT tool imports.

Trados, memoQ and OmegaT all read TMX 1.4b, but each is strict about a
different detail: the header must carry every attribute the DTD marks
#REQUIRED, ``xml:lang`` codes should carry a region (``zh-CN``, ``en-US``) or
the TM's language pair will not match the project's, ``srclang`` must equal
the source ``<tuv>``'s code, an empty ``<seg>`` is rejected, and inside
``<tu>``/``<tuv>`` every ``<note>``/``<prop>`` must come before the
``<tuv>``/``<seg>``. The file is built as an lxml tree, so escaping is never
hand-made, and it is UTF-8 without a byte-order mark.

What the aligner knows about each pair (score, flags, sentence ids, mode,
model) travels in ``<prop type="x-...">`` elements, the extension point the
standard reserves for tool-specific data; CAT tools keep them as TU fields.
"""

from __future__ import annotations

import os
import re
from collections.abc import Collection, Mapping
from pathlib import Path

from lxml import etree

from align import __version__
from align.errors import InputError
from align.model import Alignment, Document, Pair, is_chinese
from align.normalise import HAN_CHAR
from align.support import describe

TOOL_NAME = "zhen-align"
TMX_VERSION = "1.4"
ADMIN_LANG = "en-US"
DOCTYPE = '<!DOCTYPE tmx SYSTEM "tmx14.dtd">'
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
DEFAULT_MIN_SCORE = 0.5

# A bare "zh" does not say which locale a CAT project uses; mainland
# Simplified and US English are the usual defaults. Other languages keep
# their bare code, which TMX allows.
DEFAULT_REGIONS = {"zh": "zh-CN", "en": "en-US"}

SCRIPTS = ("original", "simplified")

# Inline elements whose content is native markup (e.g. "<b>"), not text.
INLINE_CODE_TAGS = frozenset({"bpt", "ept", "ph", "it", "ut"})

# Characters XML 1.0 forbids even as references: C0 controls other than tab,
# newline and carriage return, lone surrogates and the two non-characters.
# Scraped text does contain them (form feeds, vertical tabs from word
# processors); lxml refuses them, so they are dropped.
_ILLEGAL_XML = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\ud800-\udfff\ufffe\uffff]")

_LANG_CODE = re.compile(r"[A-Za-z]{2,3}(-[A-Za-z0-9]{2,8})*")


def tmx_lang(lang: str, *, where: str = "language") -> str:
    """The ``xml:lang`` code for ``lang``: ``zh`` → ``zh-CN``, ``zh_tw`` → ``zh-TW``.

    Subtags get their BCP 47 case (language lower, script title, region
    upper) because some CAT tools compare codes literally.
    """
    code = lang.strip().replace("_", "-")
    if not _LANG_CODE.fullmatch(code):
        raise InputError(where, f"not a language code: {lang!r} (expected e.g. zh-CN, en-US)")
    primary, *subtags = code.split("-")
    primary = primary.lower()
    if not subtags:
        return DEFAULT_REGIONS.get(primary, primary)
    return "-".join([primary, *(_case_subtag(s) for s in subtags)])


# Share of a document's Han characters that OpenCC changes to Simplified above which it is
# written in Traditional: ~0 for a Simplified text (a stray variant), ~0.3 for the flagship.
TRADITIONAL_SHARE = 0.05


def _written_as(doc: Document, script: str) -> str:
    """A bare ``zh`` as it will be written: ``zh-TW`` for Traditional exported as read (the
    locale CAT tools file Traditional under), else the language as it is. A region given
    (``zh-HK``) is kept: ``--src-code`` overrides both."""
    if doc.lang.lower() != "zh" or script != "original":
        return doc.lang
    han = changed = 0
    for sentence in doc.sentences:
        if len(sentence.norm) != len(sentence.text):
            continue
        for a, b in zip(sentence.text, sentence.norm):
            if HAN_CHAR.match(a):
                han += 1
                changed += a != b
    return "zh-TW" if han and changed / han > TRADITIONAL_SHARE else doc.lang


def _case_subtag(subtag: str) -> str:
    if len(subtag) == 2:
        return subtag.upper()  # region: TW, CN, US
    if len(subtag) == 4:
        return subtag.title()  # script: Hant, Hans
    return subtag.lower()


def xml_safe(text: str) -> str:
    """``text`` without the characters XML 1.0 cannot carry."""
    return _ILLEGAL_XML.sub("", text)


def bead_text(doc: Document, ids: list[int], *, script: str = "original") -> str:
    """The text of one side of a bead, as a translator should see it.

    A multi-sentence bead is joined with a space, or with nothing for Chinese
    and Japanese. ``script="simplified"`` takes the normalised (Simplified)
    form of Chinese sentences; other languages always keep their text, since
    their ``norm`` is encoder input, not something to export. Characters
    XML cannot carry are dropped here, so every output agrees on the text.
    """
    simplified = script == "simplified" and is_chinese(doc.lang)
    texts = [doc.sentences[i].norm if simplified else doc.sentences[i].text for i in ids]
    parts = [xml_safe(t).strip() for t in texts]
    return doc.joiner.join(p for p in parts if p)


def flag_kinds(pair: Pair) -> list[str]:
    """Distinct flag kinds of a pair, first occurrence first (two numbers, one kind)."""
    return list(dict.fromkeys(f.kind for f in pair.flags))


def to_tmx(
    alignment: Alignment,
    *,
    min_score: float = DEFAULT_MIN_SCORE,
    src_code: str | None = None,
    tgt_code: str | None = None,
    script: str = "original",
    review: Mapping[int, Mapping[str, str]] | None = None,
    pairs: Collection[int] | None = None,
) -> bytes:
    """The alignment as a TMX 1.4b document (UTF-8 bytes, no BOM).

    Only matched pairs with ``score >= min_score`` become translation units,
    and of those only the indices in ``pairs`` when it is given (the review
    app passes the confirmed pairs, with ``min_score=0`` if a reviewer's
    confirmation should override the score). ``review`` maps a pair index to
    ``{"status": ..., "note": ...}``, exported as an ``x-status`` prop and a
    ``<note>``. ``src_code``/``tgt_code`` override the ``xml:lang`` codes
    derived from the documents (e.g. ``zh-TW`` for a Traditional source).
    """
    if script not in SCRIPTS:
        raise InputError("script", f"must be one of {', '.join(SCRIPTS)}, not {script!r}")
    if not 0.0 <= min_score <= 1.0:
        raise InputError("min-score", f"must be between 0 and 1, not {min_score}")
    src_lang = tmx_lang(src_code or _written_as(alignment.source, script), where="--src-code")
    tgt_lang = tmx_lang(tgt_code or _written_as(alignment.target, script), where="--tgt-code")
    notes = {int(k): v for k, v in (review or {}).items()}
    chosen = None if pairs is None else set(pairs)

    root = etree.Element("tmx", version=TMX_VERSION)
    root.append(_header(alignment, src_lang, {"x-script": script, "x-min-score": str(min_score)}))
    body = etree.SubElement(root, "body")
    for index, pair in enumerate(alignment.pairs):
        if not pair.matched or pair.score < min_score:
            continue
        if chosen is not None and index not in chosen:
            continue
        src = bead_text(alignment.source, pair.src, script=script)
        tgt = bead_text(alignment.target, pair.tgt, script=script)
        if src and tgt:
            body.append(_tu(alignment, index, pair, (src_lang, src), (tgt_lang, tgt), notes))
    return etree.tostring(
        root, xml_declaration=True, encoding="UTF-8", pretty_print=True, doctype=DOCTYPE
    )


def _header(alignment: Alignment, src_lang: str, options: dict[str, str]) -> etree._Element:
    """The header, with the run's signature and export options, so any TM can be reproduced."""
    header = etree.Element(
        "header",
        creationtool=TOOL_NAME,
        creationtoolversion=__version__,
        segtype="sentence",
        adminlang=ADMIN_LANG,
        srclang=src_lang,
        datatype="plaintext",
        **{"o-tmf": TOOL_NAME},
    )
    signature = "|".join(f"{k}:{v}" for k, v in sorted(alignment.signature.items()))
    props = {
        "x-model": alignment.model,
        "x-mode": alignment.mode,
        "x-signature": signature,
        "x-source-file": alignment.source.path,
        "x-target-file": alignment.target.path,
        **options,
    }
    for kind, value in props.items():
        _prop(header, kind, value)
    return header


def _tu(
    alignment: Alignment,
    index: int,
    pair: Pair,
    src: tuple[str, str],
    tgt: tuple[str, str],
    notes: Mapping[int, Mapping[str, str]],
) -> etree._Element:
    """One translation unit; the DTD wants its notes and props before the ``<tuv>``s."""
    tu = etree.Element("tu", tuid=str(index))
    reviewed = notes.get(index, {})
    if reviewed.get("note"):
        etree.SubElement(tu, "note").text = xml_safe(str(reviewed["note"]))
    if unsupported := describe(pair):
        etree.SubElement(tu, "note").text = xml_safe(f"unsupported: {unsupported}")
    props = {
        "x-score": f"{pair.score:.4f}",
        "x-flags": ",".join(flag_kinds(pair)),
        "x-src-ids": ",".join(map(str, pair.src)),
        "x-tgt-ids": ",".join(map(str, pair.tgt)),
        "x-mode": alignment.mode,
        "x-model": alignment.model,
    }
    if reviewed.get("status"):
        props["x-status"] = str(reviewed["status"])
    for kind, value in props.items():
        _prop(tu, kind, value)
    for lang, text in (src, tgt):
        tuv = etree.SubElement(tu, "tuv", {XML_LANG: lang})
        etree.SubElement(tuv, "seg").text = text
    return tu


def _prop(parent: etree._Element, kind: str, value: str) -> None:
    etree.SubElement(parent, "prop", type=kind).text = xml_safe(value)


def read_tmx(path: str | os.PathLike) -> list[tuple[str, str]]:
    """The (source, target) segment texts of a TMX file, in file order.

    The source variant is the one in the header's ``srclang`` (the first one
    when it is ``*all*`` or absent); the target is the first other variant.
    Units with fewer than two variants are skipped. Inline codes
    (``<bpt>``, ``<ph>``, ...) hold native markup and are left out of the text.
    """
    root = _parse(path)
    header = root.find("header")
    srclang = (header.get("srclang", "") if header is not None else "").lower()
    segments = []
    for tu in root.iterfind("body/tu"):
        variants = [
            (_tuv_lang(tuv).lower(), _seg_text(tuv.find("seg")))
            for tuv in tu.iterfind("tuv")
            if tuv.find("seg") is not None
        ]
        if len(variants) < 2:
            continue
        langs = [lang for lang, _ in variants]
        s = langs.index(srclang) if srclang in langs else 0
        others = [i for i in range(len(variants)) if i != s]
        t = next((i for i in others if langs[i] != langs[s]), others[0])
        segments.append((variants[s][1], variants[t][1]))
    return segments


def _parse(path: str | os.PathLike) -> etree._Element:
    """Parse without fetching the DTD or expanding entities: input may be hostile."""
    try:
        data = Path(path).read_bytes()
    except OSError as exc:
        raise InputError(str(path), f"cannot read: {exc.strerror or exc}") from exc
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False)
    try:
        root = etree.fromstring(data, parser)
    except etree.XMLSyntaxError as exc:
        raise InputError(str(path), f"not well-formed XML: {exc}") from exc
    if root.tag != "tmx":
        raise InputError(str(path), f"not a TMX file: the root element is <{root.tag}>, not <tmx>")
    return root


def _tuv_lang(tuv: etree._Element) -> str:
    """``xml:lang``, or ``lang`` as TMX 1.1 files (still exported by old tools) spell it."""
    return tuv.get(XML_LANG) or tuv.get("lang") or ""


def _seg_text(element: etree._Element) -> str:
    parts = [element.text or ""]
    for child in element:
        if isinstance(child.tag, str) and child.tag not in INLINE_CODE_TAGS:
            parts.append(_seg_text(child))
        parts.append(child.tail or "")
    return "".join(parts)
