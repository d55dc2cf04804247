"""The run: one evaluation of the store, committed whole or not at all, and its read model."""
