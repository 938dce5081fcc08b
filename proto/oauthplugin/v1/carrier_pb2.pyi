from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class CallBatch(_message.Message):
    __slots__ = ("calls",)
    CALLS_FIELD_NUMBER: _ClassVar[int]
    calls: _containers.RepeatedCompositeFieldContainer[CarriedCall]
    def __init__(self, calls: _Optional[_Iterable[_Union[CarriedCall, _Mapping]]] = ...) -> None: ...

class CarriedCall(_message.Message):
    __slots__ = ("id", "rpc", "message", "status_code", "status_details")
    ID_FIELD_NUMBER: _ClassVar[int]
    RPC_FIELD_NUMBER: _ClassVar[int]
    MESSAGE_FIELD_NUMBER: _ClassVar[int]
    STATUS_CODE_FIELD_NUMBER: _ClassVar[int]
    STATUS_DETAILS_FIELD_NUMBER: _ClassVar[int]
    id: int
    rpc: str
    message: bytes
    status_code: int
    status_details: str
    def __init__(self, id: _Optional[int] = ..., rpc: _Optional[str] = ..., message: _Optional[bytes] = ..., status_code: _Optional[int] = ..., status_details: _Optional[str] = ...) -> None: ...
