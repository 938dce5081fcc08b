from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class RequestContext(_message.Message):
    __slots__ = ("request_id", "user_id", "session_id", "permissions", "remote_addr", "is_oauth", "user_agent")
    REQUEST_ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    PERMISSIONS_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ADDR_FIELD_NUMBER: _ClassVar[int]
    IS_OAUTH_FIELD_NUMBER: _ClassVar[int]
    USER_AGENT_FIELD_NUMBER: _ClassVar[int]
    request_id: str
    user_id: str
    session_id: str
    permissions: _containers.RepeatedScalarFieldContainer[str]
    remote_addr: str
    is_oauth: bool
    user_agent: str
    def __init__(self, request_id: _Optional[str] = ..., user_id: _Optional[str] = ..., session_id: _Optional[str] = ..., permissions: _Optional[_Iterable[str]] = ..., remote_addr: _Optional[str] = ..., is_oauth: _Optional[bool] = ..., user_agent: _Optional[str] = ...) -> None: ...

class AppError(_message.Message):
    __slots__ = ("id", "message", "detailed_error", "status_code", "oauth_error", "retry_after_seconds")
    ID_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    DETAILED_ERROR_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    OAUTH_ERROR_FIELD_NUMBER: _ClassVar[int]
    RETRY_AFTER_SECONDS_FIELD_NUMBER: _ClassVar[int]
    id: str
    message: str
    detailed_error: str
    status_code: int
    oauth_error: str
    retry_after_seconds: int
    def __init__(self, id: _Optional[str] = ..., message: _Optional[str] = ..., detailed_error: _Optional[str] = ..., status_code: _Optional[int] = ..., oauth_error: _Optional[str] = ..., retry_after_seconds: _Optional[int] = ...) -> None: ...

class StatusResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: AppError
    def __init__(self, error: _Optional[_Union[AppError, _Mapping]] = ...) -> None: ...

class ClientHttpRequest(_message.Message):
    __slots__ = ("context", "content_type", "body", "authorization", "dpop", "method", "url")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CONTENT_TYPE_FIELD_NUMBER: _ClassVar[int]
    BODY_FIELD_NUMBER: _ClassVar[int]
    AUTHORIZATION_FIELD_NUMBER: _ClassVar[int]
    DPOP_FIELD_NUMBER: _ClassVar[int]
    METHOD_FIELD_NUMBER: _ClassVar[int]
    URL_FIELD_NUMBER: _ClassVar[int]
    context: RequestContext
    content_type: str
    body: bytes
    authorization: str
    dpop: _containers.RepeatedScalarFieldContainer[str]
    method: str
    url: str
    def __init__(self, context: _Optional[_Union[RequestContext, _Mapping]] = ..., content_type: _Optional[str] = ..., body: _Optional[bytes] = ..., authorization: _Optional[str] = ..., dpop: _Optional[_Iterable[str]] = ..., method: _Optional[str] = ..., url: _Optional[str] = ...) -> None: ...

class HttpHeader(_message.Message):
    __slots__ = ("name", "value")
    NAME_FIELD_NUMBER: _ClassVar[int]
    VALUE_FIELD_NUMBER: _ClassVar[int]
    name: str
    value: str
    def __init__(self, name: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...

class HttpAnswer(_message.Message):
    __slots__ = ("status", "headers", "body_json", "revoked_client_id")
    STATUS_FIELD_NUMBER: _ClassVar[int]
    HEADERS_FIELD_NUMBER: _ClassVar[int]
    BODY_JSON_FIELD_NUMBER: _ClassVar[int]
    REVOKED_CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    status: int
    headers: _containers.RepeatedCompositeFieldContainer[HttpHeader]
    body_json: bytes
    revoked_client_id: str
    def __init__(self, status: _Optional[int] = ..., headers: _Optional[_Iterable[_Union[HttpHeader, _Mapping]]] = ..., body_json: _Optional[bytes] = ..., revoked_client_id: _Optional[str] = ...) -> None: ...

class ScopeDescription(_message.Message):
    __slots__ = ("name", "description", "admin_only")
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ADMIN_ONLY_FIELD_NUMBER: _ClassVar[int]
    name: str
    description: str
    admin_only: bool
    def __init__(self, name: _Optional[str] = ..., description: _Optional[str] = ..., admin_only: _Optional[bool] = ...) -> None: ...
