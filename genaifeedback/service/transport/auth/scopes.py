"""The scopes: what a policy grants, and what each RPC declares beside its handler
(`@rpc(scope=Scope.FEEDBACK_WRITE)`, calls.py). A method without one stops the start."""

from enum import StrEnum
from typing import Any

from google.protobuf.descriptor import ServiceDescriptor


class Scope(StrEnum):
    CHAT = "chat"
    FEEDBACK_WRITE = "feedback:write"  # SubmitFeedback, SubmitRatings, GetFeedbackStatus
    FEEDBACK_READ = "feedback:read"  # GetFeedback, ListFeedback, ListFeedbackSchemas
    FEEDBACK_CURATE = "feedback:curate"  # CorrectFeedback, DeleteFeedback
    FEEDBACK_ERASE = "feedback:erase"  # EraseFeedbackBySource
    FEEDBACK_TOKEN = "feedback:token"  # CreateFeedbackToken
    ANALYTICS_READ = "analytics:read"  # GetFeedbackSummary, WatchFeedback
    ANALYTICS_EXPORT = "analytics:export"  # ExportFeedback


SCOPE_ATTRIBUTE = "rpc_scope"  # set on each servicer method by calls.rpc


class ScopeError(ValueError):
    """An application method without a declared scope: the service does not start."""


def declared_scope(servicer: type[Any], method_name: str) -> Scope | None:
    """The scope `method_name` declares on this servicer class (None: not declared, or not implemented)."""
    scope = getattr(getattr(servicer, method_name, None), SCOPE_ATTRIBUTE, None)
    return scope if isinstance(scope, Scope) else None


def check_declared(servicers: list[tuple[type[Any], ServiceDescriptor]]) -> dict[str, Scope]:
    """Every method of every service has a scope on its servicer class: the scopes by full method name
    (`/genaifeedback.v1.ChatService/Chat`); raises ScopeError naming each method without one."""
    scopes: dict[str, Scope | None] = {
        f"/{service.full_name}/{method.name}": declared_scope(servicer, method.name)
        for servicer, service in servicers
        for method in service.methods
    }
    missing = sorted(name for name, scope in scopes.items() if scope is None)
    if missing:
        raise ScopeError("every RPC must declare its scope (@rpc(scope=Scope...)); none for: " + ", ".join(missing))
    return {name: scope for name, scope in scopes.items() if scope is not None}
