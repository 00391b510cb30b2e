"""gRPC service that streams GenAI chat and records feedback as MLflow 3 assessments."""
