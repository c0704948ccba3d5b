"""`pytest --shard K/N`: run the K-th of N disjoint parts of the collected tests.

`make test-fast` starts N plain pytest processes side by side, one per shard, instead of
pytest-xdist's controller and workers: no per-test messages, no controller process, so about
an eighth less CPU for this suite of many short tests. The parts must not depend on the order in
which a process collected the tests (a parametrization over a set would differ from process to
process), so a test's shard comes from its node id alone: the long tests are dealt out first,
one shard after the other, then the rest, each group in node id order.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from typing import TypeVar

T = TypeVar("T")
_SPEC = re.compile(r"([1-9][0-9]*)/([1-9][0-9]*)")


def parse(spec: str) -> tuple[int, int]:
    """'2/3' -> (2, 3); anything else raises ValueError with the form it expects."""
    found = _SPEC.fullmatch(spec.strip())
    if not found or int(found[1]) > int(found[2]):
        raise ValueError(f"--shard {spec!r}: expected K/N with 1 <= K <= N, e.g. 2/3")
    return int(found[1]), int(found[2])


def pick(
    items: Sequence[T],
    index: int,
    count: int,
    *,
    key: Callable[[T], str],
    long: Callable[[T], bool],
) -> tuple[list[T], list[T]]:
    """(kept, dropped): the items of shard `index` (1-based) of `count`, in their given order.

    Every item is in exactly one shard whatever the order of `items`; the long ones, then the
    others, go round the shards in turn, so each shard gets its share of both.
    """
    dealt = sorted(items, key=lambda item: (not long(item), key(item)))
    mine = {id(item) for item in dealt[index - 1 :: count]}
    kept = [item for item in items if id(item) in mine]
    dropped = [item for item in items if id(item) not in mine]
    return kept, dropped
