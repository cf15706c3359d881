"""Where the money is: aging, DSO, CEI, reminder success, payment behaviour, cash-in forecast.

`build_report` computes (build.py); `render_html`, `terminal` and `export` only present.
"""

from __future__ import annotations

from connector.reports.behaviour import behaviour_scores
from connector.reports.build import Report, build_report
from connector.reports.kpis import Score

__all__ = ["Report", "Score", "behaviour_scores", "build_report"]
