"""The fact contract, its store, its readers and ingestion."""
