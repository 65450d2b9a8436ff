"""Raw text as people paste it or save it, made readable before it is tokenised (helper-94).

- **HTML** (a web page's fragment): where the text holds a closing tag or a ``<br>`` (``a<b and c>d`` is no HTML), the
  text between its tags, a block element (``<p>``, ``<h1>``, ``<li>``, ``<br>`` ...) a paragraph of its own, and nothing of
  ``<script>`` or ``<style>`` (:class:`html.parser.HTMLParser`); character references ending in ``;`` (``&amp;``,
  ``&nbsp;``, ``&#8220;``; not the ``&reg`` of ``?id=5&region=eu``) decoded wherever they are.
- **Windows-1252**: a file saved by Word on Windows reads as latin-1, its quotes and dashes as control characters
  (``\\x93We win\\x94``); those control characters are read as the Windows-1252 characters they stand for (“We win”).
- **An e-mail**: its header lines (``From:``, ``Date:``, ``Subject:`` ..., two at least), contact lines (``Tel:``,
  ``E-mail:``) and quoted reply (``> ...``) are left out: they are not sentences to annotate, and the ranking
  of a pool put them first (helper-94).
- **A word hyphenated at a line break** (text copied from a PDF: ``Tues-`` / ``day``) is joined again where the next
  line goes on in lower case; a compound's usual second part keeps the hyphen (``Washington-`` / ``based``).

What was changed is counted in the reading's notes (:attr:`Cleaned.notes`).
"""
from __future__ import annotations

import html
import re
from collections import Counter
from html.parser import HTMLParser
from typing import NamedTuple

_TAG = re.compile(r"</?(?:a|b|i|u|p|br|hr|div|span|h[1-6]|li|ul|ol|em|strong|small|sub|sup|font|img|table|tr|td|th|thead|"
                  r"tbody|blockquote|pre|code|section|article|header|footer|nav|aside|main|figure|figcaption|html|head|"
                  r"body|title|meta|link|script|style|iframe|center)\b[^<>]*>", re.IGNORECASE)
_HTML = re.compile(r"</[A-Za-z][A-Za-z0-9]*\s*>|<br\s*/?>", re.IGNORECASE)  # a closing tag or a line break: HTML ("a<b and c>d" is not)
_NAMED = r"(?:[A-Za-z][A-Za-z0-9]{1,31}|#[0-9]{1,7}|#[xX][0-9A-Fa-f]{1,6});"  # a character reference after its "&"
_REFERENCE = re.compile("&" + _NAMED)
_BARE_AMPERSAND = re.compile(f"&(?!{_NAMED})")  # "?id=5&region=eu"
_BLOCK = {"p", "br", "hr", "div", "h1", "h2", "h3", "h4", "h5", "h6", "li", "ul", "ol", "table", "tr", "td", "th",
          "blockquote", "pre", "section", "article", "header", "footer", "nav", "aside", "main", "figure", "figcaption",
          "title", "body", "html", "head", "center"}
_HIDDEN = {"script", "style", "head"}
_WINDOWS = str.maketrans({chr(b): bytes([b]).decode("cp1252") for b in range(0x80, 0xA0)
                          if b not in (0x81, 0x8D, 0x8F, 0x90, 0x9D)})  # the five bytes Windows-1252 leaves undefined
_C1 = re.compile("[\x80-\x9f]")
_HYPHEN_BREAK = re.compile(r"(?<=[^\W\d_])-[ \t]*\r?\n[ \t]*(?=([a-zà-ÿ]+))")
_COMPOUND_ENDS = {"based", "backed", "born", "bound", "free", "led", "level", "like", "long", "made", "old", "owned", "related",
                  "run", "style", "term", "time", "wide", "year"}  # "Washington-" / "based" keeps its hyphen
_MAIL_HEADER = re.compile(r"^[ \t]*(?:From|To|Cc|Bcc|Sent|Date|Subject|Reply-To)[ \t]*:.*$", re.MULTILINE | re.IGNORECASE)
_MAIL_OTHER = re.compile(r"^[ \t]*(?:>.*|(?:Tel|Phone|Fax|Mobile|E-?mail)[ \t]*:.*)$", re.MULTILINE | re.IGNORECASE)  # quoted, contact


class Cleaned(NamedTuple):
    text: str
    notes: Counter  # what was changed -> how many


def readable(text: str) -> Cleaned:
    """``text`` with HTML taken out, Windows-1252 characters read as such and hyphenated line breaks joined (above)."""
    notes: Counter = Counter()
    if _C1.search(text):
        notes["control characters read as Windows-1252 quotes and dashes (a file saved on Windows)"] += len(_C1.findall(text))
        text = text.translate(_WINDOWS)
    tags = len(_TAG.findall(text)) if _HTML.search(text) else 0
    if references := len(_REFERENCE.findall(text)):
        notes["HTML character references decoded (&amp; ...)"] += references
    if tags:
        notes["HTML tags taken out"] += tags
        text = _Text.of(_BARE_AMPERSAND.sub("&amp;", text))  # a reference ends in ";" ("&region=eu" holds no "&reg")
    elif references:
        text = _REFERENCE.sub(lambda m: html.unescape(m.group()), text)
    headers = _MAIL_HEADER.findall(text)
    if mail := len(_MAIL_OTHER.findall(text)) + (len(headers) if len(headers) >= 2 else 0):  # "Date: tomorrow" alone: prose
        notes["e-mail header, contact and quoted lines left out"] += mail
        text = _MAIL_OTHER.sub("", _MAIL_HEADER.sub("", text) if len(headers) >= 2 else text)
    if joins := len(_HYPHEN_BREAK.findall(text)):
        notes["words hyphenated at a line break joined"] += joins
        text = _HYPHEN_BREAK.sub(lambda m: "-" if m.group(1) in _COMPOUND_ENDS else "", text)
    return Cleaned(text, notes)


class _Text(HTMLParser):
    """The text of HTML: a block element a paragraph apart; scripts and styles dropped; references decoded."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    @classmethod
    def of(cls, markup: str) -> str:
        parser = cls()
        parser.feed(markup)
        parser.close()
        return re.sub(r"\n[ \t]*\n\s*", "\n\n", "".join(parser.parts)).strip()

    def handle_starttag(self, tag: str, attrs: list) -> None:
        self.hidden += tag in _HIDDEN
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_endtag(self, tag: str) -> None:
        self.hidden -= tag in _HIDDEN and self.hidden > 0
        if tag in _BLOCK:
            self.parts.append("\n\n")

    def handle_data(self, data: str) -> None:
        if not self.hidden:
            self.parts.append(data)
