"""The kinds of setting values: how each is shown in `plugin.json` and parsed from the configuration JSON.

Every parser takes the raw JSON value (absent keys arrive as None) and the setting's default, and returns the
default for anything missing, null or ill-typed, as Mattermost falls back to its defaults.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Any, Callable


def _as_bool(value: Any, default: bool) -> bool:
    if isinstance(value, bool):
        return value
    if isinstance(value, str):
        lowered = value.strip().lower()
        if lowered == "true":
            return True
        if lowered == "false":
            return False
    return default


def _as_positive_int(value: Any, default: int) -> int:
    if isinstance(value, bool):
        return default
    if isinstance(value, int):
        return value if value > 0 else default
    if isinstance(value, float) and value.is_integer():
        return int(value) if value > 0 else default
    if isinstance(value, str):
        try:
            parsed = int(value.strip())
        except ValueError:
            return default
        return parsed if parsed > 0 else default
    return default


def _as_count(value: Any, default: int) -> int:
    """A whole number >= 0 (0 switches the thing off); anything else is the default."""
    if value == 0 and not isinstance(value, bool):
        return 0
    if isinstance(value, str) and value.strip() == "0":
        return 0
    return _as_positive_int(value, default)


def _as_str(value: Any, default: str) -> str:
    return value if isinstance(value, str) else default


def _as_str_list(value: Any, default: tuple[str, ...]) -> tuple[str, ...]:
    """A JSON array keeps its strings (other items are dropped); anything else is the default."""
    if not isinstance(value, (list, tuple)):
        return default
    return tuple(item for item in value if isinstance(item, str))


@dataclass(frozen=True)
class Kind:
    """A kind of value: `manifest_type` is its `type` in plugin.json's settings_schema (None: not a plugin
    setting type, only found in Mattermost's own configuration), `annotation` the type of its Settings field."""

    name: str
    manifest_type: str | None
    annotation: str
    parse: Callable[[Any, Any], Any]


BOOL = Kind("bool", "bool", "bool", _as_bool)  # true/false, or the strings "true"/"false" in any case
POSITIVE_INT = Kind("positive int", "number", "int", _as_positive_int)  # > 0: 0 and negatives are the default
COUNT = Kind("count", "number", "int", _as_count)  # >= 0, where 0 switches the thing off
TEXT = Kind("text", "text", "str", _as_str)
DROPDOWN = Kind("dropdown", "dropdown", "str", _as_str)  # one of the setting's options
STR_LIST = Kind("string list", None, "tuple[str, ...]", _as_str_list)
