"""The segment report: charts from the marts, one self-contained HTML page, the same charts as PNGs.

`python -m segmentation.report [--warehouse PATH] [--out DIR]` runs after the main job. It reads only
the warehouse (read-only). Three layers, each testable on its own:
- `marts`: the marts as pandas DataFrames (`load_marts`, `Marts`);
- `charts`: chart functions that take DataFrames and return a matplotlib Figure, sentence functions
  that say in one line what a chart shows, and the formatting helpers;
- `page`: `build_report` and `render_html`, which put them together, and the command line.
"""

from segmentation.report.marts import ReportDataError
from segmentation.report.page import ReportResult, build_report, main

__all__ = ["ReportDataError", "ReportResult", "build_report", "main"]
