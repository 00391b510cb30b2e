"""Storage: the journal, this service's durable memory of what MLflow has not confirmed yet."""
