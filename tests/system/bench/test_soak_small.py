"""A small crash and fault campaign (issue #15; `make soak` runs 1,000 trials): kills at outbox
and token steps, a true SIGKILL, 429/5xx/malformed pages, timeouts, SMTP partial refusals and
payments mid-run leave no duplicate mail, no lost refresh token, no reminder to a paid invoice
and no stuck row."""

from __future__ import annotations

from bench.soak import soak


def test_thirty_randomised_trials_send_nothing_twice_lose_nothing_and_leave_nothing_stuck() -> None:
    figures, _seconds = soak(trials=30, seed=7, sigkills=2, jobs=1)
    assert figures.trials == 30
    assert figures.kills + figures.sigkills > 0, "the campaign injected no crash"
    assert (
        figures.duplicates,
        figures.lost_tokens,
        figures.paid_reminded,
        figures.stuck,
    ) == (0, 0, 0, 0), figures.notes
