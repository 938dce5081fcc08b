from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import host_api_pb2 as _host_api_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class Configuration(_message.Message):
    __slots__ = ("server_config_json", "plugin_config_json")
    SERVER_CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    PLUGIN_CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    server_config_json: bytes
    plugin_config_json: bytes
    def __init__(self, server_config_json: _Optional[bytes] = ..., plugin_config_json: _Optional[bytes] = ...) -> None: ...

class ImplementedRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ...) -> None: ...

class ImplementedResponse(_message.Message):
    __slots__ = ("error", "hooks")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    HOOKS_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    hooks: _containers.RepeatedScalarFieldContainer[str]
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., hooks: _Optional[_Iterable[str]] = ...) -> None: ...

class OnActivateRequest(_message.Message):
    __slots__ = ("context", "configuration", "host_api")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    HOST_API_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    configuration: Configuration
    host_api: _host_api_pb2.HostAPIEndpoint
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., configuration: _Optional[_Union[Configuration, _Mapping]] = ..., host_api: _Optional[_Union[_host_api_pb2.HostAPIEndpoint, _Mapping]] = ...) -> None: ...

class OnActivateResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ...) -> None: ...

class ConfigurationWillBeSavedRequest(_message.Message):
    __slots__ = ("context", "configuration")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    configuration: Configuration
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., configuration: _Optional[_Union[Configuration, _Mapping]] = ...) -> None: ...

class ConfigurationWillBeSavedResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ...) -> None: ...

class OnConfigurationChangeRequest(_message.Message):
    __slots__ = ("context", "configuration")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CONFIGURATION_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    configuration: Configuration
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., configuration: _Optional[_Union[Configuration, _Mapping]] = ...) -> None: ...

class OnConfigurationChangeResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ...) -> None: ...

class OnDeactivateRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ...) -> None: ...

class OnDeactivateResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ...) -> None: ...

class ServeMetricsRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ...) -> None: ...

class ServeMetricsResponse(_message.Message):
    __slots__ = ("error", "text")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    TEXT_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    text: bytes
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., text: _Optional[bytes] = ...) -> None: ...
