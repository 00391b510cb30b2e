"""Process: configuration, start-up and shutdown, the embedded MLflow server, metrics."""
