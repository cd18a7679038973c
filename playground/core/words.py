"""How counts and lists read in a sentence: one place for the English the reports, menus and labs
put around numbers and names, so '1 rows' or a list without its 'and' cannot come back in one of them."""
from __future__ import annotations

from collections.abc import Sequence


def plural(n: int, word: str, many: str = "") -> str:
    """A count and its noun, in agreement: '1 row', '2 rows', '1,234 rows'; `many` for a noun
    whose plural is not word + 's' ('1 class', '3 classes')."""
    return f"{n:,} {word if n == 1 else many or word + 's'}"


def listed(items: Sequence[str], conjunction: str = "and") -> str:
    """Items as one phrase: 'a', 'a, and b', 'a, b, and c' (or 'or' for choices)."""
    if len(items) <= 1:
        return "".join(items)
    return ", ".join(items[:-1]) + f", {conjunction} " + items[-1]
