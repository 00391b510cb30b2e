"""Egress: everything that leaves for MLflow (the gateway, the trace exporter, OTLP encoding)."""
