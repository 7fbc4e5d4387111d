"""The one money type: a Decimal amount with an ISO 4217 currency, never a float."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import ROUND_HALF_UP, Decimal, InvalidOperation

_CENT = Decimal("0.01")


class CurrencyMismatch(ValueError):
    """Raised when two amounts in different currencies are combined."""


@dataclass(frozen=True, slots=True, order=False)
class Money:
    """An amount of money in one currency, rounded half-up to cents on construction."""

    amount: Decimal
    currency: str

    def __post_init__(self) -> None:
        if not isinstance(self.amount, Decimal):
            raise TypeError(f"Money amount must be Decimal, got {type(self.amount).__name__}")
        if len(self.currency) != 3 or not self.currency.isalpha() or not self.currency.isupper():
            raise ValueError(f"currency must be a 3-letter ISO code, got {self.currency!r}")
        if not self.amount.is_finite():
            raise ValueError(f"not an amount of money: {self.amount}")
        try:
            cents = self.amount.quantize(_CENT, rounding=ROUND_HALF_UP)
        except InvalidOperation:  # more digits than Decimal's precision holds
            raise ValueError(f"not a plausible amount of money: {self.amount:.3e}") from None
        object.__setattr__(self, "amount", cents)

    @classmethod
    def of(cls, amount: str | int | Decimal, currency: str) -> Money:
        """Build from a string/int/Decimal; raises ValueError on anything that is not a number."""
        try:
            value = amount if isinstance(amount, Decimal) else Decimal(str(amount).strip())
        except InvalidOperation as exc:
            raise ValueError(f"not an amount: {amount!r}") from exc
        if not value.is_finite():
            raise ValueError(f"not a finite amount: {amount!r}")
        return cls(value, currency)

    @classmethod
    def zero(cls, currency: str) -> Money:
        return cls(Decimal(0), currency)

    @classmethod
    def from_minor(cls, minor: int, currency: str) -> Money:
        """From integer cents, the form the store keeps (SQLite's Numeric goes through float)."""
        return cls(Decimal(minor) / 100, currency)

    @property
    def minor(self) -> int:
        """Integer cents."""
        return int(self.amount * 100)

    def _check(self, other: Money) -> None:
        if self.currency != other.currency:
            raise CurrencyMismatch(f"{self.currency} vs {other.currency}")

    def __add__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount + other.amount, self.currency)

    def __sub__(self, other: Money) -> Money:
        self._check(other)
        return Money(self.amount - other.amount, self.currency)

    def __neg__(self) -> Money:
        return Money(-self.amount, self.currency)

    def __mul__(self, factor: Decimal | int) -> Money:
        return Money(self.amount * Decimal(factor), self.currency)

    def __lt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount < other.amount

    def __le__(self, other: Money) -> bool:
        self._check(other)
        return self.amount <= other.amount

    def __gt__(self, other: Money) -> bool:
        self._check(other)
        return self.amount > other.amount

    def __ge__(self, other: Money) -> bool:
        self._check(other)
        return self.amount >= other.amount

    def is_positive(self) -> bool:
        return self.amount > 0

    def __str__(self) -> str:
        """As people read it (English; `format_money` for another language)."""
        return format_money(self, "en")


def total(amounts: list[Money], currency: str) -> Money:
    """Sum a list of amounts; an empty list is zero in `currency`."""
    result = Money.zero(currency)
    for m in amounts:
        result = result + m
    return result


#: the babel locale per language the product writes in
LOCALES = {"nl": "nl_NL", "en": "en_GB"}


def format_money(value: Money, language: str = "nl") -> str:
    """The one way money is shown to people, per language (babel): ``€ 1.234,50`` in Dutch,
    ``€1,234.50`` in English; other currencies with their own symbol or code."""
    from babel.numbers import format_currency

    locale = LOCALES.get(language, LOCALES["nl"])
    return str(format_currency(value.amount, value.currency, locale=locale))
