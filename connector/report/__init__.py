"""`dunning report CLIENT`: where a client's receivables stand, from the store (no API calls)."""

from connector.report.ageing import BUCKETS, Report, build_report, client_report

__all__ = ["BUCKETS", "Report", "build_report", "client_report"]
