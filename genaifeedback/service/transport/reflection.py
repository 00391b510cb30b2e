"""Server reflection with complete descriptors: the .proto comments, and methods as symbols.

grpcio-reflection serves what the generated modules registered, which has no comments (protoc
strips them from Python stubs) and cannot look up a method by name, so `grpcurl describe
genaifeedback.v1.FeedbackService.SubmitFeedback` fails. We keep grpcio-reflection's servicer and
give it a descriptor source built from the descriptor set that `make proto` writes beside the
stubs (with source info). Reflection is served as v1 and as v1alpha: the messages are the same
on the wire, so one servicer answers both.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from importlib import resources
from typing import Any, Protocol

import grpc
from google.protobuf import descriptor_pb2, descriptor_pool, text_format
from google.protobuf.descriptor import Descriptor, FieldDescriptor, FileDescriptor
from grpc_health.v1 import health_pb2
from grpc_reflection.v1alpha import _async as reflection_aio
from grpc_reflection.v1alpha import reflection_pb2

REFLECTION_V1_SERVICE = "grpc.reflection.v1.ServerReflection"
REFLECTION_V1ALPHA_SERVICE = reflection_pb2.DESCRIPTOR.services_by_name["ServerReflection"].full_name
DESCRIPTOR_SET = resources.files("genaifeedback.v1") / "descriptors.binpb"


class _ServedFile:
    """The face of a file descriptor that grpcio-reflection uses: name, dependencies, CopyToProto."""

    def __init__(self, proto: descriptor_pb2.FileDescriptorProto, source: DescriptorSource):
        self._proto = proto
        self._source = source
        self.name = proto.name

    @property
    def dependencies(self) -> list[_ServedFile | FileDescriptor]:
        return [self._source.FindFileByName(name) for name in self._proto.dependency]

    def CopyToProto(self, proto: descriptor_pb2.FileDescriptorProto) -> None:
        proto.CopyFrom(self._proto)


class DescriptorSource:
    """Looks files and symbols up in a descriptor set (extensions: in the default pool)."""

    def __init__(self, descriptor_set: descriptor_pb2.FileDescriptorSet):
        self._fallback = descriptor_pool.Default()
        self._files = {proto.name: _ServedFile(proto, self) for proto in descriptor_set.file}
        self._file_of_symbol = {
            symbol: self._files[proto.name] for proto in descriptor_set.file for symbol in _symbols(proto)
        }

    @classmethod
    def of_the_contract(cls) -> DescriptorSource:
        descriptors = descriptor_pb2.FileDescriptorSet.FromString(DESCRIPTOR_SET.read_bytes())
        for module in (health_pb2, reflection_pb2):  # indexed too, so their methods resolve
            module.DESCRIPTOR.CopyToProto(descriptors.file.add())
        descriptors.file.append(_reflection_v1_file())
        return cls(descriptors)

    def FindFileByName(self, name: str) -> _ServedFile | FileDescriptor:
        return self._files.get(name) or self._fallback.FindFileByName(name)

    def FindFileContainingSymbol(self, symbol: str) -> _ServedFile | FileDescriptor:
        return self._file_of_symbol.get(symbol) or self._fallback.FindFileContainingSymbol(symbol)

    def FindMessageTypeByName(self, name: str) -> Descriptor:
        return self._fallback.FindMessageTypeByName(name)

    def FindExtensionByNumber(self, message: Descriptor, number: int) -> FieldDescriptor:
        return self._fallback.FindExtensionByNumber(message, number)

    def FindAllExtensions(self, message: Descriptor) -> list[FieldDescriptor]:
        return self._fallback.FindAllExtensions(message)


def _reflection_v1_file() -> descriptor_pb2.FileDescriptorProto:
    """reflection v1's file, which grpcio-reflection lacks: v1alpha's under the v1 package (the
    two define the same messages), so that `grpcurl describe` works on every listed service."""
    v1alpha = descriptor_pb2.FileDescriptorProto()
    reflection_pb2.DESCRIPTOR.CopyToProto(v1alpha)
    text = text_format.MessageToString(v1alpha).replace("grpc.reflection.v1alpha", "grpc.reflection.v1")
    v1 = text_format.Parse(text, descriptor_pb2.FileDescriptorProto())
    v1.name = "grpc/reflection/v1/reflection.proto"
    v1.ClearField("options")
    return v1


def _symbols(proto: descriptor_pb2.FileDescriptorProto) -> Iterator[str]:
    prefix = proto.package + "." if proto.package else ""
    for service in proto.service:
        yield prefix + service.name
        for method in service.method:
            yield f"{prefix}{service.name}.{method.name}"
    yield from _type_symbols(prefix, proto.message_type, proto.enum_type)


def _type_symbols(
    prefix: str, messages: Iterable[descriptor_pb2.DescriptorProto], enums: Iterable[descriptor_pb2.EnumDescriptorProto]
) -> Iterator[str]:
    for enum in enums:
        yield prefix + enum.name
        for value in enum.value:  # enum values live in the enclosing scope, as in C++
            yield prefix + value.name
    for message in messages:
        name = prefix + message.name
        yield name
        for field in message.field:
            yield f"{name}.{field.name}"
        yield from _type_symbols(name + ".", message.nested_type, message.enum_type)


class MethodRegistry(Protocol):
    """Where services are added: a grpc.aio.Server, or calls.TolerantServer in front of one."""

    def add_registered_method_handlers(
        self, service_name: str, method_handlers: dict[str, grpc.RpcMethodHandler[Any, Any]]
    ) -> None: ...


def enable_reflection(service_names: Iterable[str], server: MethodRegistry) -> None:
    """Serve reflection (v1 and v1alpha) for these services and for reflection itself."""
    names = (*service_names, REFLECTION_V1_SERVICE, REFLECTION_V1ALPHA_SERVICE)
    servicer = reflection_aio.ReflectionServicer(names, pool=DescriptorSource.of_the_contract())
    handler = grpc.stream_stream_rpc_method_handler(
        servicer.ServerReflectionInfo,
        request_deserializer=reflection_pb2.ServerReflectionRequest.FromString,
        response_serializer=reflection_pb2.ServerReflectionResponse.SerializeToString,
    )
    for service in (REFLECTION_V1_SERVICE, REFLECTION_V1ALPHA_SERVICE):
        server.add_registered_method_handlers(service, {"ServerReflectionInfo": handler})
