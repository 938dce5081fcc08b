from oauthplugin.v1 import apps_pb2 as _apps_pb2
from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import options_pb2 as _options_pb2
from google.protobuf.internal import containers as _containers
from google.protobuf.internal import enum_type_wrapper as _enum_type_wrapper
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Iterable as _Iterable, Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class AuthorizeRequest(_message.Message):
    __slots__ = ("response_type", "client_id", "redirect_uri", "scope", "state", "code_challenge", "code_challenge_method", "resource", "nonce", "prompt", "max_age", "login_hint", "id_token_hint", "ui_locales", "claims_locales", "response_mode", "claims", "display", "authenticated_after", "request_uri", "request", "dpop_jkt")
    RESPONSE_TYPE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    SCOPE_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CODE_CHALLENGE_FIELD_NUMBER: _ClassVar[int]
    CODE_CHALLENGE_METHOD_FIELD_NUMBER: _ClassVar[int]
    RESOURCE_FIELD_NUMBER: _ClassVar[int]
    NONCE_FIELD_NUMBER: _ClassVar[int]
    PROMPT_FIELD_NUMBER: _ClassVar[int]
    MAX_AGE_FIELD_NUMBER: _ClassVar[int]
    LOGIN_HINT_FIELD_NUMBER: _ClassVar[int]
    ID_TOKEN_HINT_FIELD_NUMBER: _ClassVar[int]
    UI_LOCALES_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_LOCALES_FIELD_NUMBER: _ClassVar[int]
    RESPONSE_MODE_FIELD_NUMBER: _ClassVar[int]
    CLAIMS_FIELD_NUMBER: _ClassVar[int]
    DISPLAY_FIELD_NUMBER: _ClassVar[int]
    AUTHENTICATED_AFTER_FIELD_NUMBER: _ClassVar[int]
    REQUEST_URI_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    DPOP_JKT_FIELD_NUMBER: _ClassVar[int]
    response_type: str
    client_id: str
    redirect_uri: str
    scope: str
    state: str
    code_challenge: str
    code_challenge_method: str
    resource: str
    nonce: str
    prompt: str
    max_age: str
    login_hint: str
    id_token_hint: str
    ui_locales: str
    claims_locales: str
    response_mode: str
    claims: str
    display: str
    authenticated_after: str
    request_uri: str
    request: str
    dpop_jkt: str
    def __init__(self, response_type: _Optional[str] = ..., client_id: _Optional[str] = ..., redirect_uri: _Optional[str] = ..., scope: _Optional[str] = ..., state: _Optional[str] = ..., code_challenge: _Optional[str] = ..., code_challenge_method: _Optional[str] = ..., resource: _Optional[str] = ..., nonce: _Optional[str] = ..., prompt: _Optional[str] = ..., max_age: _Optional[str] = ..., login_hint: _Optional[str] = ..., id_token_hint: _Optional[str] = ..., ui_locales: _Optional[str] = ..., claims_locales: _Optional[str] = ..., response_mode: _Optional[str] = ..., claims: _Optional[str] = ..., display: _Optional[str] = ..., authenticated_after: _Optional[str] = ..., request_uri: _Optional[str] = ..., request: _Optional[str] = ..., dpop_jkt: _Optional[str] = ...) -> None: ...

class BeginAuthorizationRequest(_message.Message):
    __slots__ = ("context", "request")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    request: AuthorizeRequest
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., request: _Optional[_Union[AuthorizeRequest, _Mapping]] = ...) -> None: ...

class BeginAuthorizationResponse(_message.Message):
    __slots__ = ("error", "outcome", "redirect_url", "app", "scopes", "refused_scopes", "return_to", "reauthenticate", "login_hint", "form_fields", "request")
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
    class FormFieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ERROR_FIELD_NUMBER: _ClassVar[int]
    OUTCOME_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URL_FIELD_NUMBER: _ClassVar[int]
    APP_FIELD_NUMBER: _ClassVar[int]
    SCOPES_FIELD_NUMBER: _ClassVar[int]
    REFUSED_SCOPES_FIELD_NUMBER: _ClassVar[int]
    RETURN_TO_FIELD_NUMBER: _ClassVar[int]
    REAUTHENTICATE_FIELD_NUMBER: _ClassVar[int]
    LOGIN_HINT_FIELD_NUMBER: _ClassVar[int]
    FORM_FIELDS_FIELD_NUMBER: _ClassVar[int]
    REQUEST_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    outcome: BeginAuthorizationResponse.Outcome
    redirect_url: str
    app: _apps_pb2.OAuthApp
    scopes: _containers.RepeatedCompositeFieldContainer[_common_pb2.ScopeDescription]
    refused_scopes: _containers.RepeatedCompositeFieldContainer[_common_pb2.ScopeDescription]
    return_to: str
    reauthenticate: bool
    login_hint: str
    form_fields: _containers.ScalarMap[str, str]
    request: AuthorizeRequest
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., outcome: _Optional[_Union[BeginAuthorizationResponse.Outcome, str]] = ..., redirect_url: _Optional[str] = ..., app: _Optional[_Union[_apps_pb2.OAuthApp, _Mapping]] = ..., scopes: _Optional[_Iterable[_Union[_common_pb2.ScopeDescription, _Mapping]]] = ..., refused_scopes: _Optional[_Iterable[_Union[_common_pb2.ScopeDescription, _Mapping]]] = ..., return_to: _Optional[str] = ..., reauthenticate: _Optional[bool] = ..., login_hint: _Optional[str] = ..., form_fields: _Optional[_Mapping[str, str]] = ..., request: _Optional[_Union[AuthorizeRequest, _Mapping]] = ...) -> None: ...

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
    __slots__ = ("error", "redirect_url", "form_fields")
    class FormFieldsEntry(_message.Message):
        __slots__ = ("key", "value")
        KEY_FIELD_NUMBER: _ClassVar[int]
        VALUE_FIELD_NUMBER: _ClassVar[int]
        key: str
        value: str
        def __init__(self, key: _Optional[str] = ..., value: _Optional[str] = ...) -> None: ...
    ERROR_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URL_FIELD_NUMBER: _ClassVar[int]
    FORM_FIELDS_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    redirect_url: str
    form_fields: _containers.ScalarMap[str, str]
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., redirect_url: _Optional[str] = ..., form_fields: _Optional[_Mapping[str, str]] = ...) -> None: ...

class DeauthorizeRequest(_message.Message):
    __slots__ = ("context", "client_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    client_id: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., client_id: _Optional[str] = ...) -> None: ...
