from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ListScopesRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ...) -> None: ...

class ListScopesResponse(_message.Message):
    __slots__ = ("error", "scopes")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    scopes: _containers.RepeatedCompositeFieldContainer[_common_pb2.ScopeDescription]
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., scopes: _Optional[_Iterable[_Union[_common_pb2.ScopeDescription, _Mapping]]] = ...) -> None: ...

class MetadataRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ...) -> None: ...

class MetadataResponse(_message.Message):
    __slots__ = ("error", "metadata_json")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    metadata_json: bytes
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., metadata_json: _Optional[bytes] = ...) -> None: ...
