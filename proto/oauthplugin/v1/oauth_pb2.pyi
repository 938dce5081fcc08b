from google.protobuf import descriptor_pb2 as _descriptor_pb2
from oauthplugin.v1 import common_pb2 as _common_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor
ROUTE_FIELD_NUMBER: _ClassVar[int]
route: _descriptor.FieldDescriptor

class HttpRoute(_message.Message):
    __slots__ = ("method", "path", "auth")
    METHOD_FIELD_NUMBER: _ClassVar[int]
    PATH_FIELD_NUMBER: _ClassVar[int]
    AUTH_FIELD_NUMBER: _ClassVar[int]
    method: str
    path: str
    auth: str
    def __init__(self, method: _Optional[str] = ..., path: _Optional[str] = ..., auth: _Optional[str] = ...) -> None: ...

class OAuthApp(_message.Message):
    __slots__ = ("id", "creator_id", "create_at", "update_at", "client_secret", "name", "description", "icon_url", "callback_urls", "homepage", "is_trusted", "mattermost_app_id", "is_dynamically_registered", "is_public")
    ID_FIELD_NUMBER: _ClassVar[int]
    CREATOR_ID_FIELD_NUMBER: _ClassVar[int]
    CREATE_AT_FIELD_NUMBER: _ClassVar[int]
    UPDATE_AT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_SECRET_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_URL_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_URLS_FIELD_NUMBER: _ClassVar[int]
    HOMEPAGE_FIELD_NUMBER: _ClassVar[int]
    IS_TRUSTED_FIELD_NUMBER: _ClassVar[int]
    MATTERMOST_APP_ID_FIELD_NUMBER: _ClassVar[int]
    IS_DYNAMICALLY_REGISTERED_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    id: str
    creator_id: str
    create_at: int
    update_at: int
    client_secret: str
    name: str
    description: str
    icon_url: str
    callback_urls: _containers.RepeatedScalarFieldContainer[str]
    homepage: str
    is_trusted: bool
    mattermost_app_id: str
    is_dynamically_registered: bool
    is_public: bool
    def __init__(self, id: _Optional[str] = ..., creator_id: _Optional[str] = ..., create_at: _Optional[int] = ..., update_at: _Optional[int] = ..., client_secret: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon_url: _Optional[str] = ..., callback_urls: _Optional[_Iterable[str]] = ..., homepage: _Optional[str] = ..., is_trusted: _Optional[bool] = ..., mattermost_app_id: _Optional[str] = ..., is_dynamically_registered: _Optional[bool] = ..., is_public: _Optional[bool] = ...) -> None: ...

class AppResponse(_message.Message):
    __slots__ = ("error", "app")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    app: OAuthApp
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., app: _Optional[_Union[OAuthApp, _Mapping]] = ...) -> None: ...

class AppListResponse(_message.Message):
    __slots__ = ("error", "apps")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    APPS_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    apps: _containers.RepeatedCompositeFieldContainer[OAuthApp]
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., apps: _Optional[_Iterable[_Union[OAuthApp, _Mapping]]] = ...) -> None: ...

class StatusResponse(_message.Message):
    __slots__ = ("error",)
    ERROR_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ...) -> None: ...

class CreateAppRequest(_message.Message):
    __slots__ = ("context", "name", "description", "icon_url", "callback_urls", "homepage", "is_trusted", "is_public")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_URL_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_URLS_FIELD_NUMBER: _ClassVar[int]
    HOMEPAGE_FIELD_NUMBER: _ClassVar[int]
    IS_TRUSTED_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    name: str
    description: str
    icon_url: str
    callback_urls: _containers.RepeatedScalarFieldContainer[str]
    homepage: str
    is_trusted: bool
    is_public: bool
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon_url: _Optional[str] = ..., callback_urls: _Optional[_Iterable[str]] = ..., homepage: _Optional[str] = ..., is_trusted: _Optional[bool] = ..., is_public: _Optional[bool] = ...) -> None: ...

class ListAppsRequest(_message.Message):
    __slots__ = ("context", "page", "per_page")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PER_PAGE_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    page: int
    per_page: int
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., page: _Optional[int] = ..., per_page: _Optional[int] = ...) -> None: ...

class AppIdRequest(_message.Message):
    __slots__ = ("context", "app_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    app_id: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., app_id: _Optional[str] = ...) -> None: ...

class UpdateAppRequest(_message.Message):
    __slots__ = ("context", "app_id", "app")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    app_id: str
    app: OAuthApp
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., app_id: _Optional[str] = ..., app: _Optional[_Union[OAuthApp, _Mapping]] = ...) -> None: ...

class ListAuthorizedAppsRequest(_message.Message):
    __slots__ = ("context", "user_id", "page", "per_page")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    USER_ID_FIELD_NUMBER: _ClassVar[int]
    PAGE_FIELD_NUMBER: _ClassVar[int]
    PER_PAGE_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    user_id: str
    page: int
    per_page: int
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., user_id: _Optional[str] = ..., page: _Optional[int] = ..., per_page: _Optional[int] = ...) -> None: ...

class AuthorizeRequest(_message.Message):
    __slots__ = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "resource")
    RESPONSE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CODE_CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    CODE_CHALLENGE_METHOD_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    response_type: str
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    code_challenge: str
    code_challenge_method: str
    resource: str
    def __init__(self, response_type: _Optional[str] = ..., client_id: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., scope: _Optional[str] = ..., state: _Optional[str] = ..., code_challenge: _Optional[str] = ..., code_challenge_method: _Optional[str] = ..., resource: _Optional[str] = ...) -> None: ...

class BeginAuthorizationRequest(_message.Message):
    __slots__ = ("context", "request")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    request: AuthorizeRequest
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., request: _Optional[_Union[AuthorizeRequest, _Mapping]] = ...) -> None: ...

class BeginAuthorizationResponse(_message.Message):
    __slots__ = ("error", "outcome", "redirect_url", "app")
    class Outcome(int, metaclass=_enum_type_wrapper.EnumTypeWrapper):
        __slots__ = ()
        OUTCOME_UNSPECIFIED: _ClassVar[BeginAuthorizationResponse.Outcome]
        LOGIN: _ClassVar[BeginAuthorizationResponse.Outcome]
        CONSENT: _ClassVar[BeginAuthorizationResponse.Outcome]
        REDIRECT: _ClassVar[BeginAuthorizationResponse.Outcome]
    OUTCOME_UNSPECIFIED: BeginAuthorizationResponse.Outcome
    LOGIN: BeginAuthorizationResponse.Outcome
    CONSENT: BeginAuthorizationResponse.Outcome
    REDIRECT: BeginAuthorizationResponse.Outcome
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URL_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    outcome: BeginAuthorizationResponse.Outcome
    redirect_url: str
    app: OAuthApp
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., outcome: _Optional[_Union[BeginAuthorizationResponse.Outcome, str]] = ..., redirect_url: _Optional[str] = ..., app: _Optional[_Union[OAuthApp, _Mapping]] = ...) -> None: ...

class ConsentDecisionRequest(_message.Message):
    __slots__ = ("context", "request", "allow")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    ALLOW_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    request: AuthorizeRequest
    allow: bool
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., request: _Optional[_Union[AuthorizeRequest, _Mapping]] = ..., allow: _Optional[bool] = ...) -> None: ...

class RedirectResponse(_message.Message):
    __slots__ = ("error", "redirect_url")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URL_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    redirect_url: str
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., redirect_url: _Optional[str] = ...) -> None: ...

class DeauthorizeRequest(_message.Message):
    __slots__ = ("context", "client_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    client_id: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., client_id: _Optional[str] = ...) -> None: ...

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
    __slots__ = ("error", "access_token", "token_type", "expires_in", "scope", "refresh_token", "id_token", "audience")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    ACCESS_TOKEN_FIELD_NUMBER: _ClassVar[int]
    TOKEN_TYPE_FIELD_NUMBER: _ClassVar[int]
    EXPIRES_IN_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    REFRESH_TOKEN_FIELD_NUMBER: _ClassVar[int]
    ID_TOKEN_FIELD_NUMBER: _ClassVar[int]
    AUDIENCE_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    access_token: str
    token_type: str
    expires_in: int
    scope: str
    refresh_token: str
    id_token: str
    audience: str
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., access_token: _Optional[str] = ..., token_type: _Optional[str] = ..., expires_in: _Optional[int] = ..., scope: _Optional[str] = ..., refresh_token: _Optional[str] = ..., id_token: _Optional[str] = ..., audience: _Optional[str] = ...) -> None: ...

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

class IntrospectResponse(_message.Message):
    __slots__ = ("error", "active", "scope", "client_id", "token_type", "exp", "iat", "sub", "aud", "iss", "username")
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
    USERNAME_FIELD_NUMBER: _ClassVar[int]
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
    username: str
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., active: _Optional[bool] = ..., scope: _Optional[str] = ..., client_id: _Optional[str] = ..., token_type: _Optional[str] = ..., exp: _Optional[int] = ..., iat: _Optional[int] = ..., sub: _Optional[str] = ..., aud: _Optional[str] = ..., iss: _Optional[str] = ..., username: _Optional[str] = ...) -> None: ...

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
