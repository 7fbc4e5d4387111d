"""dunning-connector: accounts-receivable follow-up on top of an SME's own bookkeeping platform."""

__version__ = "0.1.0"
