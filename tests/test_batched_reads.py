"""The attacher's trace reads: rounds share one MLflow call at a time, and a failed call answers its
own callers without stranding the reads queued behind it (they would wait forever).

The gateway is the real one, talking HTTP over loopback to a server that holds each connection
until the test lets it go, then drops it (as a crashing MLflow would).
"""

import asyncio

import pytest
from mlflow.utils.rest_utils import MlflowHostCreds

from genaifeedback.service.domain.errors import MlflowUnavailable
from genaifeedback.service.egress.mlflow.batched_reads import BatchedReads
from genaifeedback.service.egress.mlflow.gateway import MlflowGateway
from genaifeedback.service.metrics import Metrics


class DroppingServer:
    """Accepts connections, reads the request, and closes without answering once released."""

    def __init__(self) -> None:
        self.connected = asyncio.Event()
        self.release = asyncio.Event()
        self.connections = 0

    async def _handle(self, reader: asyncio.StreamReader, writer: asyncio.StreamWriter) -> None:
        self.connections += 1
        self.connected.set()
        await self.release.wait()
        writer.close()

    async def __aenter__(self) -> str:
        self._server = await asyncio.start_server(self._handle, "127.0.0.1", 0)
        return f"http://127.0.0.1:{self._server.sockets[0].getsockname()[1]}"

    async def __aexit__(self, *exc_info: object) -> None:
        self._server.close()


def test_a_failed_read_fails_its_callers_and_the_reads_queued_behind_it_still_run():
    async def scenario() -> None:
        server = DroppingServer()
        async with server as url:
            gateway = MlflowGateway(MlflowHostCreds(url), "batched-reads", 10, 2)
            reads = BatchedReads(gateway, Metrics())
            first = asyncio.ensure_future(reads.read(["tr-first"]))
            await server.connected.wait()  # the first call is in flight: the next read must queue
            queued = asyncio.ensure_future(reads.read(["tr-queued"]))
            server.release.set()
            with pytest.raises(MlflowUnavailable):
                await asyncio.wait_for(first, 10)
            with pytest.raises(MlflowUnavailable):
                await asyncio.wait_for(queued, 10)
            assert server.connections == 2  # one call per batch: the queued read was not folded into the failed one
            await gateway.close()

    asyncio.run(scenario())
