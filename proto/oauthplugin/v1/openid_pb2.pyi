from oauthplugin.v1 import common_pb2 as _common_pb2
from oauthplugin.v1 import options_pb2 as _options_pb2
from google.protobuf import descriptor as _descriptor
from google.protobuf import message as _message
from collections.abc import Mapping as _Mapping
from typing import ClassVar as _ClassVar, Optional as _Optional, Union as _Union

DESCRIPTOR: _descriptor.FileDescriptor

class EndSessionRequest(_message.Message):
    __slots__ = ("context", "id_token_hint", "post_logout_redirect_uri", "state", "client_id")
    CONTEXT_FIELD_NUMBER: _ClassVar[int]
    ID_TOKEN_HINT_FIELD_NUMBER: _ClassVar[int]
    POST_LOGOUT_REDIRECT_URI_FIELD_NUMBER: _ClassVar[int]
    STATE_FIELD_NUMBER: _ClassVar[int]
    CLIENT_ID_FIELD_NUMBER: _ClassVar[int]
    context: _common_pb2.RequestContext
    id_token_hint: str
    post_logout_redirect_uri: str
    state: str
    client_id: str
    def __init__(self, context: _Optional[_Union[_common_pb2.RequestContext, _Mapping]] = ..., id_token_hint: _Optional[str] = ..., post_logout_redirect_uri: _Optional[str] = ..., state: _Optional[str] = ..., client_id: _Optional[str] = ...) -> None: ...

class EndSessionResponse(_message.Message):
    __slots__ = ("error", "confirm", "redirect_url", "client_name")
    ERROR_FIELD_NUMBER: _ClassVar[int]
    CONFIRM_FIELD_NUMBER: _ClassVar[int]
    REDIRECT_URL_FIELD_NUMBER: _ClassVar[int]
    CLIENT_NAME_FIELD_NUMBER: _ClassVar[int]
    error: _common_pb2.AppError
    confirm: bool
    redirect_url: str
    client_name: str
    def __init__(self, error: _Optional[_Union[_common_pb2.AppError, _Mapping]] = ..., confirm: _Optional[bool] = ..., redirect_url: _Optional[str] = ..., client_name: _Optional[str] = ...) -> None: ...
