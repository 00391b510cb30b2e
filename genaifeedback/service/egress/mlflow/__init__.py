"""The MLflow gateway: every call to the tracking server, for one experiment.

`gateway.MlflowGateway` is what the rest of the service holds; behind it, one module per job:
`http` (credentials, the one client, the one function that sends a request and maps failures to
domain errors), `assessments` (feedback writes, reads and deletes), `lookups` (trace infos, client
request ids, the experiment), `trace_metrics` (MLflow's QueryTraceMetrics aggregation),
`trace_scan` (the keyset walk over trace infos), `selection` (which traces, as either filter
syntax), `export` (OTLP trace batches) and `batched_reads` (trace reads shared across callers).
"""
