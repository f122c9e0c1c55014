"""What real files carry around the items: page furniture, tables of contents, site watermarks and the
lines (titles, numbered section headings, closing remarks) that end the item before them.

Everything here works on whole lines, before the items are scanned. Furniture and watermarks are
removed; a line that ends an item is a ``Break``. None of it depends on one document's wording:
page headers are found because they repeat, watermarks because they name a site, titles by the
words that make a title (第二章, 练习题(二), 附录) or because a block of items follows them.
"""
from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence
from dataclasses import dataclass

from question_bank.dumps.patterns import ANSWER_RE, BLOCK_START_RE, CJK_RE, LABEL, NOT_HEADING_RE, VERDICT_RE

_CN = "一二三四五六七八九十"
_SENTENCE_END = "。？?！!；;：:，,、"
_SENTENCE_PUNCT = re.compile(r"[，,。；;？?！!]")

INLINE_FURNITURE_RE = re.compile(
    r"第[ \t]*\d+[ \t]*页[ \t]*[/／,，、]?[ \t]*共[ \t]*\d+[ \t]*页|共[ \t]*\d+[ \t]*页[ \t]*[/／,，、]?[ \t]*第[ \t]*\d+[ \t]*页"
    r"|错误[!！][ \t]*未定义书签[。.]?"
)
#: The page number inside a running header or footer (``培训教材 第3页``), left out when headers are compared.
_PAGE_PART_RE = re.compile(r"第[ \t]*\d{1,4}[ \t]*页|[-—–·•][ \t]*\d{1,4}[ \t]*[-—–·•]|\d{1,4}[ \t]*[/／][ \t]*\d{1,4}"
                           r"|[Pp]age[ \t]*\d+(?:[ \t]*of[ \t]*\d+)?|^[ \t]*\d{1,4}[ \t]+|[ \t]+\d{1,4}[ \t]*$")
LINE_FURNITURE_RE = re.compile(
    r"[ \t]*[-–—•·][ \t]*(?:格式|大小|页数|字数|上传(?:时间|者)?|作者|来源|下载(?:次数)?|浏览(?:次数)?|类型|时间)"
    r"[ \t]*[:：].*"
)
PAGE_NUMBER_RE = re.compile(
    r"[ \t]*(?:(?:[-—–·•][ \t]*)?\d{1,4}(?:[ \t]*[-—–·•])?|\d{1,4}[ \t]*[/／][ \t]*\d{1,4}"
    r"|[Pp]age[ \t]*\d+(?:[ \t]*of[ \t]*\d+)?|第[ \t]*\d{1,4}[ \t]*页(?:[ \t]*[/／,，、]?[ \t]*共[ \t]*\d{1,4}[ \t]*页)?)[ \t]*"
)
_BOOKMARK_RE = re.compile(r"(?P<entry>.*?)[ \t]*错误[!！][ \t]*未定义书签[。.]?[ \t]*")
_LEADER_RE = re.compile(r"(?:\.{3,}|…{2,}|·{3,}|．{3,}|-{4,}|_{4,})[ \t.…·．_-]*(?:\d{1,4}|[ivxIVX]{1,6})[ \t]*$")
_TAB_PAGE_RE = re.compile(r"\t[ \t]*(?:\d{1,4}|[ivxIVX]{1,6})[ \t]*$")
_TOC_HEAD_RE = re.compile(r"[ \t]*目[ \t]*录[ \t]*[:：]?[ \t]*")
#: A rule drawn with dashes, stars or equals signs between question sets.
SEPARATOR_RE = re.compile(r"[ \t]*(?:[-—–_=＝*＊~～·.。…#]|[-—–=][ \t])[-—–_=＝*＊~～·.。…# \t]{3,}")
_OPTION_RE = re.compile(r"(?<![A-Za-z])[A-H][ \t]*[.．、]")

#: Cheap test that a line may hold a site's name, address or plea at all.
_MARK_HINT_RE = re.compile(r"网|文库|搜题|www|http|\.(?:com|cn|net|org)|公众号|微信|QQ|[Aa][Pp][Pp]|小程序", re.I)
_PENDING_ENDS = ("答", "答案", ":", "：", "】", "]")
#: A site's name: enough on its own to call a line a watermark.
_SITE_NAME_RE = re.compile(r"(?:题库|学习|资料|考试|刷题|文档|课件|宝典)网|文库|搜题")
#: A site's address: a watermark beside a site's name, or when the same line recurs (a lone one may be an answer).
_ADDRESS_RE = re.compile(r"www\.|https?://|[A-Za-z0-9-]\.(?:com|cn|net|org)(?![A-Za-z])", re.I)
#: A plea to follow or download: a watermark when it names a channel.
_PROMO_RE = re.compile(r"(?:更多|关注|扫码|扫描|下载|来源|本文|本资料|本文档).{0,20}(?:公众号|微信|QQ|网站|[Aa]pp|APP|小程序)")
_ITEM_AFTER_PREFIX_RE = re.compile(rf"[ \t]*(?P<prefix>\S[^\n]{{1,19}}?)[ \t]*(?=\d{{1,4}}[ \t]*[、.．]|[【\[][ \t]*{LABEL})")

#: Words that make a line a title: chapters and parts, exercise sets, papers, appendices.
_TITLE_RE = re.compile(
    rf"^[ \t]*(?:第[{_CN}百零\d]{{1,4}}[ \t]*(?:章|节|部分|篇|套|单元|模块|讲|课)|(?:模块|专题|单元|附录|附件)[ \t]*"
    rf"(?:[{_CN}\d]{{1,3}}|[A-Z])?(?:[ \t]|[:：、.．]|$))"
    r"|(?:练习题|习题|试题|试卷|题库|测试题|模拟题|真题|复习题|考题|课后练习|随堂练习|专项练习|综合练习|应知应会)"
    r"[ \t]*(?:[(（][^()（）\n]{1,12}[)）])?[ \t]*$"
)
#: "二、维系知识部分": a numbered section heading without a question type.
_CN_SECTION_RE = re.compile(rf"[ \t]*(?P<mark>[{_CN}]{{1,3}})[ \t]*[、.．][ \t]*(?P<text>\S.*?)[ \t]*")
_CN_MARK_RE = re.compile(rf"[ \t]*[{_CN}]{{1,3}}[ \t]*[、.．]")
#: A line that starts an item: a number with a separator or a type label, or a bracketed type label.
_ITEM_LINE_RE = re.compile(
    rf"[ \t]*(?:\d{{1,4}}[ \t]*(?:[、.．](?!\d)|{LABEL})|(?:\d{{1,4}}[ \t]*[、.．]?[ \t]*)?[【\[(（][ \t]*{LABEL}[ \t]*[】\])）])"
)
_LABEL_ONLY_RE = re.compile(rf"[ \t]*(?P<text>{LABEL}[ \t]*(?:[(（][^()（）\n]{{0,30}}[)）])?)[ \t]*[:：]?[ \t]*")
#: What a document says once the questions are over.
_CLOSING_RE = re.compile(
    r"[ \t]*(?:以上(?:为|是|就是)(?:全部|本[套卷章节份])?(?:内容|题目|试题|习题|练习题?|资料)"
    r"|(?:预)?祝(?:您|你|大家|各位|考生).{0,8}(?:考试|学习|工作)?.{0,4}(?:顺利|成功|通过|好成绩)"
    r"|(?:本|该)(?:资料|文档|题库|试卷|练习).{0,20}(?:仅供|来源|整理自))"
)
_RECURRING_MIN = 3
#: a table of contents' entry is a title, leaders and a page number: never a long line
_TOC_LINE_MAX = 120
#: A line ending in an answer label: the next line is the answer (``答案:⏎3``, ``答案:⏎www.189.cn``), never furniture.
ANSWER_PENDING_RE = re.compile(r"(?:答案|答)[ \t]*(?:[:：][ \t]*)?$|答案[】\]][ \t]*$")
_ENUMERATION_LOOKBACK = 12


@dataclass(frozen=True)
class Break:
    """A line that ends the item before it. ``heading`` is where on the line the new block's title stands, None
    when the line only ends the item (a table of contents, a closing remark). A ``strong`` break (a heading a
    block of items follows) ends even an item still waiting for its answer; the others end only an answered item."""

    heading: tuple[int, int] | None
    strong: bool


def heading_like(text: str) -> bool:
    """A short title such as "维系知识判断题": no sentence end, no item structure."""
    s = text.strip()
    return (
        2 <= len(s) <= 40
        and s[-1] not in _SENTENCE_END
        and len(CJK_RE.findall(s)) >= 2
        and not NOT_HEADING_RE.search(s)
    )


# watermarks


def site_marks(lines: Sequence[str]) -> list[str]:
    """Unbracketed watermarks, longest first: a site's name or plea on a line of its own (an address only when it
    recurs), or a site's name before an item's number at a line's start. Each is removed wherever it occurs."""
    found: set[str] = set()
    own = [line.strip() for line in lines]
    counts = Counter(own)
    last = ""
    for line, s in zip(lines, own, strict=True):
        pending, last = last.endswith(_PENDING_ENDS) and ANSWER_PENDING_RE.search(last) is not None, s or last
        if not _MARK_HINT_RE.search(line):
            continue
        m = _ITEM_AFTER_PREFIX_RE.match(line)
        if m is not None:
            prefix = m.group("prefix").strip()
            if len(prefix) >= 4 and _SITE_NAME_RE.search(prefix) and not _SENTENCE_PUNCT.search(prefix):
                found.add(prefix)
        if (len(s) < 4 or pending or len(s) > 40 or _SENTENCE_PUNCT.search(s) or ANSWER_RE.search(s)
                or _ITEM_LINE_RE.match(s)):
            continue
        if _SITE_NAME_RE.search(s) or _PROMO_RE.search(s) or (_ADDRESS_RE.search(s) and counts[s] > 1):
            found.add(s)
            found.update(p for p in s.split() if len(p) >= 4 and (_SITE_NAME_RE.search(p) or _ADDRESS_RE.search(p)))
    return sorted(found, key=len, reverse=True)


def mark_remover(marks: Sequence[str]) -> re.Pattern[str] | None:
    """One pattern removing every mark, with the brackets around it when it has them."""
    if not marks:
        return None
    alts = "|".join(re.escape(m) for m in marks)
    return re.compile(rf"[(（][ \t]*(?:{alts})[ \t]*[)）]|【[ \t]*(?:{alts})[ \t]*】|(?:{alts})")


# furniture


def tables_of_contents(lines: Sequence[str]) -> set[int]:
    """Table-of-contents lines: the word 目录, an entry with dot leaders before its page number, Word's broken
    reference (``一、单项选择题 错误!未定义书签。``), or two or more entries in a row with a tab before the number."""
    out: set[int] = set()
    tabbed: list[int] = []
    for i, line in enumerate(lines):
        tail = line.rstrip()[-1:]
        if len(line) > _TOC_LINE_MAX or not tail or not (tail.isdigit() or tail in "。.ivxIVX录:："):
            continue
        if _toc_entry(line):
            out.add(i)
        elif (m := _TAB_PAGE_RE.search(line)) is not None and _entry_like(line[:m.start()].strip()):
            tabbed.append(i)
    runs = set(tabbed)
    out.update(i for i in tabbed if {_neighbour(lines, i, -1), _neighbour(lines, i, 1)} & (runs | out))
    return out


def _toc_entry(line: str) -> bool:
    if _TOC_HEAD_RE.fullmatch(line):
        return True
    m = _BOOKMARK_RE.fullmatch(line) if "书签" in line else None
    if m is not None:
        entry = m.group("entry").strip()
        return entry == "" or _entry_like(entry)
    m = _LEADER_RE.search(line)
    return m is not None and _entry_like(line[:m.start()].strip())


def _entry_like(text: str) -> bool:
    return (0 < len(text) <= 40 and len(CJK_RE.findall(text)) >= 2 and text[-1] not in _SENTENCE_END
            and not ANSWER_RE.search(text) and not _OPTION_RE.search(text))


def recurring_lines(lines: Sequence[str], page_numbers: set[int]) -> set[int]:
    """Page headers and footers: the same short line (page numbers aside) three times, or twice with a page number
    beside it.

    A line that every time heads a block of items (``课后练习``) is a heading, not furniture."""
    where: dict[str, list[int]] = defaultdict(list)
    for i, line in enumerate(lines):
        s = line.strip()
        if (4 <= len(s) <= 60 and "：" not in s and ":" not in s and not _SENTENCE_PUNCT.search(s)
                and len(CJK_RE.findall(s)) >= 2):
            key = _PAGE_PART_RE.sub("#", s)
            if not NOT_HEADING_RE.search(key.replace("#", "")):
                where[key].append(i)
    out: set[int] = set()
    for found in where.values():
        if len(found) < 2:
            continue
        if len(found) < _RECURRING_MIN and not any(_beside(lines, i, page_numbers) for i in found):
            continue
        if all(BLOCK_START_RE.match(_next_text(lines, i) or "") for i in found):
            continue
        out.update(found)
    return out


def _beside(lines: Sequence[str], i: int, marked: set[int]) -> bool:
    """Whether a marked line (already blanked) is next to line ``i``, with only blank lines between."""
    for step in (-1, 1):
        j = i + step
        while 0 <= j < len(lines) and not lines[j].strip():
            if j in marked:
                return True
            j += step
    return False


def _neighbour(lines: Sequence[str], i: int, step: int) -> int | None:
    j = i + step
    while 0 <= j < len(lines):
        if lines[j].strip():
            return j
        j += step
    return None


def _next_text(lines: Sequence[str], i: int) -> str | None:
    j = _neighbour(lines, i, 1)
    return None if j is None else lines[j]


def _previous_text(lines: Sequence[str], i: int) -> str | None:
    j = _neighbour(lines, i, -1)
    return None if j is None else lines[j]


# breaks


def find_breaks(lines: Sequence[str], tables_of_contents: set[int], separators: set[int]) -> dict[int, Break]:
    """The lines (1-based) that end the item before them, from the cleaned, width-folded lines (which match the
    source character for character); tables of contents and separator rules (0-based, already blanked) only end
    the item."""
    out: dict[int, Break] = {i + 1: Break(None, False) for i in tables_of_contents | separators}
    for i, line in enumerate(lines):
        s = line.strip()
        if not s:
            continue
        if len(s) <= 40 and heading_like(s):
            nxt = _next_text(lines, i)
            if nxt is not None and BLOCK_START_RE.match(nxt):
                out[i + 1] = Break((0, len(line)), True)
                continue
            if _TITLE_RE.search(s):
                out[i + 1] = Break((0, len(line)), False)
                continue
        if len(s) <= 48 and (m := _LABEL_ONLY_RE.fullmatch(line)) is not None:
            out[i + 1] = Break(m.span("text"), False)
        elif s[0] in _CN and (section := _numbered_section(lines, i)) is not None:
            out[i + 1] = Break(section, False)
        elif s[0] in "以祝预本该" and _CLOSING_RE.match(line):
            out[i + 1] = Break(None, False)
    return out


def _numbered_section(lines: Sequence[str], i: int) -> tuple[int, int] | None:
    """``二、维系知识部分`` heading the items that follow it, unless it goes on an enumeration (``一、倾听⏎二、致歉``)
    or follows a line that announces one (``要点如下：``)."""
    m = _CN_SECTION_RE.fullmatch(lines[i])
    if m is None:
        return None
    text = m.group("text")
    if len(text) > 24 or not heading_like(text) or re.search(LABEL, text):
        return None
    nxt, prev = _next_text(lines, i), _previous_text(lines, i)
    if nxt is None or not _ITEM_LINE_RE.match(nxt):
        return None
    if prev is not None and (_CN_MARK_RE.match(prev) or prev.rstrip()[-1:] in ":："):
        return None
    if _continues_enumeration(lines, i, _CN.index(m.group("mark")[0]) if len(m.group("mark")) == 1 else -1):
        return None
    return m.span("text")


def _continues_enumeration(lines: Sequence[str], i: int, value: int) -> bool:
    """``二、`` goes on an enumeration when ``一、`` came shortly before it with no answered item in between."""
    if value < 1:
        return False
    before = re.compile(rf"(?:^|(?:{ANSWER_RE.pattern})[ \t]*){_CN[value - 1]}[ \t]*[、.．]")
    for j in range(i - 1, max(-1, i - _ENUMERATION_LOOKBACK), -1):
        line = lines[j].strip()
        if before.search(line):  # "一、…" on a line of its own or right after the answer's label
            return True
        if ANSWER_RE.search(line) or VERDICT_RE.search(line):
            return False
    return False
