"""Static HTML reports: compliance and data quality, portfolio health, project status pages."""

from __future__ import annotations

from reporting.site import write_reports

__all__ = ["write_reports"]
