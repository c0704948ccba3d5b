"""The docs cannot drift from the code: every command of the CLI is in docs/commands.md, and
every error message the code can raise is in docs/commands.md or docs/troubleshooting.md.

Messages are found with ast, not by running the code: every `raise X(...)` and `return X(...)`
in scripts/calsync where X is of the CalSyncError family. Of its message (the first argument: a
string, an f-string, or a module-level string constant) the longest constant piece is the
fragment the docs must contain (`…` in the docs stands for the variable parts).
"""

from __future__ import annotations

import argparse
import ast
import importlib
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

import pytest

import calsync
from calsync.cli.parser import build_parser
from calsync.core.errors import CalSyncError

ROOT = Path(__file__).resolve().parents[1]
PACKAGE = ROOT / "scripts" / "calsync"
COMMANDS = ROOT / "docs" / "commands.md"
TROUBLESHOOTING = ROOT / "docs" / "troubleshooting.md"
MIN_FRAGMENT = 6  # characters: shorter constant pieces ("s: ", " (") say nothing
MAX_WORDS = 8  # of the fragment: enough to be distinctive, short enough to survive "…"
# a message's clauses: the docs may abbreviate around them (`…`, "/ another message")
_CLAUSE = re.compile(r": |; |, | \(|\)|\. ")


@dataclass(frozen=True)
class Message:
    where: str  # path:line
    fragment: str


def _normalize(text: str) -> str:
    """Markdown table escapes and line wrapping do not count."""
    return " ".join(text.replace("\\|", "|").split())


def error_classes() -> set[str]:
    """Names of CalSyncError and every subclass defined anywhere in the package."""
    for info in pkgutil.walk_packages(calsync.__path__, "calsync."):
        importlib.import_module(info.name)
    found, todo = set(), [CalSyncError]
    while todo:
        cls = todo.pop()
        found.add(cls.__name__)
        todo += cls.__subclasses__()
    return found


def _constants(tree: ast.Module) -> dict[str, str]:
    """Module-level NAME = "string" assignments."""
    out = {}
    for node in tree.body:
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Constant | ast.JoinedStr):
            for target in node.targets:
                if isinstance(target, ast.Name):
                    out[target.id] = _fragment(node.value, {})
    return {k: v for k, v in out.items() if v}


def _fragment(arg: ast.expr, constants: dict[str, str]) -> str:
    """The longest constant piece of a message expression ("" when there is none)."""
    if isinstance(arg, ast.Constant) and isinstance(arg.value, str):
        pieces = [arg.value]
    elif isinstance(arg, ast.JoinedStr):
        pieces = [v.value for v in arg.values if isinstance(v, ast.Constant)]
    elif isinstance(arg, ast.Name):
        pieces = [constants.get(arg.id, "")]
    else:
        pieces = []
    clauses = [c.strip() for p in pieces for c in _CLAUSE.split(" ".join(str(p).split()))]
    best = max(clauses, key=lambda c: (len(c.split()), len(c)), default="")
    best = " ".join(best.split()[:MAX_WORDS]).strip("( ;:,.")
    if best.count("(") > best.count(")"):  # "http(s" of a cut clause: keep what is whole
        best = best[: best.rindex("(")].rstrip()
    return best if len(best) >= MIN_FRAGMENT else ""


def messages_in(source: str, where: str, classes: set[str]) -> tuple[list[Message], list[str]]:
    """(messages with a fragment, raise sites without one) of one module's source."""
    tree = ast.parse(source)
    constants = _constants(tree)
    found, blind = [], []
    for node in ast.walk(tree):
        value = node.exc if isinstance(node, ast.Raise) else None
        value = node.value if isinstance(node, ast.Return) else value
        if not isinstance(value, ast.Call) or not value.args:
            continue
        func = value.func
        name = func.id if isinstance(func, ast.Name) else getattr(func, "attr", "")
        if name not in classes:
            continue
        fragment = _fragment(value.args[0], constants)
        site = f"{where}:{node.lineno}"
        if fragment:
            found.append(Message(site, fragment))
        else:
            blind.append(site)
    found.sort(key=lambda m: int(m.where.rsplit(":", 1)[1]))
    return found, blind


def all_messages() -> tuple[list[Message], list[str]]:
    classes = error_classes()
    found: list[Message] = []
    blind: list[str] = []
    for path in sorted(PACKAGE.rglob("*.py")):
        where = str(path.relative_to(ROOT))
        more, less = messages_in(path.read_text(encoding="utf-8"), where, classes)
        found += more
        blind += less
    return found, blind


def undocumented(messages: list[Message], docs: str) -> list[str]:
    text = _normalize(docs)
    return [f"{m.where}: {m.fragment!r}" for m in messages if _normalize(m.fragment) not in text]


def commands(parser: argparse.ArgumentParser, prefix: str = "") -> list[str]:
    """Every command path of the CLI ("sync", "webhooks list", "team-map resolve", ...)."""
    out = []
    for action in parser._actions:  # argparse keeps its tree here
        if isinstance(action, argparse._SubParsersAction):
            for name, sub in action.choices.items():
                path = f"{prefix}{name}"
                nested = commands(sub, path + " ")
                out += nested or [path]
    return out


def _docs() -> str:
    return COMMANDS.read_text(encoding="utf-8") + "\n" + TROUBLESHOOTING.read_text(encoding="utf-8")


def test_every_command_is_in_commands_md():
    text = _normalize(COMMANDS.read_text(encoding="utf-8"))
    found = commands(build_parser())
    assert {"sync", "doctor", "explain", "webhooks list", "team-map resolve"} <= set(found)
    missing = [
        cmd
        for cmd in found
        if not re.search(rf"(`|## |calendly_gcal\.py ){re.escape(cmd)}(?![\w-])", text)
    ]
    assert missing == [], f"commands missing from docs/commands.md: {missing}"


def test_every_error_message_is_documented():
    messages, _ = all_messages()
    assert len(messages) > 100, len(messages)  # the scan really found the raise sites
    missing = undocumented(messages, _docs())
    assert missing == [], "error messages missing from docs/commands.md and " + (
        "docs/troubleshooting.md:\n" + "\n".join(missing)
    )


def test_most_raise_sites_have_a_checkable_message():
    """A message built entirely from variables cannot be checked; keep those few."""
    messages, blind = all_messages()
    assert len(blind) <= len(messages) // 10, blind


SOURCE = """
from calsync.core.errors import ConfigError, TransientError
NOT_SET = "the frobnicator is not configured"
def f(x):
    if x:
        raise ConfigError(f"{x}: a brand-new failure nobody documented")
    if not x:
        raise ConfigError(NOT_SET)
    return TransientError("service wobbled; rerun")
"""


@pytest.mark.parametrize(
    ("docs", "missing"),
    [
        (
            (
                "…: a brand-new failure nobody documented | the frobnicator is not "
                "configured | service wobbled; rerun"
            ),
            [],
        ),
        ("the frobnicator is not configured, service wobbled; rerun", ["a brand-new failure"]),
        ("a brand-new failure nobody documented", ["frobnicator", "service wobbled"]),
    ],
)
def test_the_check_catches_an_undocumented_message(docs, missing):
    """Planted: a raise whose message is in no doc is reported, by place and fragment."""
    messages, blind = messages_in(SOURCE, "planted.py", {"ConfigError", "TransientError"})
    assert [m.fragment for m in messages] == [
        "a brand-new failure nobody documented",
        "the frobnicator is not configured",
        "service wobbled",
    ]
    assert blind == []
    reported = undocumented(messages, docs)
    assert len(reported) == len(missing)
    for line, word in zip(reported, missing, strict=True):
        assert line.startswith("planted.py:")
        assert word in line
