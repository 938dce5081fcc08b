from oauthplugin.v1 import apps_pb2 as _apps_pb2
from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class UserCodeRequest(_message.Message):
    __slots__ = ("context", "user_code")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    USER_CODE_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    user_code: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., user_code: _Optional[str] = ...) -> None: ...

class DevicePromptResponse(_message.Message):
    __slots__ = ("error", "app", "user_code", "scopes", "refused_scopes")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    USER_CODE_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    REFUSED_SCOPES_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    app: _apps_pb2.OAuthApp
    user_code: str
    scopes: _containers.RepeatedCompositeFieldContainer[_common_pb2.ScopeDescription]
    refused_scopes: _containers.RepeatedCompositeFieldContainer[_common_pb2.ScopeDescription]
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., app: _Optional[_Union[_apps_pb2.OAuthApp, _Mapping]] = ..., user_code: _Optional[str] = ..., scopes: _Optional[_Iterable[_Union[_common_pb2.ScopeDescription, _Mapping]]] = ..., refused_scopes: _Optional[_Iterable[_Union[_common_pb2.ScopeDescription, _Mapping]]] = ...) -> None: ...

class DeviceDecisionRequest(_message.Message):
    __slots__ = ("context", "user_code", "allow")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    USER_CODE_FIELD_NUMBER: _ClassVar[int]
    ALLOW_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    user_code: str
    allow: bool
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., user_code: _Optional[str] = ..., allow: _Optional[bool] = ...) -> None: ...

class DeviceDecisionResponse(_message.Message):
    __slots__ = ("error", "app", "approved")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    APPROVED_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    app: _apps_pb2.OAuthApp
    approved: bool
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., app: _Optional[_Union[_apps_pb2.OAuthApp, _Mapping]] = ..., approved: _Optional[bool] = ...) -> None: ...
