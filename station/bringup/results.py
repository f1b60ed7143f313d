"""What one bring-up check answers.

    >>> r = Result("clock", "Clock", "pass", "synchronised (timedatectl)", {"synchronised": True})
    >>> Result.from_dict(r.as_dict()) == r
    True
    >>> Result("clock", "Clock", "maybe", "")
    Traceback (most recent call last):
    ...
    ValueError: outcome 'maybe': one of pass, warn, fail, skipped, asked
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

# pass: works; warn: works, but the installer should read why; fail: must be fixed before leaving;
# skipped: nothing to check here (a part not fitted, the demo's simulated camera); asked: a
# question for a person that nobody answered (not a pass: nobody saw it work).
OUTCOMES = ("pass", "warn", "fail", "skipped", "asked")


@dataclass(frozen=True)
class Result:
    """One check: ``name`` (a key), ``title`` (for people), ``outcome`` (:data:`OUTCOMES`),
    ``detail`` (a sentence saying why), ``figures`` (what was measured, JSON values)."""

    name: str
    title: str
    outcome: str
    detail: str
    figures: dict[str, Any] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if self.outcome not in OUTCOMES:
            raise ValueError(f"outcome {self.outcome!r}: one of {', '.join(OUTCOMES)}")

    def as_dict(self) -> dict[str, Any]:
        return {"name": self.name, "title": self.title, "outcome": self.outcome, "detail": self.detail,
                "figures": dict(self.figures)}

    @classmethod
    def from_dict(cls, d: dict[str, Any]) -> Result:
        return cls(str(d["name"]), str(d["title"]), str(d["outcome"]), str(d.get("detail", "")),
                   dict(d.get("figures") or {}))
