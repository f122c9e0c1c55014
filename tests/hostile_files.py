"""Small hostile uploads built by hand: Office packages whose XML is written directly, so a file of a
million cells or a hundred megabytes of text costs the test almost nothing to make (also used by bench/)."""
from __future__ import annotations

import io
import random
import struct
import zipfile
from collections.abc import Iterable

_CONTENT_TYPES = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
                  '<Types xmlns="http://schemas.openxmlformats.org/package/2006/content-types">'
                  '<Default Extension="rels" ContentType="application/vnd.openxmlformats-package.relationships+xml"/>'
                  '<Default Extension="xml" ContentType="application/xml"/>'
                  '<Override PartName="/{main}" ContentType="{type}"/>{extra}</Types>')
_RELS = ('<?xml version="1.0" encoding="UTF-8" standalone="yes"?>'
         '<Relationships xmlns="http://schemas.openxmlformats.org/package/2006/relationships">{}</Relationships>')
_REL = '<Relationship Id="{id}" Type="http://schemas.openxmlformats.org/officeDocument/2006/relationships/{type}" Target="{target}"/>'
_W = "http://schemas.openxmlformats.org/wordprocessingml/2006/main"
_S = "http://schemas.openxmlformats.org/spreadsheetml/2006/main"


def _package(members: Iterable[tuple[str, bytes | str]], level: int = 9) -> bytes:
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as zf:
        for name, data in members:
            zf.writestr(name, data)
    return out.getvalue()


# --------------------------------------------------------------------------- Word


def docx_package(body_xml: str | bytes, *, extra: Iterable[tuple[str, bytes | str]] = ()) -> bytes:
    """A .docx whose body is ``body_xml`` (the inside of ``<w:body>``)."""
    body = body_xml.encode() if isinstance(body_xml, str) else body_xml
    document = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><w:document xmlns:w="{_W}"><w:body>'.encode()
                + body + b"</w:body></w:document>")
    return _package([
        ("[Content_Types].xml", _CONTENT_TYPES.format(
            main="word/document.xml", extra="",
            type="application/vnd.openxmlformats-officedocument.wordprocessingml.document.main+xml")),
        ("_rels/.rels", _RELS.format(_REL.format(id="rId1", type="officeDocument", target="word/document.xml"))),
        ("word/document.xml", document), *extra])


def paragraphs(lines: Iterable[str]) -> str:
    return "".join(f"<w:p><w:r><w:t>{line}</w:t></w:r></w:p>" for line in lines)


def repeated_text_docx(megabytes: float = 12) -> bytes:
    """The zip bomb-like Word file: one question repeated until the body is ``megabytes`` unpacked (packs ~1000:1)."""
    one = paragraphs(["1、判断题 客户投诉处理的第一步是倾听并安抚客户情绪。( )", "正确答案:对"]).encode()
    return docx_package(one * int(megabytes * 1024 * 1024 / len(one)))


def many_members_docx(count: int) -> bytes:
    return docx_package(paragraphs(["1、判断题 首问负责。()正确答案:对"]),
                        extra=[(f"word/media/image{i}.xml", "<x/>") for i in range(count)])


# --------------------------------------------------------------------------- Excel


def column_letter(n: int) -> str:
    letters = ""
    while n:
        n, r = divmod(n - 1, 26)
        letters = chr(65 + r) + letters
    return letters


def _cell(ref: str, value: object) -> str:
    if value is None:
        return f'<c r="{ref}"/>'
    if isinstance(value, int | float):
        return f'<c r="{ref}"><v>{value}</v></c>'
    return f'<c r="{ref}" t="inlineStr"><is><t>{value}</t></is></c>'


def sheet_xml(rows: Iterable[tuple[int, Iterable[tuple[int, object]]]], dimension: str = "") -> str:
    """``rows``: (row number, [(column number, value), …]); a value of None is an empty cell element."""
    parts = [f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><worksheet xmlns="{_S}">']
    if dimension:
        parts.append(f'<dimension ref="{dimension}"/>')
    parts.append("<sheetData>")
    for number, cells in rows:
        parts.append(f'<row r="{number}">')
        parts.extend(_cell(f"{column_letter(c)}{number}", v) for c, v in cells)
        parts.append("</row>")
    parts.append("</sheetData></worksheet>")
    return "".join(parts)


def xlsx_package(sheet: str | bytes, *, level: int = 9) -> bytes:
    """A one-sheet .xlsx whose first worksheet is ``sheet``."""
    workbook = (f'<?xml version="1.0" encoding="UTF-8" standalone="yes"?><workbook xmlns="{_S}" '
                'xmlns:r="http://schemas.openxmlformats.org/officeDocument/2006/relationships">'
                '<sheets><sheet name="Sheet1" sheetId="1" r:id="rId1"/></sheets></workbook>')
    sheet_type = "application/vnd.openxmlformats-officedocument.spreadsheetml.worksheet+xml"
    return _package([
        ("[Content_Types].xml", _CONTENT_TYPES.format(
            main="xl/workbook.xml", type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet.main+xml",
            extra=f'<Override PartName="/xl/worksheets/sheet1.xml" ContentType="{sheet_type}"/>')),
        ("_rels/.rels", _RELS.format(_REL.format(id="rId1", type="officeDocument", target="xl/workbook.xml"))),
        ("xl/workbook.xml", workbook),
        ("xl/_rels/workbook.xml.rels", _RELS.format(
            _REL.format(id="rId1", type="worksheet", target="worksheets/sheet1.xml"))),
        ("xl/worksheets/sheet1.xml", sheet)], level)


def table_xlsx(header: list[str], rows: Iterable[list[object]], *, dimension: str = "") -> bytes:
    """A plain sheet: ``header`` in row 1, then ``rows``."""
    def numbered() -> Iterable[tuple[int, list[tuple[int, object]]]]:
        yield 1, list(enumerate(header, 1))
        for i, row in enumerate(rows, 2):
            yield i, [(c, v) for c, v in enumerate(row, 1) if v is not None]
    return xlsx_package(sheet_xml(numbered(), dimension))


def huge_dimension_xlsx(header: list[str], rows: list[list[object]]) -> bytes:
    """A short list whose stored dimension claims every cell Excel has (A1:XFD1048576)."""
    return table_xlsx(header, rows, dimension="A1:XFD1048576")


def many_cells_xlsx(cells: int, header: list[str] | None = None, *, width: int = 20) -> bytes:
    """A sheet of ``cells`` distinct numbers, ``width`` to a row (packs about 5:1, so no ratio check stops it)."""
    rng = random.Random(7)
    header = header or ["工号", "上岗日期"]

    def rows() -> Iterable[tuple[int, list[tuple[int, object]]]]:
        yield 1, list(enumerate(header, 1))
        for r in range(cells // width):
            yield r + 2, [(c, rng.randrange(10**9)) for c in range(1, width + 1)]
    return xlsx_package(sheet_xml(rows()), level=1)


def repeated_rows_xlsx(header: list[str], row: list[object], count: int) -> bytes:
    """The same row ``count`` times, written without cell references (as some exporters do): packs ~1000:1."""
    cells = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in row)
    head = "".join(f'<c t="inlineStr"><is><t>{v}</t></is></c>' for v in header)
    return xlsx_package(sheet_xml([]).replace(
        "<sheetData></sheetData>", f"<sheetData><row>{head}</row>{f'<row>{cells}</row>' * count}</sheetData>"))


def far_column_xlsx(header: list[str], rows: list[list[object]], *, column: int = 16384) -> bytes:
    """A list with one value in the sheet's last column (XFD) on its second data row."""
    def numbered() -> Iterable[tuple[int, list[tuple[int, object]]]]:
        yield 1, list(enumerate(header, 1))
        for i, row in enumerate(rows, 2):
            cells = [(c, v) for c, v in enumerate(row, 1) if v is not None]
            yield i, cells + ([(column, "备注")] if i == 3 else [])
    return xlsx_package(sheet_xml(numbered()))


def declared_size(data: bytes, member: str, size: int) -> bytes:
    """``data`` with the central directory claiming ``size`` unpacked bytes for ``member`` (a lying archive)."""
    out = bytearray(data)
    name = member.encode()
    at = out.find(b"PK\x01\x02")
    while at != -1:
        name_length = struct.unpack_from("<H", out, at + 28)[0]
        if bytes(out[at + 46: at + 46 + name_length]) == name:
            struct.pack_into("<I", out, at + 24, size)
            return bytes(out)
        at = out.find(b"PK\x01\x02", at + 46)
    raise ValueError(member)
