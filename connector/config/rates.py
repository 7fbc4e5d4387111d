"""The statutory interest rate table: the CSV shipped in the package, or one given by the user.

Read here, in the configuration layer, so `connector.legal` stays pure: its calculations take
the table as an argument and never open a file.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import resources
from pathlib import Path

from connector.legal.interest import RateTable

#: where the packaged table lives (data beside the code that documents its format)
PACKAGED_TABLE = ("connector.legal", "data/interest_rates.csv")


def load_rate_table(path: Path | None = None) -> RateTable:
    """The table at `path`, or the packaged one; ValueError names a bad row, OSError a bad file."""
    if path is not None:
        return RateTable.from_csv(path.read_text(encoding="utf-8"))
    package, name = PACKAGED_TABLE
    return RateTable.from_csv(resources.files(package).joinpath(name).read_text(encoding="utf-8"))


@lru_cache(maxsize=1)
def default_rate_table() -> RateTable:
    """The packaged table, parsed once per process."""
    return load_rate_table()
