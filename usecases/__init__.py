"""What users do with the engine, end to end: the operator's nightly run, the policy
officer's rule tests, and what the terminal shows. Each composes the stages below it."""
