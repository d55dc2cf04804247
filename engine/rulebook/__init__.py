"""The rulebook: the county folder loaded, checked and parsed (the first stage of the engine)."""

from engine.errors import RulebookError, RuleError
from engine.rulebook.load import Rulebook, RuleVersion, load_rulebook

__all__ = ["Rulebook", "RuleError", "RulebookError", "RuleVersion", "load_rulebook"]
