"""The engine, one sub-package per stage, each importing only those before it:

rulebook/  the county folder loaded and checked (rules, sanctions, labels, wording)
match/     rule plans, the SQL prefilter, findings, the reference evaluator
durable/   the only place that knows durable_rules (the production evaluator)
sanction/  accountable persons, the ladder, 从旧兼从轻, the explanation
run/       one evaluation committed whole, and reading recommendations back
"""
