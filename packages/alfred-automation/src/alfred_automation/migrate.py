"""This package's migration branch (label `automation`), applied through core's runner."""

from __future__ import annotations

from pathlib import Path

__all__ = ["VERSIONS"]

VERSIONS = str(Path(__file__).parent / "migrations" / "versions")
"""The folder of the `automation` branch; compose it with `alfred_crm_core.migrate.upgrade`."""
