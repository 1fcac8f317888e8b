"""What the demo prints, and the record of every outcome it expected."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

from rich.console import Console
from rich.markup import escape

from nexus.errors import NexusError

OK = "ok"
# How the expected refusals read in the story.
_MEANING = {
    "NexusPermissionError": "refused (NexusPermissionError)",
    "NexusFileNotFoundError": "not found (NexusFileNotFoundError)",
    "NexusConflictError": "conflict (NexusConflictError)",
    "NexusFileExistsError": "already exists (NexusFileExistsError)",
}


@dataclass(frozen=True)
class Outcome:
    """What an attempted action came to: ``ok``, or the NexusError class it raised."""

    name: str
    message: str = ""

    @property
    def ok(self) -> bool:
        return self.name == OK


def attempt(action: Callable[[], object]) -> Outcome:
    """Run ``action``; a NexusError is an outcome, not a crash."""
    try:
        action()
    except NexusError as error:
        return Outcome(type(error).__name__, str(error))
    return Outcome(OK)


@dataclass(frozen=True)
class Check:
    description: str
    passed: bool
    detail: str = ""


class Report:
    """Prints the story as it happens and remembers what was expected of it."""

    def __init__(self, console: Console):
        self.console = console
        self.checks: list[Check] = []
        try:
            "✔✘…".encode(console.encoding)
            self.good, self.bad, self.ellipsis = "✔", "✘", "…"
        except (UnicodeEncodeError, LookupError):
            self.good, self.bad, self.ellipsis = "OK", "FAIL", "..."

    # --- printing -----------------------------------------------------------------------

    def section(self, title: str) -> None:
        self.console.print()
        self.console.rule(f"[bold cyan]{escape(title)}", align="left")

    def say(self, text: str) -> None:
        """A line of narration (rich markup allowed)."""
        self.console.print(text, highlight=False)

    # --- expectations -------------------------------------------------------------------

    def expect(
        self, description: str, passed: bool, detail: str = "", *, quiet: bool = False
    ) -> bool:
        """Record one expected outcome; print it unless ``quiet`` (a table shows it)."""
        self.checks.append(Check(description, passed, detail))
        if passed and not quiet:
            self.say(f"  [green]{self.good}[/] {escape(description)}")
        elif not passed:
            self.say(f"  [bold red]{self.bad} {escape(description)}[/] {escape(detail)}")
        return passed

    def expect_outcome(
        self, description: str, action: Callable[[], object], expected: str = OK
    ) -> Outcome:
        """Attempt ``action``; it must end as ``expected`` (``ok`` or an error class name)."""
        outcome = attempt(action)
        shown = (
            description if expected == OK else f"{description}: {_MEANING.get(expected, expected)}"
        )
        detail = f"(expected {expected}, got {outcome.name}"
        detail += f": {outcome.message})" if outcome.message else ")"
        self.expect(shown, outcome.name == expected, detail)
        return outcome

    @property
    def failures(self) -> list[Check]:
        return [check for check in self.checks if not check.passed]

    def summary(self) -> int:
        """Print the verdict; the exit status (0 when every expected outcome happened)."""
        self.console.print()
        failures = self.failures
        if not failures:
            self.say(
                f"[bold green]{self.good} All {len(self.checks)} expected outcomes happened.[/]"
            )
            return 0
        self.say(
            f"[bold red]{self.bad} {len(failures)} of {len(self.checks)} expected outcomes "
            "did not happen:[/]"
        )
        for check in failures:
            self.say(f"  [red]- {escape(check.description)}[/] {escape(check.detail)}")
        return 1
