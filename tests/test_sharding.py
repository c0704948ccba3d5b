"""`--shard K/N` (tests/sharding.py and its hooks in tests/conftest.py): the shards of a run
are disjoint, cover every selected test whatever order a process collected them in, and each
gets its share of the long tests."""

from __future__ import annotations

import random
from types import SimpleNamespace
from typing import Any

import pytest

import conftest
import sharding

IDS = [f"tests/test_{m}.py::test_{t}[{p}]" for m in "abcd" for t in "xyz" for p in range(5)]
LONG = {IDS[3], IDS[17], IDS[40], IDS[58]}


def shard_of(ids: list[str], index: int, count: int) -> list[str]:
    kept, dropped = sharding.pick(ids, index, count, key=str, long=LONG.__contains__)
    assert sorted(kept + dropped) == sorted(ids)
    return kept


@pytest.mark.parametrize("count", [1, 2, 3, 7])
def test_shards_are_disjoint_and_cover_every_test(count: int) -> None:
    shards = [shard_of(IDS, k, count) for k in range(1, count + 1)]
    assert sorted(i for shard in shards for i in shard) == sorted(IDS)
    assert max(map(len, shards)) - min(map(len, shards)) <= 1


def test_collection_order_does_not_move_a_test_to_another_shard() -> None:
    """Processes may collect in different orders (a parametrization over a set)."""
    shuffled = random.Random(7).sample(IDS, len(IDS))
    for k in (1, 2, 3):
        assert sorted(shard_of(shuffled, k, 3)) == sorted(shard_of(IDS, k, 3))


def test_each_shard_keeps_the_given_order() -> None:
    kept = shard_of(IDS, 2, 3)
    assert kept == [i for i in IDS if i in kept]


def test_long_tests_are_dealt_out_first() -> None:
    """Four long tests on three shards: two, one, one; never all on one."""
    counts = [len(LONG & set(shard_of(IDS, k, 3))) for k in (1, 2, 3)]
    assert counts == [2, 1, 1]


@pytest.mark.parametrize("spec", ["0/3", "4/3", "2", "1/0", "a/b", "-1/3", "1/3/5", ""])
def test_bad_spec_is_refused(spec: str) -> None:
    with pytest.raises(ValueError, match=r"expected K/N with 1 <= K <= N"):
        sharding.parse(spec)


def test_good_spec() -> None:
    assert sharding.parse(" 3/3 ") == (3, 3)


# -- the hooks in tests/conftest.py -----------------------------------------------------------


class Item:
    def __init__(self, nodeid: str, *marks: str) -> None:
        self.nodeid, self.marks, self.obj = nodeid, marks, None

    def iter_markers(self, name: str) -> list[str]:
        return [m for m in self.marks if m == name]


class Config:
    """What the two hooks use of pytest's config."""

    def __init__(self, spec: str | None) -> None:
        self.spec, self.stash, self.deselected = spec, {}, []
        self.hook = SimpleNamespace(pytest_deselected=self.deselect)

    def getoption(self, name: str) -> str | None:
        assert name == "shard"
        return self.spec

    def deselect(self, *, items: list[Item]) -> None:
        self.deselected.extend(items)


def configured(spec: str | None) -> Any:
    config = Config(spec)
    conftest.pytest_configure(config)  # type: ignore[arg-type]
    return config


def test_hook_keeps_only_this_shard_and_reports_the_rest_deselected() -> None:
    items = [Item(i, *(["slow"] if i in LONG else [])) for i in IDS]
    config = configured("2/3")
    selected = list(items)
    conftest.pytest_collection_modifyitems(config, selected)
    expected = shard_of(IDS, 2, 3)
    assert sorted(i.nodeid for i in selected) == sorted(expected)
    assert sorted(i.nodeid for i in config.deselected) == sorted(set(IDS) - set(expected))
    long = [i for i in expected if i in LONG]
    assert [i.nodeid for i in selected[: len(long)]] == long  # the long ones first


def test_hook_without_shard_keeps_everything_long_first() -> None:
    items = [Item(i, *(["slow"] if i in LONG else [])) for i in IDS]
    config = configured(None)
    conftest.pytest_collection_modifyitems(config, items)
    assert len(items) == len(IDS)
    assert not config.deselected
    assert {i.nodeid for i in items[:4]} == LONG


def test_hook_refuses_a_bad_spec_as_a_usage_error() -> None:
    with pytest.raises(pytest.UsageError, match="--shard '3/2'"):
        configured("3/2")
