"""The servicer context type every call handler and check receives (grpcio's classes are generic in
its stubs only, so the alias exists for the type checker alone)."""

from typing import TYPE_CHECKING, Any

import grpc

if TYPE_CHECKING:
    Context = grpc.aio.ServicerContext[Any, Any]
