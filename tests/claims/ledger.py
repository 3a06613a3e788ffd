"""The ledger's data: every claim with its kind of evidence, registered when its section module is imported."""

from __future__ import annotations

import importlib
import pkgutil
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass


@dataclass(frozen=True)
class Claim:
    """The sentence `quote` of the slide headed `slide` (its text, a code comment or its note)."""

    slide: str
    quote: str


@dataclass(frozen=True)
class Tested:
    claim: Claim
    test: str  # module.function of the behaviour test that checks it

    kind = "tested"


@dataclass(frozen=True)
class _Row:
    slide: str
    quote: str

    @property
    def claim(self) -> Claim:
        return Claim(self.slide, self.quote)


@dataclass(frozen=True)
class Shown(_Row):
    """Shown by the deck's block `block` (its snippet name): `text` is in its checked output, or is an
    ``assert`` statement of the block (the deck run fails without it)."""

    block: str
    text: str

    kind = "shown"


@dataclass(frozen=True)
class Docs(_Row):
    """Needs hardware, an OS or a package this machine lacks, or says what docs say: `url` says it,
    and the deck's appendix (its references slides, or this claim's own appendix slide) links it."""

    url: str

    kind = "docs"


Entry = Tested | Shown | Docs
_entries: dict[tuple, Entry] = {}  # keyed, so that importing a module twice registers nothing twice


def _add(entry: Entry) -> None:
    _entries[(type(entry).__name__, *vars(entry).values())] = entry


def claims(*said: Claim) -> Callable:
    """Decorates a behaviour test: it checks each of these sentences."""
    def register(test: Callable) -> Callable:
        test.claims = said
        for claim in said:
            _add(Tested(claim, f"{test.__module__}.{test.__qualname__}"))
        return test
    return register


def shown(*entries: Shown | Docs) -> None:
    """Registers Shown rows (and, as ``docs``, Docs rows)."""
    for entry in entries:
        _add(entry)


docs = shown


def everything() -> list[Entry]:
    """Every registered entry, after importing every section module of this package."""
    package = importlib.import_module(__package__)
    for module in pkgutil.iter_modules(package.__path__):
        if module.name.startswith("test_"):
            importlib.import_module(f"{__package__}.{module.name}")
    return list(_entries.values())


def counts() -> dict[str, int]:
    kinds = Counter(entry.kind for entry in everything())
    return {kind: kinds[kind] for kind in ("shown", "tested", "docs")} | {"total": sum(kinds.values())}
