"""Question text from other systems reduced to the bank's plain text, and the media dropped on the way.

Moodle and GIFT texts are HTML (``<p>``, ``<br>``, entities, images); the bank keeps plain text with
``\\n`` between lines. Block elements and ``<br>`` end a line, runs of spaces collapse as a browser shows
them, and ``<img>``, ``<audio>``, ``<video>``, ``<object>`` … (and links to files embedded in the
question) are dropped and named so that the importer can say which picture a question lost.
"""
from __future__ import annotations

import re
from html import unescape
from html.parser import HTMLParser
from urllib.parse import unquote

_BREAKS = {"br", "hr"}
_BLOCKS = {"p", "div", "li", "ul", "ol", "tr", "table", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote", "pre",
           "dd", "dt", "dl", "section", "article", "header", "footer", "figure", "figcaption", "caption"}
_CELLS = {"td", "th"}
_MEDIA = {"img", "audio", "video", "object", "embed", "iframe", "source", "image"}
_HIDDEN = {"script", "style", "head", "title", "noscript"}
_SPACES = re.compile(r"[ \t\r\n\f\v\xa0\u200b]+")


class _Reducer(HTMLParser):
    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.media: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag in _HIDDEN:
            self.hidden += 1
        elif tag in _BREAKS or tag in _BLOCKS:
            self.parts.append("\n")
        elif tag in _CELLS:
            self.parts.append(" ")
        elif tag in _MEDIA and not self.hidden:
            self.media.append(media_name(dict(attrs)))
        elif tag == "a" and "@@PLUGINFILE@@" in (dict(attrs).get("href") or ""):
            self.media.append(media_name(dict(attrs)))  # a link to a file embedded in the question

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag in _HIDDEN:
            self.hidden -= 1

    def handle_endtag(self, tag: str) -> None:
        if tag in _HIDDEN:
            self.hidden = max(0, self.hidden - 1)
        elif tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(_SPACES.sub(" ", data))


def media_name(attrs: dict[str, str | None]) -> str:
    """A dropped picture or sound as the trainer knows it: its file name, else its alt text."""
    src = (attrs.get("src") or attrs.get("data") or attrs.get("href") or "").strip()
    name = unquote(src.replace("@@PLUGINFILE@@", "").rsplit("/", 1)[-1].split("?", 1)[0]) if src else ""
    return name or (attrs.get("alt") or "").strip() or "(无名称)"


def plain_lines(text: str) -> str:
    """Trim every line and drop empty ones; the shape of every reduced text."""
    return "\n".join(s for line in text.split("\n") if (s := line.strip(" \t\r\f\v\xa0")))


_TAG = re.compile(r"<(/?)([A-Za-z][A-Za-z0-9]*)(?:\s[^<>]*)?/?>")
_TAG_NAME = re.compile(r"</?([A-Za-z][A-Za-z0-9]*)")
_DOUBLE_SPACE = re.compile(r" {2,}")
_NEWLINE = "\ue030"


def _simple_tag(m: re.Match) -> str:
    tag = m.group(2).lower()
    if tag in _BREAKS or tag in _BLOCKS:
        return _NEWLINE
    return " " if tag in _CELLS else ""


def _simple(html: str) -> str | None:
    """The text of HTML made only of formatting tags and entities (most question texts), else None."""
    tags = {m.lower() for m in _TAG_NAME.findall(html)}
    if tags & (_MEDIA | _HIDDEN | {"a"}) or "<!" in html or "<?" in html:
        return None
    text = _TAG.sub(_simple_tag, _SPACES.sub(" ", html))
    if "<" in text or ">" in text:
        return None
    text = _SPACES.sub(" ", unescape(text)).replace(_NEWLINE, "\n")
    return plain_lines(_DOUBLE_SPACE.sub(" ", text))


def html_to_text(html: str) -> tuple[str, list[str]]:
    """(plain text, names of the media elements dropped). Entities are decoded; tags other than media vanish."""
    if "<" not in html and "&" not in html:
        return plain_lines(_SPACES.sub(" ", html)), []
    if (text := _simple(html)) is not None:
        return text, []
    reducer = _Reducer()
    reducer.feed(html)
    reducer.close()
    return plain_lines(_DOUBLE_SPACE.sub(" ", "".join(reducer.parts))), reducer.media
