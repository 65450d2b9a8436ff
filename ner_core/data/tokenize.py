"""Free text -> sentences of tokens, with spaCy's rule-based English tokenizer and sentencizer.

Two rules on top of spaCy's: text that shows nothing (:func:`invisible`: whitespace, zero-width spaces and joiners,
U+FEFF, U+2060 and Unicode's other default-ignorable characters) is no token, as whitespace is not; a token never
ends inside a grapheme cluster (the user-perceived character of Unicode's UAX #29), so an emoji sequence (skin tones,
U+FE0F, ZWJ-joined parts, keycaps, flags) that spaCy splits is merged back into one token; a hashtag stays one
token (``#NYC2026``), as a mention (``@Apple_Inc``) already does: ``#`` is split off only where no word follows it;
and Chinese and Japanese, written without spaces, are read a character a token (as their NER corpora are tagged),
not a clause a token. With a :class:`TokenStyle` (a corpus's, or one a model recorded), hyphenated words and possessives
are kept whole where that corpus writes them so.
"""
from __future__ import annotations

import functools
import unicodedata
from typing import TYPE_CHECKING, Iterable, NamedTuple, Sequence, TypeVar

import regex

if TYPE_CHECKING:
    from spacy.tokens import Doc
    from spacy.tokens import Token as SpacyToken

T = TypeVar("T")
MAX_SENTENCE_TOKENS = 250  # past it, text without sentence punctuation is cut (the default corpus's longest sentence has 104)
_INVISIBLE = regex.compile(r"[\s\x1c-\x1f\p{Default_Ignorable_Code_Point}]*")  # \x1c-\x1f: str.isspace's, not \s's
_SPACES = str.maketrans("\u200b\ufeff", "  ")  # a zero-width space between words separates them ("in\u200bWashington":
# helper-94), as a stray U+FEFF does; a joiner (U+200D, U+2060) joins
_GRAPHEME = regex.compile(r"\X")
_CJK = regex.compile(r"[\p{Han}\p{Hiragana}\p{Katakana}\u3000-\u303f\uff01-\uff0f\uff1a-\uff20\uff3b-\uff40\uff5b-\uff65]")
"""Scripts written without spaces between words, and their punctuation (CJK symbols, full-width marks)."""


class Token(NamedTuple):
    text: str
    start: int  # character offset in the original text


_HYPHENATED = regex.compile(r"\w+(?:-\w+)+")
_POSSESSIVE = regex.compile(r"\w+['’][sS]")


class TokenStyle(NamedTuple):
    """How a corpus tokenises what spaCy splits: a hyphenated word (``long-term``) and a possessive ``'s``
    (``Parkinson's``), kept whole or apart; new text for its dataset is tokenised alike, so that its sentences and the
    corpus's agree (the default, spaCy's: both apart)."""

    hyphens: bool = False  # "long-term" one token, not "long" "-" "term"
    possessives: bool = False  # "Parkinson's" one token, not "Parkinson" "'s"

    @classmethod
    def of(cls, words: Iterable[str]) -> TokenStyle:
        """The style most of ``words`` (a corpus's tokens) follow."""
        whole = apart = attached = split = 0
        for word in words:
            if word == "-":
                apart += 1
            elif word.lower() in ("'s", "’s"):
                split += 1
            elif "-" in word and _HYPHENATED.fullmatch(word):
                whole += 1
            elif "'" in word or "’" in word:
                attached += _POSSESSIVE.fullmatch(word) is not None
        return cls(whole > apart, attached > split)

    def examples(self) -> str:
        """What it keeps whole, by example (``long-term``, ``Parkinson's``; "" for spaCy's style)."""
        return ", ".join(e for e, kept in (("long-term", self.hyphens), ("Parkinson's", self.possessives)) if kept)

    def apply(self, tokens: Sequence[Token]) -> list[Token]:
        """``tokens`` (of one sentence, with offsets) with those spaCy split joined again where this style keeps them
        whole: only tokens with nothing between them in the text (``long - term``, spaced, stays apart)."""
        out: list[Token] = []
        for i, token in enumerate(tokens):
            if out and out[-1].start + len(out[-1].text) == token.start and self._joins(out[-1].text, token, tokens[i + 1:i + 2]):
                out[-1] = Token(out[-1].text + token.text, out[-1].start)
            else:
                out.append(token)
        return out

    def _joins(self, before: str, token: Token, after: Sequence[Token]) -> bool:
        if self.hyphens and (  # a "-" between two words, then the word after it
                token.text == "-" and before[-1:].isalnum() and after and after[0].start == token.start + 1
                and after[0].text[:1].isalnum() or before[-2:-1].isalnum() and before.endswith("-") and token.text[:1].isalnum()):
            return True
        return self.possessives and token.text.lower() in ("'s", "’s") and before[-1:].isalnum()


def invisible(text: str) -> bool:
    """Whether ``text`` shows nothing: only whitespace and default-ignorable characters (zero-width spaces and joiners,
    U+FEFF, U+2060, bidi marks, the soft hyphen, variation selectors: Unicode's format characters but those that
    show, such as U+0600 ARABIC NUMBER SIGN); ``True`` for ``""``."""
    if text.isascii():  # most tokens: ASCII has no default-ignorable character (a tenth of the regex's time)
        return not text.strip()
    return _INVISIBLE.fullmatch(text) is not None


def _inside_graphemes(text: str, starts: list[int], lengths: list[int], spaced: list[int]) -> set[int]:
    """The tokens (by index) that begin inside a grapheme cluster of ``text``, right after the token before (neither
    side whitespace: spaCy's whitespace tokens stay apart)."""
    inside: set[int] = set()
    run = 0  # the first token of a run of tokens with no whitespace between them
    for i in range(1, len(starts) + 1):
        if i < len(starts) and not spaced[i - 1]:
            continue
        chunk = text[starts[run]:starts[i - 1] + lengths[i - 1]]
        if i - run > 1 and not chunk.isascii():
            ends = {starts[run] + m.end() for m in _GRAPHEME.finditer(chunk)}
            inside.update(j for j in range(run + 1, i)
                          if starts[j] not in ends and not (text[starts[j] - 1].isspace() or text[starts[j]].isspace()))
        run = i
    return inside


def _whole_graphemes(doc: Doc) -> Doc:
    """A pipeline component: ``doc`` with the tokens spaCy cut inside a grapheme cluster merged, rebuilt from its words
    and spaces (``doc.retokenize()`` checks each merge against a list of the others: quadratic in an emoji-rich text)."""
    from spacy.attrs import IDX, LENGTH, SPACY
    from spacy.tokens import Doc

    text = doc.text
    if text.isascii():
        return doc
    starts, lengths, spaced = doc.to_array([IDX, LENGTH, SPACY]).T.tolist()
    inside = _inside_graphemes(text, starts, lengths, spaced)
    if not inside:
        return doc
    firsts = [i for i in range(len(doc)) if i not in inside] + [len(doc)]  # the first token of each merged one
    words = [text[starts[a]:starts[b - 1] + lengths[b - 1]] for a, b in zip(firsts, firsts[1:])]
    return Doc(doc.vocab, words=words, spaces=[bool(spaced[b - 1]) for b in firsts[1:]])


def _cjk_characters(doc: Doc) -> Doc:
    """A pipeline component: ``doc`` with each Chinese or Japanese character a token of its own (the rest of a token
    that holds one, such as ``2024年`` or ``iPhone发布``, stays as it was: ``2024`` ``年``)."""
    from spacy.tokens import Doc

    if doc.text.isascii() or not _CJK.search(doc.text):
        return doc
    words, spaces = [], []
    for token in doc:
        pieces = _cjk_pieces(token.text) if _CJK.search(token.text) else [token.text]
        words += pieces
        spaces += [False] * (len(pieces) - 1) + [bool(token.whitespace_)]
    return Doc(doc.vocab, words=words, spaces=spaces)


def _cjk_pieces(text: str) -> list[str]:
    """``text`` cut before and after each grapheme cluster that starts with a Chinese or Japanese character or mark."""
    pieces, run = [], ""
    for grapheme in _GRAPHEME.findall(text):
        if _CJK.match(grapheme):
            pieces += [run, grapheme] if run else [grapheme]
            run = ""
        else:
            run += grapheme
    return pieces + [run] if run else pieces


_LIST_MARKER = regex.compile(r"(?:\d{1,3}|[A-Za-z]|[ivxlcIVXLC]{1,5}) [.)]")  # a list item's number, alone: "1 .", "b )"
_INITIALISM = regex.compile(r"^(?:[^\W\d_]\.){2,}$")  # letters each followed by a full stop: u.s., e.g., a.m.


@functools.lru_cache(maxsize=1)
def _nlp():
    import spacy
    from spacy.language import Language

    nlp = spacy.blank("en")
    prefixes = [p for p in nlp.Defaults.prefixes if p != "#"] + [r"#(?!\w)"]
    nlp.tokenizer.prefix_search = spacy.util.compile_prefix_regex(prefixes).search
    nlp.tokenizer.token_match = _INITIALISM.match  # "u.s." whole, as spaCy keeps "U.S." (lower-cased text split it, and its sentence)
    Language.component("ner_core_whole_graphemes", func=_whole_graphemes)
    nlp.add_pipe("ner_core_whole_graphemes")
    Language.component("ner_core_cjk_characters", func=_cjk_characters)
    nlp.add_pipe("ner_core_cjk_characters")
    nlp.add_pipe("sentencizer")
    nlp.max_length = 5_000_000
    return nlp


def tokenize_with_offsets(text: str, style: TokenStyle | None = None) -> list[list[Token]]:
    """Sentences of visible tokens with their character offsets, in ``style`` (default: spaCy's); ``[]`` for text that
    shows nothing. Hashtags,
    mentions, links and emoji that follow a sentence's end on its line end that sentence, rather than make one of their
    own (``?? 🤔``) or open the next where a capital shows that it begins after them (``!!! #Egypt #travel Which ...``,
    not ``. @jill you too``)."""
    doc = _nlp()(text.translate(_SPACES))  # offsets kept: one character for one
    sentences: list[list[Token]] = []
    for sent in doc.sents:
        visible = [t for t in sent if not invisible(t.text)]
        if not visible:
            continue
        lead = len(visible) if all(_trailing(t, punctuation=True) for t in visible) else next(
            i for i, t in enumerate(visible) if not _trailing(t, punctuation=False))  # tokens that may end the one before
        if lead < len(visible) and not visible[lead].text[:1].isupper():  # "@jill you too": they open this one
            lead = 0
        if sentences and lead and "\n" not in text[sentences[-1][-1].start:visible[lead - 1].idx]:  # on the line before
            sentences[-1].extend(Token(t.text, t.idx) for t in visible[:lead])
            visible = visible[lead:]
        if visible and sentences and len(sentences[-1]) == 2 and _LIST_MARKER.fullmatch(" ".join(t.text for t in sentences[-1])) and (
                "\n" not in text[sentences[-1][-1].start:visible[0].idx]):  # "1. Iran denied it.": one sentence (helper-94)
            sentences[-1].extend(Token(t.text, t.idx) for t in visible)
        elif visible:
            sentences.append([Token(t.text, t.idx) for t in visible])
    return sentences if style is None or style == TokenStyle() else [style.apply(sentence) for sentence in sentences]


def _trailing(token: SpacyToken, punctuation: bool) -> bool:
    """Whether a spaCy token may trail a post's sentence: a hashtag, a mention, a link, an emoji or another symbol, and
    with ``punctuation`` any token without a letter or digit (at a sentence's start, a quote or a bracket opens it)."""
    text = token.text
    if (len(text) > 1 and text[0] in "#@") or token.like_url:
        return True
    if punctuation:
        return not any(c.isalnum() for c in text)
    return all(unicodedata.category(c)[0] in "SM" or unicodedata.category(c) == "Cf" for c in text)


def tokenize(text: str) -> list[list[str]]:
    """Sentences of tokens, each of at most :data:`MAX_SENTENCE_TOKENS` (:func:`even_pieces`); ``[]`` for text that shows nothing."""
    return [[t.text for t in piece] for sentence in tokenize_with_offsets(text) for piece in even_pieces(sentence)]


def even_pieces(items: Sequence[T], limit: int = MAX_SENTENCE_TOKENS) -> list[Sequence[T]]:
    """``items`` (words, or :class:`Token`) whole, or cut into pieces of about even length of at most ``limit`` (no lone "."
    left at the end); each cut moved back by up to a tenth of a piece to fall between two words without a capital, not
    inside a name ("United | Nations" was two entities: helper-94)."""
    cuts, pieces = [0], -(-len(items) // limit)
    while (left := len(items) - cuts[-1]) > limit:  # what is left, in even pieces: no short one at the end (helper-95)
        size = -(-left // max(pieces - len(cuts) + 1, -(-left // limit)))
        even = cuts[-1] + size
        cuts.append(next((cut for cut in range(even, even - size // 10, -1)
                          if not _capital_first(items[cut - 1]) and not _capital_first(items[cut])), even))
    return [items[a:b] for a, b in zip(cuts, [*cuts[1:], len(items)])]


def _capital_first(item: str | Token) -> bool:
    return (item if isinstance(item, str) else item.text)[:1].isupper()


def join_tokens(words: Sequence[str]) -> tuple[str, list[Token]]:
    """Text of ``words`` joined by single spaces, and each word as a :class:`Token` of it."""
    tokens, position = [], 0
    for word in words:
        tokens.append(Token(word, position))
        position += len(word) + 1
    return " ".join(words), tokens
