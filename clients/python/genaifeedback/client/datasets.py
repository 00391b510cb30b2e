"""Low-rated traces into an MLflow evaluation dataset (`mlflow.genai.datasets`).

Works on exported traces in their JSON form (a line of `feedbackctl export`, or
`json_format.MessageToDict(ExportedTrace, preserving_proto_field_name=True)`). Merging needs the
full `mlflow` package (not a dependency of this client); the rest needs nothing but the standard
library, so that a JSON Lines export can be turned into a dataset wherever `mlflow` is installed.
"""

from __future__ import annotations

import importlib
from types import ModuleType
from typing import Any

DEFAULT_MAX_SCORE = 2.0


def low_rated_because(trace: dict[str, Any], max_score: float = DEFAULT_MAX_SCORE) -> list[str]:
    """Why a trace is low-rated: each current thumbs down (`name=false`) and each numeric score at
    most `max_score` (`name=score`). Empty: it is not."""
    reasons = []
    for feedback in trace.get("feedback", []):
        value = feedback.get("value")
        if value is False:
            reasons.append(f"{feedback['name']}=false")
        elif isinstance(value, int | float) and not isinstance(value, bool) and value <= max_score:
            reasons.append(f"{feedback['name']}={value:g}")
    return reasons


def dataset_record(trace: dict[str, Any], reasons: list[str]) -> dict[str, Any]:
    """One evaluation record: the request as input, the trace and why it was picked as tags."""
    return {
        "inputs": {"request": trace.get("request_preview", "")},
        "tags": {"source_trace_id": trace["trace_id"], "low_rated": "; ".join(reasons)},
    }


def mlflow_datasets() -> ModuleType:
    """`mlflow.genai.datasets`; ImportError without the full mlflow package (mlflow-tracing lacks it)."""
    return importlib.import_module("mlflow.genai.datasets")


def merge_into_dataset(records: list[dict[str, Any]], name: str, experiment_id: str) -> int:
    """Create the dataset (in this experiment) if it does not exist, merge the records into it;
    returns how many records it holds. MLflow's tracking URI comes from `MLFLOW_TRACKING_URI`."""
    datasets = mlflow_datasets()
    found = datasets.search_datasets(experiment_ids=[experiment_id], filter_string=f"name = '{name}'", max_results=1)
    dataset = found[0] if found else datasets.create_dataset(name=name, experiment_id=experiment_id)
    if records:
        dataset.merge_records(records)
    return len(dataset.to_df())
