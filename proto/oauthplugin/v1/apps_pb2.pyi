from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class OAuthApp(_message.Message):
    __slots__ = ("id", "creator_id", "create_at", "update_at", "client_secret", "name", "description", "icon_url", "callback_urls", "homepage", "is_trusted", "mattermost_app_id", "is_dynamically_registered", "is_public", "allowed_scopes", "granted_scopes", "post_logout_redirect_uris", "openid_disabled", "device_grant_allowed", "require_pushed_authorization_requests", "require_dpop")
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
    ALLOWED_SCOPES_FIELD_NUMBER: _ClassVar[int]
    GRANTED_SCOPES_FIELD_NUMBER: _ClassVar[int]
    POST_LOGOUT_REDIRECT_URIS_FIELD_NUMBER: _ClassVar[int]
    OPENID_DISABLED_FIELD_NUMBER: _ClassVar[int]
    DEVICE_GRANT_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_PUSHED_AUTHORIZATION_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_DPOP_FIELD_NUMBER: _ClassVar[int]
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
    allowed_scopes: _containers.RepeatedScalarFieldContainer[str]
    granted_scopes: _containers.RepeatedCompositeFieldContainer[_common_pb2.ScopeDescription]
    post_logout_redirect_uris: _containers.RepeatedScalarFieldContainer[str]
    openid_disabled: bool
    device_grant_allowed: bool
    require_pushed_authorization_requests: bool
    require_dpop: bool
    def __init__(self, id: _Optional[str] = ..., creator_id: _Optional[str] = ..., create_at: _Optional[int] = ..., update_at: _Optional[int] = ..., client_secret: _Optional[str] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon_url: _Optional[str] = ..., callback_urls: _Optional[_Iterable[str]] = ..., homepage: _Optional[str] = ..., is_trusted: _Optional[bool] = ..., mattermost_app_id: _Optional[str] = ..., is_dynamically_registered: _Optional[bool] = ..., is_public: _Optional[bool] = ..., allowed_scopes: _Optional[_Iterable[str]] = ..., granted_scopes: _Optional[_Iterable[_Union[_common_pb2.ScopeDescription, _Mapping]]] = ..., post_logout_redirect_uris: _Optional[_Iterable[str]] = ..., openid_disabled: _Optional[bool] = ..., device_grant_allowed: _Optional[bool] = ..., require_pushed_authorization_requests: _Optional[bool] = ..., require_dpop: _Optional[bool] = ...) -> None: ...

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

class CreateAppRequest(_message.Message):
    __slots__ = ("context", "name", "description", "icon_url", "callback_urls", "homepage", "is_trusted", "is_public", "allowed_scopes", "post_logout_redirect_uris", "openid_disabled", "device_grant_allowed", "require_pushed_authorization_requests", "require_dpop")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    NAME_FIELD_NUMBER: _ClassVar[int]
    DESCRIPTION_FIELD_NUMBER: _ClassVar[int]
    ICON_URL_FIELD_NUMBER: _ClassVar[int]
    CALLBACK_URLS_FIELD_NUMBER: _ClassVar[int]
    HOMEPAGE_FIELD_NUMBER: _ClassVar[int]
    IS_TRUSTED_FIELD_NUMBER: _ClassVar[int]
    IS_PUBLIC_FIELD_NUMBER: _ClassVar[int]
    ALLOWED_SCOPES_FIELD_NUMBER: _ClassVar[int]
    POST_LOGOUT_REDIRECT_URIS_FIELD_NUMBER: _ClassVar[int]
    OPENID_DISABLED_FIELD_NUMBER: _ClassVar[int]
    DEVICE_GRANT_ALLOWED_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_PUSHED_AUTHORIZATION_REQUESTS_FIELD_NUMBER: _ClassVar[int]
    REQUIRE_DPOP_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    name: str
    description: str
    icon_url: str
    callback_urls: _containers.RepeatedScalarFieldContainer[str]
    homepage: str
    is_trusted: bool
    is_public: bool
    allowed_scopes: _containers.RepeatedScalarFieldContainer[str]
    post_logout_redirect_uris: _containers.RepeatedScalarFieldContainer[str]
    openid_disabled: bool
    device_grant_allowed: bool
    require_pushed_authorization_requests: bool
    require_dpop: bool
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., name: _Optional[str] = ..., description: _Optional[str] = ..., icon_url: _Optional[str] = ..., callback_urls: _Optional[_Iterable[str]] = ..., homepage: _Optional[str] = ..., is_trusted: _Optional[bool] = ..., is_public: _Optional[bool] = ..., allowed_scopes: _Optional[_Iterable[str]] = ..., post_logout_redirect_uris: _Optional[_Iterable[str]] = ..., openid_disabled: _Optional[bool] = ..., device_grant_allowed: _Optional[bool] = ..., require_pushed_authorization_requests: _Optional[bool] = ..., require_dpop: _Optional[bool] = ...) -> None: ...

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
    __slots__ = ("context", "app_id", "app", "set_allowed_scopes")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    APP_ID_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    SET_ALLOWED_SCOPES_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    app_id: str
    app: OAuthApp
    set_allowed_scopes: bool
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., app_id: _Optional[str] = ..., app: _Optional[_Union[OAuthApp, _Mapping]] = ..., set_allowed_scopes: _Optional[bool] = ...) -> None: ...

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
