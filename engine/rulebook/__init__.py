"""The rulebook: the county folder loaded, checked and parsed (the first stage of the engine)."""

from engine.errors import RulebookError, RuleError
from engine.rulebook.load import CheckReport, Rulebook, RuleVersion, check_rulebook, load_rulebook

__all__ = ["CheckReport", "Rulebook", "RuleError", "RulebookError", "RuleVersion", "check_rulebook",
           "load_rulebook"]
