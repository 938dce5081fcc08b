from oauthplugin.v1 import common_pb2 as _common_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class HostAPIEndpoint(_message.Message):
    __slots__ = ("network", "address")
    NETWORK_FIELD_NUMBER: _ClassVar[int]
    ADDRESS_FIELD_NUMBER: _ClassVar[int]
    network: str
    address: str
    def __init__(self, network: _Optional[str] = ..., address: _Optional[str] = ...) -> None: ...

class User(_message.Message):
    __slots__ = ("id", "username", "email", "email_verified", "first_name", "last_name", "nickname", "locale", "roles", "create_at", "update_at", "delete_at", "picture")
    ID_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    EMAIL_FIELD_NUMBER: _ClassVar[int]
    EMAIL_VERIFIED_FIELD_NUMBER: _ClassVar[int]
    FIRST_NAME_FIELD_NUMBER: _ClassVar[int]
    LAST_NAME_FIELD_NUMBER: _ClassVar[int]
    NICKNAME_FIELD_NUMBER: _ClassVar[int]
    LOCALE_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    CREATE_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_AT_FIELD_NUMBER: _ClassVar[int]
    DELETE_AT_FIELD_NUMBER: _ClassVar[int]
    PICTURE_FIELD_NUMBER: _ClassVar[int]
    id: str
    username: str
    email: str
    email_verified: bool
    first_name: str
    last_name: str
    nickname: str
    locale: str
    roles: str
    create_at: int
    update_at: int
    delete_at: int
    picture: str
    def __init__(self, id: _Optional[str] = ..., username: _Optional[str] = ..., email: _Optional[str] = ..., email_verified: _Optional[bool] = ..., first_name: _Optional[str] = ..., last_name: _Optional[str] = ..., nickname: _Optional[str] = ..., locale: _Optional[str] = ..., roles: _Optional[str] = ..., create_at: _Optional[int] = ..., update_at: _Optional[int] = ..., delete_at: _Optional[int] = ..., picture: _Optional[str] = ...) -> None: ...

class Session(_message.Message):
    __slots__ = ("id", "user_id", "create_at", "expires_at", "last_activity_at", "roles", "is_oauth")
    ID_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_AT_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    LAST_ACTIVITY_AT_FIELD_NUMBER: _ClassVar[int]
    ROLES_FIELD_NUMBER: _ClassVar[int]
    IS_OAUTH_FIELD_NUMBER: _ClassVar[int]
    id: str
    user_id: str
    create_at: int
    expires_at: int
    last_activity_at: int
    roles: str
    is_oauth: bool
    def __init__(self, id: _Optional[str] = ..., user_id: _Optional[str] = ..., create_at: _Optional[int] = ..., expires_at: _Optional[int] = ..., last_activity_at: _Optional[int] = ..., roles: _Optional[str] = ..., is_oauth: _Optional[bool] = ...) -> None: ...

class GetUserRequest(_message.Message):
    __slots__ = ("context", "user_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    user_id: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., user_id: _Optional[str] = ...) -> None: ...

class GetUserByUsernameRequest(_message.Message):
    __slots__ = ("context", "username")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    USERNAME_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    username: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., username: _Optional[str] = ...) -> None: ...

class UserResponse(_message.Message):
    __slots__ = ("error", "user")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    USER_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    user: User
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., user: _Optional[_Union[User, _Mapping]] = ...) -> None: ...

class HasPermissionToRequest(_message.Message):
    __slots__ = ("context", "user_id", "permission")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PERMISSION_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    user_id: str
    permission: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., user_id: _Optional[str] = ..., permission: _Optional[str] = ...) -> None: ...

class HasPermissionToResponse(_message.Message):
    __slots__ = ("error", "has_permission")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    HAS_PERMISSION_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    has_permission: bool
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., has_permission: _Optional[bool] = ...) -> None: ...

class GetSessionRequest(_message.Message):
    __slots__ = ("context", "session_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    SESSION_ID_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    session_id: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., session_id: _Optional[str] = ...) -> None: ...

class SessionResponse(_message.Message):
    __slots__ = ("error", "session")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    SESSION_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    session: Session
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., session: _Optional[_Union[Session, _Mapping]] = ...) -> None: ...

class GetConfigRequest(_message.Message):
    __slots__ = ("context",)
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ...) -> None: ...

class GetConfigResponse(_message.Message):
    __slots__ = ("error", "config_json")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CONFIG_JSON_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    config_json: bytes
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., config_json: _Optional[bytes] = ...) -> None: ...
