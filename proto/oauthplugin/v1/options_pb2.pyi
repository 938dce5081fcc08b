from google.protobuf import descriptor_pb2 as _descriptor_pb2
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
ROUTE_FIELD_NUMBER: _ClassVar[int]
route: _descriptor.FieldDescriptor
CACHE_EFFECT_FIELD_NUMBER: _ClassVar[int]
cache_effect: _descriptor.FieldDescriptor

class HttpRoute(_message.Message):
    __slots__ = ("method", "path", "auth")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    method: str
    path: str
    auth: str
    def __init__(self, method: _Optional[str] = ..., path: _Optional[str] = ..., auth: _Optional[str] = ...) -> None: ...

class CacheEffect(_message.Message):
    __slots__ = ("drop", "request_field", "response_field")
    class Drop(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        DROP_UNSPECIFIED: _ClassVar[CacheEffect.Drop]
        NONE: _ClassVar[CacheEffect.Drop]
        CLIENT: _ClassVar[CacheEffect.Drop]
        USER: _ClassVar[CacheEffect.Drop]
        TOKEN: _ClassVar[CacheEffect.Drop]
        ALL: _ClassVar[CacheEffect.Drop]
    DROP_UNSPECIFIED: CacheEffect.Drop
    NONE: CacheEffect.Drop
    CLIENT: CacheEffect.Drop
    USER: CacheEffect.Drop
    TOKEN: CacheEffect.Drop
    ALL: CacheEffect.Drop
    DROP_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_FIELD_FIELD_NUMBER: _ClassVar[int]
    drop: CacheEffect.Drop
    request_field: str
    response_field: str
    def __init__(self, drop: _Optional[_Union[CacheEffect.Drop, str]] = ..., request_field: _Optional[str] = ..., response_field: _Optional[str] = ...) -> None: ...
