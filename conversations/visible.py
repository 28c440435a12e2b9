"""People's text as staff see it (CLI tables, /inbox): a right-to-left override cannot
reorder what surrounds it, and a zero-width character cannot hide in a word.

Each line that holds bidirectional controls is wrapped in FIRST STRONG ISOLATE ... POP
DIRECTIONAL ISOLATE, so whatever the controls do stays inside it (Unicode's bidi algorithm
ends every embedding and override at the isolate's end); an isolate the text leaves open is
closed, and a stray closing one is shown, so the text cannot end the wrapper early.
Zero-width characters are shown as <U+200B>. Pure; what is stored is never changed.
"""

from __future__ import annotations

# Embeddings and overrides, isolates, marks (LRM, RLM, ALM).
BIDI_CONTROLS = frozenset("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069\u200e\u200f\u061c")
ZERO_WIDTH = frozenset("\u200b\u200c\u200d\u2060\ufeff")
_OPENS_ISOLATE = frozenset("\u2066\u2067\u2068")
FSI, PDI = "\u2068", "\u2069"


def for_staff(text: str) -> str:
    """The text with bidi controls isolated and zero-width characters made visible."""
    if not any(ch in BIDI_CONTROLS or ch in ZERO_WIDTH for ch in text):
        return text
    # Per line: a line break ends a bidi paragraph, and with it any isolate.
    return "\n".join(_line_for_staff(line) for line in text.split("\n"))


def _line_for_staff(line: str) -> str:
    shown: list[str] = []
    open_isolates = 0
    for ch in line:
        if ch in ZERO_WIDTH:
            shown.append(_code_point(ch))
        elif ch in _OPENS_ISOLATE:
            open_isolates += 1
            shown.append(ch)
        elif ch == PDI and open_isolates == 0:
            shown.append(_code_point(ch))  # would close our isolate early
        else:
            open_isolates -= ch == PDI
            shown.append(ch)
    body = "".join(shown) + PDI * open_isolates
    return FSI + body + PDI if any(ch in BIDI_CONTROLS for ch in line) else body


def _code_point(ch: str) -> str:
    return f"<U+{ord(ch):04X}>"
