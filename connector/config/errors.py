"""The one error type of the configuration package.

Every problem is located: the file, the dotted key path inside it and, when the YAML document
could be composed, the line. The message never carries a configured value, so a secret that sits
next to a mistake cannot leak into a log line or a terminal.
"""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path


class ConfigError(Exception):
    """A located configuration problem.

    `str()` reads ``config/clients/acme.yaml: zoho.organization_id: Field required (line 7)``.
    When one file has several problems the first is the error itself and the rest are in `more`;
    `str()` then puts each on its own line, so the operator fixes them in one go.

    Args:
        file: The file (or directory) the problem is in, as the loader was pointed at it.
        key_path: Dotted path of the key (``customers.C-1.profile``, list items by index); empty
            when the problem concerns the whole file.
        message: What is wrong, without the offending value.
        line: 1-based line of the key (or of its parent mapping when the key is missing).
        more: Further problems in the same file.
    """

    def __init__(
        self,
        file: Path,
        key_path: str,
        message: str,
        line: int | None = None,
        more: Sequence[ConfigError] = (),
    ) -> None:
        self.file = Path(file)
        self.key_path = key_path
        self.message = message
        self.line = line
        self.more: tuple[ConfigError, ...] = tuple(more)
        super().__init__(self.describe())

    def describe(self) -> str:
        """This problem alone, on one line (without `more`)."""
        where = f"{self.key_path}: " if self.key_path else ""
        at = f" (line {self.line})" if self.line is not None else ""
        return f"{self.file}: {where}{self.message}{at}"

    @property
    def problems(self) -> tuple[ConfigError, ...]:
        """This problem followed by the others in the same file."""
        return (self, *self.more)

    def __str__(self) -> str:
        return "\n".join(p.describe() for p in self.problems)

    def __reduce__(self) -> tuple[type[ConfigError], tuple[object, ...]]:
        # Picklable across worker processes despite the custom signature.
        return (type(self), (self.file, self.key_path, self.message, self.line, self.more))

    def __repr__(self) -> str:
        return (
            f"ConfigError(file={str(self.file)!r}, key_path={self.key_path!r}, "
            f"message={self.message!r}, line={self.line!r}, more={len(self.more)})"
        )
