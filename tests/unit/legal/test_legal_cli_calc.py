"""`dunning calc` (connector.cli.calc.app), run in-process with Typer's CliRunner: no subprocess.

The commands must print the amount *and* the calculation (bands, periods), and refuse a period
whose rate is unknown with a clear message and exit code 2 rather than print a guessed amount.
"""

from __future__ import annotations

from pathlib import Path

from typer.testing import CliRunner

from connector.cli.calc import app

runner = CliRunner()


def run(*args: str) -> tuple[int, str, str]:
    result = runner.invoke(app, list(args))
    return result.exit_code, result.stdout, result.stderr


def test_collection_costs_prints_the_bands_and_the_amount() -> None:
    """EUR 3,000 → 15 % of 2,500 = 375 and 10 % of 500 = 50: EUR 425.00 (BIK art. 2)."""
    code, out, _ = run("collection-costs", "--principal", "3000")
    assert code == 0
    assert "15% of €2,500.00" in out and "€375.00" in out
    assert "10% of €500.00" in out and "€50.00" in out
    assert [line.split() for line in out.splitlines() if line.strip().startswith("costs")] == [
        ["costs", "€425.00"]
    ]


def test_several_principals_are_added_up_and_vat_added_on_request() -> None:
    """200 + 300 + 2,400 = 2,900 → 415.00; with 21 % VAT 87.15, total 502.15."""
    code, out, _ = run("collection-costs", "-p", "200", "-p", "300", "-p", "2400", "--vat", "21")
    assert code == 0
    for expected in (
        "invoice 3",
        "€2,900.00",
        "€415.00",
        "VAT 21%",
        "€87.15",
        "€502.15",
    ):
        assert expected in out


def test_minimum_and_maximum_are_shown() -> None:
    assert "minimum applies" in run("collection-costs", "-p", "100")[1]
    assert "maximum applies" in run("collection-costs", "-p", "5000000")[1]


def test_interest_prints_years_periods_and_total() -> None:
    """Reference vector C: 122.82 in year 1 is added to the principal; total 254.24."""
    code, out, _ = run(
        "interest",
        "--principal",
        "1000",
        "--from",
        "2023-06-30",
        "--to",
        "2025-06-30",
        "--kind",
        "commercial",
    )
    assert code == 0
    assert "2023-07-01 .. 2023-12-31  184 d    12%" in out
    assert "€122.82  added to the principal" in out
    assert "on €1,122.82" in out
    assert out.splitlines()[-1].endswith("€254.24")


def test_interest_day_count_option() -> None:
    """Reference vector A with actual/actual: 123.74 instead of 124.08."""
    code, out, _ = run(
        "interest",
        "-p",
        "1000",
        "--from",
        "2023-12-31",
        "--to",
        "2024-12-31",
        "--day-count",
        "actual/actual",
    )
    assert code == 0 and "day count actual/actual" in out and "€123.74" in out


def test_derived_rates_are_marked_in_the_output() -> None:
    code, out, _ = run(
        "interest",
        "-p",
        "1000",
        "--from",
        "2025-01-01",
        "--to",
        "2026-01-01",
        "--kind",
        "consumer",
    )
    assert code == 0
    assert "not yet confirmed" in out and "5%*" in out


def test_unknown_rate_is_a_clear_error_not_an_amount() -> None:
    code, out, err = run("interest", "-p", "1000", "--from", "2026-01-01", "--to", "2026-08-01")
    assert code == 2
    assert out == ""
    assert "no commercial statutory interest rate known for 2026-07-01" in err


def test_strict_refuses_derived_rates() -> None:
    code, _, err = run(
        "interest", "-p", "1000", "--from", "2025-06-30", "--to", "2025-07-31", "--strict"
    )
    assert code == 2 and "derived" in err


def test_custom_rate_table(tmp_path: Path) -> None:
    """--rates lets a human try a corrected table without rebuilding the package."""
    table = tmp_path / "rates.csv"
    table.write_text(
        "kind,valid_from,valid_to,rate_percent,status,source\n"
        "commercial,2030-01-01,2030-12-31,10,confirmed,test\n"
    )
    code, out, _ = run(
        "interest",
        "-p",
        "3650",
        "--from",
        "2029-12-31",
        "--to",
        "2030-01-10",
        "--rates",
        str(table),
    )
    assert code == 0 and out.splitlines()[-1].endswith("€10.00")  # 3,650 × 10 % × 10/365


def test_bad_input_is_reported() -> None:
    assert run("collection-costs", "-p", "abc")[0] == 2
    assert run("collection-costs", "-p", "-5")[0] == 2
    assert run("collection-costs", "-p", "100", "--vat", "0.21")[0] == 2
    code, _, err = run("interest", "-p", "1000", "--from", "2024-13-01", "--to", "2025-01-01")
    assert code == 2 and "YYYY-MM-DD" in err
    code, _, err = run("interest", "-p", "1000", "--from", "2025-01-01", "--to", "2024-01-01")
    assert code == 2 and "before the due date" in err
