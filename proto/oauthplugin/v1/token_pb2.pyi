from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class ValidateTokenRequest(_message.Message):
    __slots__ = ("context", "token", "scheme", "dpop", "method", "url")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    SCHEME_FIELD_NUMBER: _ClassVar[int]
    DPOP_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    token: str
    scheme: str
    dpop: _containers.RepeatedScalarFieldContainer[str]
    method: str
    url: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., token: _Optional[str] = ..., scheme: _Optional[str] = ..., dpop: _Optional[_Iterable[str]] = ..., method: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class ValidateTokenResponse(_message.Message):
    __slots__ = ("error", "user_id", "client_id", "scope", "audience", "expires_at", "grant_id", "cacheable", "scopes", "dpop_jkt", "dpop_nonce", "dpop_algs")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    CACHEABLE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    DPOP_JKT_FIELD_NUMBER: _ClassVar[int]
    DPOP_NONCE_FIELD_NUMBER: _ClassVar[int]
    DPOP_ALGS_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    user_id: str
    client_id: str
    scope: str
    audience: str
    expires_at: int
    grant_id: str
    cacheable: bool
    scopes: _containers.RepeatedScalarFieldContainer[str]
    dpop_jkt: str
    dpop_nonce: str
    dpop_algs: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., user_id: _Optional[str] = ..., client_id: _Optional[str] = ..., scope: _Optional[str] = ..., audience: _Optional[str] = ..., expires_at: _Optional[int] = ..., grant_id: _Optional[str] = ..., cacheable: _Optional[bool] = ..., scopes: _Optional[_Iterable[str]] = ..., dpop_jkt: _Optional[str] = ..., dpop_nonce: _Optional[str] = ..., dpop_algs: _Optional[_Iterable[str]] = ...) -> None: ...

class RevokeAccessTokenRequest(_message.Message):
    __slots__ = ("context", "token")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    token: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., token: _Optional[str] = ...) -> None: ...

class RevokeUserRequest(_message.Message):
    __slots__ = ("context", "user_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    user_id: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., user_id: _Optional[str] = ...) -> None: ...
