"""The one documented allow-list of parliament findings, each with why it is a false positive.

An entry matches a finding by issue type, the policy it is in (`Resource/PolicyName`, `*` for
any) and a substring of the finding's detail. Keep it short: every entry is reviewed.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class Allowed:
    """One accepted finding and the reason it is not a real problem."""

    issue: str
    policy: str
    detail: str
    reason: str


ALLOWED: tuple[Allowed, ...] = ()


def allowed_reason(issue: str, policy: str, detail: str) -> str | None:
    """The documented reason when the finding is allow-listed, else None."""
    for entry in ALLOWED:
        if entry.issue == issue and entry.policy in ("*", policy) and entry.detail in detail:
            return entry.reason
    return None
