"""What an agency publishes: the late list (Directive 15) and the monthly scorecard report as
PDF, the late list as CSV, a register as XLSX."""

from reports.render import late_list_csv, register_xlsx, render_late_list, render_monthly_report

__all__ = ["late_list_csv", "register_xlsx", "render_late_list", "render_monthly_report"]
