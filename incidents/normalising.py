"""Text as supplier and monitor matching compare it, and where each piece of it came from.

Pure: no Django. Normalisation: HTML entities decoded, then NFKC and casefold, for posts, aliases
and monitor terms alike. Where that changes lengths ("ß" -> "ss", "&amp;" -> "&"), a post is
normalised piece by piece (an entity, a character with the marks that join it, a run that folds
one to one) and each piece records where it lay in the original (Offsets), so a hit's span can be
given in the original's offsets and always covers whole original characters. Posts that fold one
to one (ASCII without "&", most emoji) keep their offsets as is.
"""

from __future__ import annotations

import html
import re
import unicodedata
from bisect import bisect_right
from collections.abc import Callable
from functools import lru_cache

# Characters whose properties are remembered; the rest are worked out each time (bounds memory
# against posts in every script there is).
_CHARS_REMEMBERED = 20_000
# The same pattern html.unescape uses, so decoding entity by entity equals decoding the whole.
_ENTITY = re.compile(r"&(#[0-9]+;?|#[xX][0-9a-fA-F]+;?|[^\t\n\f <&#;]{1,32};?)")


@lru_cache(maxsize=8192)
def _fold(piece: str) -> str:
    # NFKC again after casefold: folding can produce sequences that NFKC composes differently.
    return unicodedata.normalize("NFKC", unicodedata.normalize("NFKC", piece).casefold())


def _is_mark(char: str) -> bool:
    return unicodedata.category(char)[0] == "M"


def _joins_previous(char: str) -> bool:
    """Whether NFKC may merge ``char`` into the character before it ("e" + U+0301 -> "é")."""
    # Judged on the compatibility decomposition: a half-width sound mark or a compatibility
    # jamo becomes a combining mark or a conjoining jamo.
    first = unicodedata.normalize("NFKD", char)[0]
    return _is_mark(first) or "\u1160" <= first <= "\u11ff"  # or a Hangul vowel or final jamo


class _CharTable(dict[str, bool]):
    """A property of characters, computed once for each character met (up to a bound)."""

    def __init__(self, test: Callable[[str], bool]) -> None:
        super().__init__()
        self._test = test

    def __missing__(self, char: str) -> bool:
        value = self._test(char)
        if len(self) < _CHARS_REMEMBERED:
            self[char] = value
        return value


# Whether a character belongs to a word (letter, digit, mark or "_"): a boundary check is one
# dict lookup, in every script.
# Whether a (normalised) character continues a word: a hit beside one is inside a longer word.
IS_WORD_CHAR = _CharTable(lambda char: char.isalnum() or char == "_" or _is_mark(char))
_JOINS_PREVIOUS = _CharTable(_joins_previous)
_unescape = lru_cache(maxsize=1024)(html.unescape)


def _fold_aligned(segment: str) -> str | None:
    """The folded segment when folding maps every character to exactly one, else None."""
    if not unicodedata.is_normalized("NFKC", segment):
        return None
    folded = segment.casefold()
    # casefold never deletes a character, so equal lengths mean one character for one.
    if len(folded) != len(segment) or not unicodedata.is_normalized("NFKC", folded):
        return None
    return folded


class Offsets:
    """A normalised text built piece by piece, with where each piece lay in the original.

    In an aligned piece characters correspond one to one; otherwise (an entity, a character
    with its marks) each normalised character maps to the whole original piece.
    """

    __slots__ = ("_length", "_norm_starts", "_parts", "_pieces")

    def __init__(self) -> None:
        self._parts: list[str] = []
        self._norm_starts: list[int] = []
        self._pieces: list[tuple[int, int, int, bool]] = []
        self._length = 0

    def add(self, folded: str, begin: int, end: int, aligned: bool) -> None:
        if folded:
            self._parts.append(folded)
            self._norm_starts.append(self._length)
            self._pieces.append((self._length, begin, end, aligned))
            self._length += len(folded)

    def text(self) -> str:
        return "".join(self._parts)

    def original_start(self, index: int) -> int:
        norm_start, begin, _, aligned = self._pieces[bisect_right(self._norm_starts, index) - 1]
        return begin + index - norm_start if aligned else begin

    def original_end(self, index: int) -> int:
        """The original offset just past normalised character ``index - 1``."""
        norm_start, begin, end, aligned = self._pieces[
            bisect_right(self._norm_starts, index - 1) - 1
        ]
        return begin + index - norm_start if aligned else end


def _fold_segment(offsets: Offsets, text: str, begin: int, finish: int) -> None:
    segment = text[begin:finish]
    folded = segment.lower() if segment.isascii() else _fold_aligned(segment)
    if folded is not None:
        offsets.add(folded, begin, finish, aligned=True)
        return
    # Rare (a ligature, an accent written as a combining mark): one cluster at a time.
    cluster_start = begin
    while cluster_start < finish:
        cluster_end = cluster_start + 1
        while cluster_end < finish and _JOINS_PREVIOUS[text[cluster_end]]:
            cluster_end += 1
        offsets.add(_fold(text[cluster_start:cluster_end]), cluster_start, cluster_end, False)
        cluster_start = cluster_end


def normalise_with_offsets(text: str) -> tuple[str, Offsets | None]:
    """The normalised text, and where its characters came from (None: at the same offsets)."""
    offsets = None
    if "&" in text:
        # Entity by entity, as html.unescape scans: each "&" that starts an entity.
        position = 0
        found = text.find("&")
        while found >= 0:
            entity = _ENTITY.match(text, found)
            decoded = _unescape(entity.group()) if entity else None
            if entity is None or decoded == entity.group():
                found = text.find("&", found + 1)
                continue
            if offsets is None:
                offsets = Offsets()
            _fold_segment(offsets, text, position, found)
            position = entity.end()
            offsets.add(_fold(decoded), found, position, aligned=False)
            found = text.find("&", position)
        if offsets is not None:
            _fold_segment(offsets, text, position, len(text))
            return offsets.text(), offsets
    if text.isascii():
        return text.lower(), None
    folded = _fold_aligned(text)
    if folded is not None:
        return folded, None
    offsets = Offsets()
    _fold_segment(offsets, text, 0, len(text))
    return offsets.text(), offsets


def normalise(text: str) -> str:
    """``text`` as the matcher compares it: entities decoded, NFKC, casefolded."""
    return normalise_with_offsets(text)[0]
