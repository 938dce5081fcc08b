from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuditEvent(_message.Message):
    __slots__ = ("id", "create_at", "type", "user_id", "client_id", "grant_id", "remote_addr", "detail_json")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_AT_FIELD_NUMBER: _ClassVar[int]
    TYPE_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    REMOTE_ADDR_FIELD_NUMBER: _ClassVar[int]
    DETAIL_JSON_FIELD_NUMBER: _ClassVar[int]
    id: str
    create_at: int
    type: str
    user_id: str
    client_id: str
    grant_id: str
    remote_addr: str
    detail_json: bytes
    def __init__(self, id: _Optional[str] = ..., create_at: _Optional[int] = ..., type: _Optional[str] = ..., user_id: _Optional[str] = ..., client_id: _Optional[str] = ..., grant_id: _Optional[str] = ..., remote_addr: _Optional[str] = ..., detail_json: _Optional[bytes] = ...) -> None: ...

class ListAuditEventsRequest(_message.Message):
    __slots__ = ("context", "page", "per_page")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PER_PAGE_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    page: int
    per_page: int
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., page: _Optional[int] = ..., per_page: _Optional[int] = ...) -> None: ...

class ListAuditEventsResponse(_message.Message):
    __slots__ = ("error", "events")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    EVENTS_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    events: _containers.RepeatedCompositeFieldContainer[AuditEvent]
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., events: _Optional[_Iterable[_Union[AuditEvent, _Mapping]]] = ...) -> None: ...
