"""Warnings with a code: the text is for people, the code is for programs.

A :class:`Notice` is a ``str`` (the sentence a runner reads, as results always carried) with a
``code`` that pages and scripts key on, so that rewording a sentence never changes what a page does.
Results store the texts in ``warnings`` and the codes, in the same order, in ``warning_codes``.
"""

from __future__ import annotations


class Notice(str):
    """A warning's text with its code (``contact_dropped``, ``no_height`` ...)."""

    code: str

    def __new__(cls, code: str, text: str) -> Notice:
        obj = super().__new__(cls, text)
        obj.code = code
        return obj


def code_of(warning: str) -> str:
    """The code of a warning; ``general`` for a plain string."""
    return getattr(warning, "code", "general")


def with_codes(texts: list[str], codes: list[str] | None) -> list[str]:
    """Warnings read back from JSON: each text with its stored code."""
    codes = list(codes or [])
    return [Notice(codes[i], t) if i < len(codes) else t for i, t in enumerate(texts)]
