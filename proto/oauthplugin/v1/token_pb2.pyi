from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import options_pb2 as _options_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class TokenRequest(_message.Message):
    __slots__ = ("context", "grant_type", "code", "redirect_uri", "client_id", "client_secret", "code_verifier", "refresh_token", "resource")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    GRANT_TYPE_FIELD_NUMBER: _ClassVar[int]
    CODE_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    CODE_VERIFIER_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    grant_type: str
    code: str
    redirect_uri: str
    client_id: str
    client_secret: str
    code_verifier: str
    refresh_token: str
    resource: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., grant_type: _Optional[str] = ..., code: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., client_id: _Optional[str] = ..., client_secret: _Optional[str] = ..., code_verifier: _Optional[str] = ..., refresh_token: _Optional[str] = ..., resource: _Optional[str] = ...) -> None: ...

class TokenResponse(_message.Message):
    __slots__ = ("error", "access_token", "token_type", "expires_in", "scope", "refresh_token", "id_token", "audience", "revoked_client_id")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ID_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    REVOKED_CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    access_token: str
    token_type: str
    expires_in: int
    scope: str
    refresh_token: str
    id_token: str
    audience: str
    revoked_client_id: str
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., access_token: _Optional[str] = ..., token_type: _Optional[str] = ..., expires_in: _Optional[int] = ..., scope: _Optional[str] = ..., refresh_token: _Optional[str] = ..., id_token: _Optional[str] = ..., audience: _Optional[str] = ..., revoked_client_id: _Optional[str] = ...) -> None: ...

class TokenActionRequest(_message.Message):
    __slots__ = ("context", "token", "token_type_hint", "client_id", "client_secret")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_HINT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    token: str
    token_type_hint: str
    client_id: str
    client_secret: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., token: _Optional[str] = ..., token_type_hint: _Optional[str] = ..., client_id: _Optional[str] = ..., client_secret: _Optional[str] = ...) -> None: ...

class RevokeResponse(_message.Message):
    __slots__ = ("error", "revoked_client_id")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REVOKED_CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    revoked_client_id: str
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., revoked_client_id: _Optional[str] = ...) -> None: ...

class IntrospectResponse(_message.Message):
    __slots__ = ("error", "active", "scope", "client_id", "token_type", "exp", "iat", "sub", "aud", "iss")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ACTIVE_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXP_FIELD_NUMBER: _ClassVar[int]
    IAT_FIELD_NUMBER: _ClassVar[int]
    SUB_FIELD_NUMBER: _ClassVar[int]
    AUD_FIELD_NUMBER: _ClassVar[int]
    ISS_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    active: bool
    scope: str
    client_id: str
    token_type: str
    exp: int
    iat: int
    sub: str
    aud: str
    iss: str
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., active: _Optional[bool] = ..., scope: _Optional[str] = ..., client_id: _Optional[str] = ..., token_type: _Optional[str] = ..., exp: _Optional[int] = ..., iat: _Optional[int] = ..., sub: _Optional[str] = ..., aud: _Optional[str] = ..., iss: _Optional[str] = ...) -> None: ...

class ValidateTokenRequest(_message.Message):
    __slots__ = ("context", "token")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    TOKEN_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    token: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., token: _Optional[str] = ...) -> None: ...

class ValidateTokenResponse(_message.Message):
    __slots__ = ("error", "user_id", "client_id", "scope", "audience", "expires_at", "grant_id", "cacheable")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_AT_FIELD_NUMBER: _ClassVar[int]
    GRANT_ID_FIELD_NUMBER: _ClassVar[int]
    CACHEABLE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    user_id: str
    client_id: str
    scope: str
    audience: str
    expires_at: int
    grant_id: str
    cacheable: bool
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., user_id: _Optional[str] = ..., client_id: _Optional[str] = ..., scope: _Optional[str] = ..., audience: _Optional[str] = ..., expires_at: _Optional[int] = ..., grant_id: _Optional[str] = ..., cacheable: _Optional[bool] = ...) -> None: ...

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
