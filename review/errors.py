"""Why review refuses an act: one class per kind of refusal, each with its Chinese message
(from the county's ``wording.yaml``, group ``review``)."""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:  # the CLI imports this module on every command: keep it light
    from engine.rulebook import Rulebook


class ReviewError(Exception):
    """A refused act; ``str(exc)`` is the message for the page and the command line."""

    key = ""

    def __init__(self, rulebook: Rulebook, key: str | None = None, /, **values: Any):
        self.values = values
        super().__init__(rulebook.say.text("review", key or self.key, **values))


class NotFound(ReviewError):
    key = "not_found"


class NotInScope(ReviewError):
    """The recommendation is outside the user's units' subtree (pages treat it as not found)."""

    key = "not_in_scope"


class NotAllowed(ReviewError):
    """The user's role may not do this, or the recommendation's state does not allow it."""


class OwnUnit(ReviewError):
    """Staff of a unit never decide their own unit's cases."""

    key = "own_unit"


class StepMissing(ReviewError):
    """A step that must come first has not been recorded."""


class FourEyes(ReviewError):
    key = "four_eyes"


class NotAuthorised(ReviewError):
    """The body named may not decide that form (sanctions.yaml impose / decider)."""

    key = "authority"


class BadInput(ReviewError):
    """A reason, field, form, body or date that is missing or not what it must be."""


class Conflict(ReviewError):
    """The recommendation changed under the act (another reviewer, a nightly run)."""

    key = "conflict"


class NotDecided(ReviewError):
    """A decision document is asked for before the recommendation is approved."""

    key = "not_decided"
