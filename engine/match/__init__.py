"""Matching: rule plans, the SQL prefilter, the reference evaluator, and findings from matches."""
