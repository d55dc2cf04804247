"""Loads and checks the rulebook, compiles it, evaluates facts, and makes recommendations."""
