"""The README's parameter table, generated from `settings.SETTINGS` (a test checks it is current)."""

from __future__ import annotations

from mfstack.settings import SETTINGS, Setting

START = "<!-- parameters:start -->"
END = "<!-- parameters:end -->"


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def _accepts(setting: Setting) -> str:
    if setting.allowed:
        return ", ".join(f"`{v}`" for v in setting.allowed)
    return setting.accepted()


def parameter_table() -> str:
    """A Markdown table: one row per setting (= template parameter), in console group order."""
    rows = [
        "| Parameter | Group | Default | Accepts | Description |",
        "|---|---|---|---|---|",
    ]
    for s in SETTINGS:
        default = f"`{s.default}`" if s.default else "(empty)"
        rows.append(f"| `{s.name}` | {_cell(s.group)} | {_cell(default)} | {_cell(_accepts(s))} | {_cell(s.help)} |")
    return "\n".join(rows) + "\n"


def with_parameter_table(readme: str) -> str:
    """`readme` with the text between the parameter markers replaced by the current table."""
    if START not in readme or END not in readme:
        raise ValueError(f"README has no {START} ... {END} markers")
    head, rest = readme.split(START, 1)
    _, tail = rest.split(END, 1)
    return f"{head}{START}\n{parameter_table()}{END}{tail}"
