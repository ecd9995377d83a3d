"""Small query helpers shared by the repositories."""

from __future__ import annotations

__all__ = ["like_pattern"]


def like_pattern(text: str) -> str:
    """`%text%` with LIKE's wildcards in `text` escaped (use with a backslash as `escape`)."""
    escaped = text.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"
