from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RegisterClientRequest(_message.Message):
    __slots__ = ("context", "metadata_json")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    METADATA_JSON_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    metadata_json: bytes
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., metadata_json: _Optional[bytes] = ...) -> None: ...

class RegisterClientResponse(_message.Message):
    __slots__ = ("error", "client_id", "client_secret", "redirect_uris", "token_endpoint_auth_method", "grant_types", "response_types", "scope", "client_name", "client_uri", "client_id_issued_at")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URIS_FIELD_NUMBER: _ClassVar[int]
    TOKEN_ENDPOINT_AUTH_METHOD_FIELD_NUMBER: _ClassVar[int]
    GRANT_TYPES_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_TYPES_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    CLIENT_URI_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_ISSUED_AT_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    client_id: str
    client_secret: str
    redirect_uris: _containers.RepeatedScalarFieldContainer[str]
    token_endpoint_auth_method: str
    grant_types: _containers.RepeatedScalarFieldContainer[str]
    response_types: _containers.RepeatedScalarFieldContainer[str]
    scope: str
    client_name: str
    client_uri: str
    client_id_issued_at: int
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., redirect_uris: _Optional[_Iterable[str]] = ..., token_endpoint_auth_method: _Optional[str] = ..., grant_types: _Optional[_Iterable[str]] = ..., response_types: _Optional[_Iterable[str]] = ..., scope: _Optional[str] = ..., client_name: _Optional[str] = ..., client_uri: _Optional[str] = ..., client_id_issued_at: _Optional[int] = ...) -> None: ...

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
