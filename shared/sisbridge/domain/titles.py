"""LineItem titles: fit the vendor's length limit and stay unique within the class.

SISs cut long titles silently (Infinite Campus and Skyward keep about 50 characters), so two
assignments that differ only after character 50 would show up as one name twice in the
gradebook. We cut first, visibly, with "…", and disambiguate collisions with " (2)", " (3)", …
inside the limit. Lengths count Unicode code points; collisions compare case-insensitively, since
some SISs do.

Titles are handed out in the caller's priority order (the exporter uses courseWork creation time,
then id): an older assignment keeps its title when a newer one with the same name appears, so
existing SIS titles do not churn.
"""

from __future__ import annotations

from collections.abc import Iterable

__all__ = ["ELLIPSIS", "MIN_TITLE_LENGTH", "UNTITLED", "normalise_title", "truncate", "unique_titles"]

ELLIPSIS = "…"
UNTITLED = "Untitled assignment"
MIN_TITLE_LENGTH = 8  # room for a word and " (99)"


def normalise_title(title: str | None) -> str:
    """Whitespace runs (newlines, tabs) become one space; a blank title becomes UNTITLED."""
    return " ".join((title or "").split()) or UNTITLED


def truncate(title: str, max_length: int | None) -> str:
    if max_length is None or len(title) <= max_length:
        return title
    if max_length <= len(ELLIPSIS):
        return ELLIPSIS[:max_length]
    return title[: max_length - len(ELLIPSIS)].rstrip() + ELLIPSIS


def unique_titles(items: Iterable[tuple[str, str]], *, max_length: int | None) -> dict[str, str]:
    """Map each `(key, title)` to a title that fits `max_length` and no earlier item holds.

    `items` must be in priority order; keys must be distinct.
    """
    if max_length is not None and max_length < MIN_TITLE_LENGTH:
        raise ValueError(f"title limit {max_length} is below {MIN_TITLE_LENGTH}; cannot keep titles unique")
    taken: set[str] = set()
    out: dict[str, str] = {}
    for key, raw in items:
        if key in out:
            raise ValueError(f"duplicate title key {key!r}")
        base = normalise_title(raw)
        candidate = truncate(base, max_length)
        n = 1
        while candidate.casefold() in taken:
            n += 1
            suffix = f" ({n})"
            room = None if max_length is None else max_length - len(suffix)
            if room is not None and room < 0:
                raise ValueError(f"over {n - 1} titles collide on {base!r} within {max_length} characters")
            candidate = truncate(base, room) + suffix
        taken.add(candidate.casefold())
        out[key] = candidate
    return out
