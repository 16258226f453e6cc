"""Hutong: follow how China's internet platforms connect and disconnect, from the news."""

from __future__ import annotations

from typing import Any

__version__ = "0.1.0"
__all__ = ["time_expressions"]


def __getattr__(name: str) -> Any:
    # hutong.time_expressions without loading the resolver (and OpenCC) for every `import hutong.x`
    if name == "time_expressions":
        from hutong.timex import time_expressions

        return time_expressions
    raise AttributeError(f"module 'hutong' has no attribute {name!r}")
