"""IMS QTI 2.1 export: a content package (zip) with ``imsmanifest.xml`` and one ``assessmentItem`` per question.

判断, 单选, 多选 are ``choiceInteraction`` s scored by the ``match_correct`` template (all or nothing, as
the bank grades them); 填空 puts a ``textEntryInteraction`` at each blank, every accepted answer mapped
to one point; 简答 and 案例分析 are ``extendedTextInteraction`` s marked by a person, the reference answer
in a ``rubricBlock`` for scorers. The explanation is a ``rubricBlock`` for tutors. The QTI 2.1 binding
(imsqti_v2p1.xsd) puts an ``itemBody``'s rubric blocks before all its other content, so they open the body.
Lines of a text are ``<p>`` elements (a blank's line keeps its interaction inline).
"""
from __future__ import annotations

import io
import re
import zipfile
from collections.abc import Callable, Iterable
from typing import Any, BinaryIO

from lxml import etree

from question_bank.records import BLANK_RE, OPTION_LETTERS, QuestionRecord, QuestionType

QTI_NS = "http://www.imsglobal.org/xsd/imsqti_v2p1"
QTI_XSD = "http://www.imsglobal.org/xsd/qti/qtiv2p1/imsqti_v2p1.xsd"
CP_NS = "http://www.imsglobal.org/xsd/imscp_v1p1"
CP_XSD = "http://www.imsglobal.org/xsd/imscp_v1p1.xsd"
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XML_LANG = "{http://www.w3.org/XML/1998/namespace}lang"
ITEM_TYPE = "imsqti_item_xmlv2p1"
TEMPLATES = "http://www.imsglobal.org/question/qti_v2p1/rptemplates/"
_NCNAME = re.compile(r"^[A-Za-z_][A-Za-z0-9_.-]*$")
_TRUE_FALSE = (("true", "正确"), ("false", "错误"))


def _q(tag: str) -> str:
    return f"{{{QTI_NS}}}{tag}"


def _sub(parent: Any, tag: str, text: str | None = None, **attrs: str) -> Any:
    el = etree.SubElement(parent, _q(tag), attrs)
    if text is not None:
        el.text = text
    return el


def identifier(key: str, n: int) -> str:
    """The item's identifier: its key when that is an XML name (W05-012), else ``Q`` and its position."""
    return key if _NCNAME.match(key) else f"Q{n:05d}"


def _paragraphs(parent: Any, text: str) -> None:
    for line in text.split("\n"):
        _sub(parent, "p", line)


def _rubric(body: Any, view: str, text: str) -> None:
    """A ``rubricBlock`` for ``view``, after the body's other rubric blocks and before its content."""
    block = etree.Element(_q("rubricBlock"), view=view)
    _paragraphs(block, text)
    body.insert(sum(1 for child in body if child.tag == _q("rubricBlock")), block)


def _declare_score(item: Any) -> None:
    outcome = _sub(item, "outcomeDeclaration", identifier="SCORE", cardinality="single", baseType="float")
    _sub(_sub(outcome, "defaultValue"), "value", "0")


def _choice(item: Any, r: QuestionRecord) -> Any:
    multiple = r.type is QuestionType.MULTIPLE
    if r.type is QuestionType.TRUE_FALSE:
        choices, correct = _TRUE_FALSE, ["true" if r.answer else "false"]
    else:
        choices, correct = tuple(zip(OPTION_LETTERS, r.options, strict=False)), list(r.answer)
    response = _sub(item, "responseDeclaration", identifier="RESPONSE",
                    cardinality="multiple" if multiple else "single", baseType="identifier")
    values = _sub(response, "correctResponse")
    for value in correct:
        _sub(values, "value", value)
    _declare_score(item)
    body = _sub(item, "itemBody")
    _paragraphs(body, r.stem)
    interaction = _sub(body, "choiceInteraction", responseIdentifier="RESPONSE", shuffle="false",
                       maxChoices=str(len(choices)) if multiple else "1")
    for ident, text in choices:
        _sub(interaction, "simpleChoice", text, identifier=ident)
    return body


def _fill(item: Any, r: QuestionRecord) -> Any:
    names = ["RESPONSE"] if len(r.answer) == 1 else [f"RESPONSE_{i}" for i in range(1, len(r.answer) + 1)]
    for name, alternatives in zip(names, r.answer, strict=True):
        response = _sub(item, "responseDeclaration", identifier=name, cardinality="single", baseType="string")
        _sub(_sub(response, "correctResponse"), "value", alternatives[0])
        mapping = _sub(response, "mapping", defaultValue="0")
        for alternative in alternatives:
            _sub(mapping, "mapEntry", mapKey=alternative, mappedValue="1", caseSensitive="false")
    _declare_score(item)
    body = _sub(item, "itemBody")
    gaps = iter(names)
    for line in r.stem.split("\n"):
        p = _sub(body, "p")
        pieces = BLANK_RE.split(line)
        p.text = pieces[0]
        for piece in pieces[1:]:
            gap = _sub(p, "textEntryInteraction", responseIdentifier=next(gaps), expectedLength="12")
            gap.tail = piece
    return body


def _open(item: Any, r: QuestionRecord) -> Any:
    _sub(item, "responseDeclaration", identifier="RESPONSE", cardinality="single", baseType="string")
    _declare_score(item)
    body = _sub(item, "itemBody")
    _paragraphs(body, r.stem)
    _sub(body, "extendedTextInteraction", responseIdentifier="RESPONSE",
         expectedLines="15" if r.type is QuestionType.CASE_STUDY else "6")
    _rubric(body, "scorer", "参考答案:\n" + r.answer)
    return body


_BODIES: dict[QuestionType, tuple[Callable[[Any, QuestionRecord], Any], str | None]] = {
    QuestionType.TRUE_FALSE: (_choice, "match_correct"),
    QuestionType.SINGLE: (_choice, "match_correct"),
    QuestionType.MULTIPLE: (_choice, "match_correct"),
    QuestionType.FILL_BLANK: (_fill, None),
    QuestionType.SHORT_ANSWER: (_open, None),
    QuestionType.CASE_STUDY: (_open, None),
}


def item_xml(r: QuestionRecord, ident: str) -> bytes:
    """One question as a QTI 2.1 ``assessmentItem`` document."""
    item = etree.Element(_q("assessmentItem"), nsmap={None: QTI_NS, "xsi": XSI})
    item.set(f"{{{XSI}}}schemaLocation", f"{QTI_NS} {QTI_XSD}")
    for name, value in (("identifier", ident), ("title", r.key), ("adaptive", "false"), ("timeDependent", "false")):
        item.set(name, value)
    item.set(XML_LANG, "zh-CN")
    build, template = _BODIES[r.type]
    body = build(item, r)
    if r.explanation:
        _rubric(body, "tutor", "解析:\n" + r.explanation)
    if template:
        _sub(item, "responseProcessing", template=TEMPLATES + template)
    elif r.type is QuestionType.FILL_BLANK:
        processing = _sub(item, "responseProcessing")
        if len(r.answer) == 1:
            processing.set("template", TEMPLATES + "map_response")
        else:
            total = _sub(_sub(processing, "setOutcomeValue", identifier="SCORE"), "sum")
            for i in range(1, len(r.answer) + 1):
                _sub(total, "mapResponse", identifier=f"RESPONSE_{i}")
    return etree.tostring(item, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def manifest_xml(items: list[tuple[str, str]]) -> bytes:
    """``imsmanifest.xml`` for (identifier, href) of each item."""
    ns = f"{{{CP_NS}}}"
    manifest = etree.Element(ns + "manifest", nsmap={None: CP_NS, "xsi": XSI}, identifier="MANIFEST-VIP-EXAM")
    manifest.set(f"{{{XSI}}}schemaLocation", f"{CP_NS} {CP_XSD} {QTI_NS} {QTI_XSD}")
    metadata = etree.SubElement(manifest, ns + "metadata")
    etree.SubElement(metadata, ns + "schema").text = "QTIv2.1 Package"
    etree.SubElement(metadata, ns + "schemaversion").text = "1.0.0"
    etree.SubElement(manifest, ns + "organizations")
    resources = etree.SubElement(manifest, ns + "resources")
    for ident, href in items:
        resource = etree.SubElement(resources, ns + "resource", identifier=f"RES-{ident}", type=ITEM_TYPE, href=href)
        etree.SubElement(resource, ns + "file", href=href)
    return etree.tostring(manifest, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def write_qti(records: Iterable[QuestionRecord], out: BinaryIO | None = None) -> bytes | None:
    """The package as zip bytes, or written to ``out``: ``imsmanifest.xml`` and ``items/<identifier>.xml``."""
    target = out if out is not None else io.BytesIO()
    items: list[tuple[str, str]] = []
    used: set[str] = set()
    with zipfile.ZipFile(target, "w", zipfile.ZIP_DEFLATED) as zf:
        for n, r in enumerate(records, 1):
            ident = identifier(r.key, n)
            while ident in used:
                ident += "_"
            used.add(ident)
            href = f"items/{ident}.xml"
            zf.writestr(href, item_xml(r, ident))
            items.append((ident, href))
        zf.writestr("imsmanifest.xml", manifest_xml(items))
    return target.getvalue() if out is None else None
