"""Text rules Novu inherits from JavaScript."""

from __future__ import annotations

# String.prototype.trim's set (ECMA-262 WhiteSpace and LineTerminator): TAB, VT, FF, SP, NBSP,
# ZWNBSP (the BOM), every Unicode "Zs" space, LF, CR, LS, PS. Not Python's str.strip() set,
# which adds U+001C..U+001F and U+0085 and leaves out the BOM (contract D16).
JS_WHITE_SPACE = (
    "\t\n\v\f\r \u00a0\u1680\u2000\u2001\u2002\u2003\u2004\u2005\u2006\u2007\u2008\u2009"
    "\u200a\u2028\u2029\u202f\u205f\u3000\ufeff"
)


def js_trim(text: str) -> str:
    """`text.trim()` as JavaScript computes it."""
    return text.strip(JS_WHITE_SPACE)
