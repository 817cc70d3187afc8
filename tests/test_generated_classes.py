"""What the generated classes promise now that the templates write them instead of attrs.

The models, Client, AuthenticatedClient, Response and File are plain classes whose __init__,
__repr__ and __eq__ templates/*.jinja write out: the same signatures, reprs and equality attrs
gave them, and copies (with_headers, pickle, deepcopy) that share nothing they should not.
Which properties are secret is read from openapi.yaml (`format: password`), not listed here.
"""

from __future__ import annotations

import copy
import inspect
import pickle
from http import HTTPStatus
from pathlib import Path
from typing import Any, cast

import httpx
import pytest
import runai_tokens_client.models as models
import runai_tokens_client.types as generated_types
import yaml
from runai_tokens.testing import FakeRunaiServer
from runai_tokens_client.client import AuthenticatedClient, Client
from runai_tokens_client.models import Error, GrantType, TokenRequest, TokenResponse
from runai_tokens_client.types import UNSET, File, Response, Unset, field_problem, is_model

SCHEMAS: dict[str, dict[str, Any]] = yaml.safe_load(
    (Path(__file__).resolve().parents[1] / "openapi.yaml").read_text()
)["components"]["schemas"]
OBJECT_SCHEMAS = sorted(name for name, schema in SCHEMAS.items() if "properties" in schema)
SECRET = "fake-secret-LEAK"


def filled(name: str, value: str) -> Any:
    """SCHEMAS[name]'s model with every property set: a secret one to `value`, the rest to a
    value of its own (the first enum member for an enum)."""
    wire: dict[str, Any] = {}
    for key, schema in SCHEMAS[name]["properties"].items():
        if schema.get("format") == "password":
            wire[key] = value
        elif "$ref" in schema:
            wire[key] = SCHEMAS[schema["$ref"].rsplit("/", 1)[-1]]["enum"][0]
        elif schema.get("type") == "integer":
            wire[key] = 7
        else:
            wire[key] = f"shown-{key}"
    return getattr(models, name).from_dict(wire)


def pickled(value: Any) -> Any:
    return pickle.loads(pickle.dumps(value))  # noqa: S301  # bytes this test just made


def secrets_of(name: str) -> list[str]:
    return [k for k, s in SCHEMAS[name]["properties"].items() if s.get("format") == "password"]


def test_the_contract_marks_secrets_in_several_models() -> None:
    assert len([name for name in OBJECT_SCHEMAS if secrets_of(name)]) >= 4


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
def test_repr_leaves_out_every_password_format_property(name: str) -> None:
    model = filled(name, SECRET)
    model.additional_properties["unknownToken"] = SECRET
    text = repr(model)
    assert text.startswith(f"{name}(")
    if secrets_of(name):
        assert SECRET not in text and SECRET not in str(model)
        assert "additional_properties" not in text  # a token under a name the contract lacks
    else:
        assert f"additional_properties={{'unknownToken': {SECRET!r}}}" in text
    for key, schema in SCHEMAS[name]["properties"].items():
        if schema.get("type") == "string" and "format" not in schema and "enum" not in schema:
            assert f"'shown-{key}'" in text  # every other property is shown
    assert SECRET in str(model.to_dict()) or not secrets_of(name)  # never hidden from the wire


@pytest.mark.parametrize("name", OBJECT_SCHEMAS)
def test_models_are_equal_by_class_and_every_field(name: str) -> None:
    first, second = filled(name, "fake-secret-a"), filled(name, "fake-secret-a")
    assert first == second
    assert (first != second) is False
    second.additional_properties["extra"] = 1
    assert first != second  # the unknown keys count
    first.additional_properties["extra"] = 1
    assert first == second
    field = first.__match_args__[-1]
    setattr(second, field, UNSET if getattr(second, field) is not UNSET else "other")
    assert first != second
    assert first != first.to_dict()
    with pytest.raises(TypeError, match="unhashable"):
        hash(first)


def test_models_of_different_classes_with_the_same_fields_differ() -> None:
    class Subclass(Error):
        __slots__ = ()

    assert Error(code=1, message="m") != Subclass(code=1, message="m")


def test_model_constructor_is_the_one_attrs_made() -> None:
    signature = inspect.signature(models.OAuth2TokenRequest)
    parameters = list(signature.parameters.values())
    assert parameters[0].name == "grant_type"  # required first
    assert parameters[0].default is inspect.Parameter.empty
    assert all(p.kind is inspect.Parameter.POSITIONAL_OR_KEYWORD for p in parameters)
    assert all(p.default is UNSET for p in parameters[1:])
    assert "additional_properties" not in signature.parameters
    with pytest.raises(TypeError):
        models.OAuth2TokenRequest()  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        TokenResponse(access_tokn="x")  # type: ignore[call-arg]
    with pytest.raises(AttributeError):  # slots: a misspelt attribute is an error, as before
        TokenResponse().access_tokn = "x"  # type: ignore[attr-defined]


def test_each_model_gets_its_own_unknown_keys() -> None:
    first, second = TokenResponse(), TokenResponse()
    first["extra"] = 1
    assert second.additional_properties == {}


def test_pickle_and_deepcopy_keep_unset_itself() -> None:
    model = TokenRequest(grant_type=GrantType.PASSWORD, username="u", password=SECRET)
    model["extra"] = [1]
    for twin in (pickled(model), copy.deepcopy(model), copy.copy(model)):
        assert twin == model
        assert twin.app_id is UNSET
        assert twin.to_dict() == model.to_dict()  # no Unset reaches the wire
    assert copy.deepcopy(model).additional_properties is not model.additional_properties
    assert pickled(UNSET) is UNSET and isinstance(UNSET, Unset)


def test_field_problem_knows_a_model() -> None:
    assert is_model(TokenResponse) and is_model(Error)
    assert not is_model(GrantType) and not is_model(Response) and not is_model(File)
    assert not is_model(TokenResponse())  # a class, not an instance


class Mixed:
    """A model of the kinds of field the contract has none of yet (a float, a list, a model, a
    bool): is_model's shape, checked by field_problem like a generated one."""

    ratio: float
    names: list[str] | Unset
    inner: TokenResponse | Unset
    flag: bool
    __match_args__ = ("ratio", "names", "inner", "flag")

    def __init__(
        self, ratio: Any, names: Any = UNSET, inner: Any = UNSET, flag: Any = False
    ) -> None:
        self.ratio, self.names, self.inner, self.flag = ratio, names, inner, flag

    @classmethod
    def from_dict(cls, data: Any) -> Mixed:
        raise NotImplementedError


@pytest.fixture
def full_checks(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """The models field_problem gave its full, field-by-field check."""
    checked: list[str] = []
    full = generated_types._model_problem

    def counted(value: object, model: type[Any]) -> str | None:
        checked.append(model.__name__)
        return full(value, model)

    monkeypatch.setattr(generated_types, "_model_problem", counted)
    return checked


def test_field_problem_passes_plain_fields_by_their_type_alone(full_checks: list[str]) -> None:
    assert field_problem(TokenResponse(access_token="fake-token", expires_in=60)) is None
    assert field_problem(TokenRequest(GrantType.CLIENT_CREDENTIALS, client_id="a")) is None
    assert field_problem([TokenResponse(), Error(code=400, message="no")]) is None
    assert full_checks == []


@pytest.mark.parametrize(
    ("model", "problem"),
    [
        (TokenResponse(expires_in=True), "TokenResponse.expires_in is bool, expected int"),
        (
            TokenResponse.from_dict({"accessToken": 42}),
            "TokenResponse.access_token is int, expected str",
        ),
        (Mixed(1.5, flag=1), "Mixed.flag is int, expected bool"),
        (Mixed(1.5, names=["a", 2]), "Mixed.names is list, expected list"),
        (
            Mixed(1, inner=TokenResponse.from_dict({"idToken": 7})),
            "TokenResponse.id_token is int, expected str",
        ),
        (Mixed(1, names=["a"], inner=TokenResponse(access_token="t")), None),  # int for float
        (Error(code=400, message=GrantType.PASSWORD), None),  # a str, of a subclass
    ],
)
def test_any_other_value_gets_the_full_check(
    full_checks: list[str], model: Any, problem: str | None
) -> None:
    assert field_problem(model) == problem
    assert full_checks[:1] == [type(model).__name__]


# --- the clients -------------------------------------------------------------------------------


def test_client_constructor_is_the_one_attrs_made() -> None:
    client = Client("http://127.0.0.1:1", headers={"X-A": "a"}, timeout=httpx.Timeout(3.0))
    assert Client(base_url="http://127.0.0.1:1", headers={"X-A": "a"}) != client  # timeout
    assert client == Client("http://127.0.0.1:1", headers={"X-A": "a"}, timeout=httpx.Timeout(3.0))
    with pytest.raises(TypeError):
        cast(Any, Client)("http://127.0.0.1:1", {"X-A": "a"})  # keyword-only
    with pytest.raises(TypeError, match="unexpected keyword argument 'header'"):
        Client("http://127.0.0.1:1", header={"X-A": "a"})  # type: ignore[call-arg]
    with pytest.raises(TypeError):
        AuthenticatedClient("http://127.0.0.1:1", tokn="t")  # type: ignore[call-arg]
    authenticated = AuthenticatedClient("http://127.0.0.1:1", "fake-token", "Token", "X-Auth")
    assert (authenticated.token, authenticated.prefix, authenticated.auth_header_name) == (
        "fake-token",
        "Token",
        "X-Auth",
    )
    with pytest.raises(TypeError, match="unhashable"):
        hash(client)


def test_client_reprs_hide_the_token_headers_cookies_and_httpx_args() -> None:
    client = AuthenticatedClient(
        "http://127.0.0.1:1",
        SECRET,
        headers={"Authorization": SECRET},
        cookies={"session": SECRET},
        httpx_args={"auth": (SECRET, SECRET)},
    )
    assert repr(client) == (
        "AuthenticatedClient(raise_on_unexpected_status=False, _base_url='http://127.0.0.1:1', "
        "_timeout=None, _verify_ssl=True, _follow_redirects=False, _client=None, "
        "_async_client=None, prefix='Bearer', auth_header_name='Authorization')"
    )
    assert SECRET not in repr(client.with_headers({"X-B": SECRET}))
    assert repr(Client("http://127.0.0.1:1", cookies={"s": SECRET})).startswith("Client(")


def test_the_callers_dicts_are_copied_not_written_to() -> None:
    headers = {"X-A": "a"}
    client = AuthenticatedClient("http://127.0.0.1:1", "fake-token", headers=headers)
    with client:  # builds the httpx client, which writes the Authorization header
        assert client.get_httpx_client().headers["Authorization"] == "Bearer fake-token"
    assert headers == {"X-A": "a"}


def test_with_headers_returns_an_independent_copy() -> None:
    with FakeRunaiServer() as server:
        server.add_client("ci", "fake-secret-ci")
        original = AuthenticatedClient(server.url, "fake-token-1", cookies={"c": "1"})
        with original:
            original.get_httpx_client()
            copy_ = original.with_headers({"X-B": "b"})
            assert copy_ is not original and type(copy_) is AuthenticatedClient
            assert copy_._client is None  # attrs.evolve's copy: no httpx client yet
            assert copy_._headers is not original._headers
            assert copy_._cookies is not original._cookies
            assert copy_._httpx_args is not original._httpx_args
            copy_.token = "fake-token-2"
            with copy_:
                sent = copy_.get_httpx_client().get(server.PROTECTED_PATH).request.headers
            assert (sent["X-B"], sent["Authorization"]) == ("b", "Bearer fake-token-2")
            # The original kept its own headers (with_headers updates its httpx client, as the
            # generator's does) and its own token.
            assert original._headers["Authorization"] == "Bearer fake-token-1"
            assert "X-B" not in original._headers
            sent = original.get_httpx_client().get(server.PROTECTED_PATH).request.headers
            assert sent["Authorization"] == "Bearer fake-token-1"
    later = copy_.with_cookies({"d": "2"}).with_timeout(httpx.Timeout(1.0))
    assert later._cookies == {"c": "1", "d": "2"} and original._cookies == {"c": "1"}
    assert later._timeout == httpx.Timeout(1.0) and later.token == "fake-token-2"


def test_an_unbuilt_client_pickles_and_copies() -> None:
    client = AuthenticatedClient("http://127.0.0.1:1", "fake-token", headers={"X-A": "a"})
    for twin in (pickled(client), copy.deepcopy(client)):
        assert twin == client and twin._headers is not client._headers


# --- Response and File -------------------------------------------------------------------------


def test_response_and_file_are_what_attrs_made() -> None:
    parsed = TokenResponse(access_token=SECRET, expires_in=60)
    response = Response(
        status_code=HTTPStatus.OK, content=SECRET.encode(), headers={"a": SECRET}, parsed=parsed
    )
    assert (
        repr(response)
        == "Response(status_code=<HTTPStatus.OK: 200>, parsed=TokenResponse(expires_in=60))"
    )
    twin = Response(HTTPStatus.OK, SECRET.encode(), {"a": SECRET}, parsed)
    assert twin == response and pickled(response) == response
    twin.content = b""
    assert twin != response
    with pytest.raises(TypeError):
        hash(response)
    file = File(payload=None, file_name="a.txt")  # type: ignore[arg-type]
    assert repr(file) == "File(payload=None, file_name='a.txt', mime_type=None)"
    assert file == File(None, "a.txt") and file != File(None, "b.txt")  # type: ignore[arg-type]
    assert file.to_tuple()[0] == "a.txt"
