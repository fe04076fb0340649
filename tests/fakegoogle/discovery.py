"""Google's own description of Drive v3 and Gmail v1: the discovery documents the client ships.

The local Google checks every request against them, so it refuses what Google refuses: an
unknown route (404), an unknown, repeated, mistyped or out-of-enum query parameter, a missing
required one, an unknown body field or an invalid `fields` selector (400).
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar
from urllib.parse import unquote

import googleapiclient

DOCS = Path(googleapiclient.__file__).parent / "discovery_cache" / "documents"


class ApiError(Exception):
    """An error answer in Google's JSON shape."""

    STATUS: ClassVar[dict[int, str]] = {
        400: "INVALID_ARGUMENT",
        401: "UNAUTHENTICATED",
        403: "PERMISSION_DENIED",
        404: "NOT_FOUND",
        409: "ALREADY_EXISTS",
        413: "INVALID_ARGUMENT",
        429: "RESOURCE_EXHAUSTED",
        500: "INTERNAL",
        503: "UNAVAILABLE",
    }

    def __init__(
        self,
        code: int,
        message: str,
        reason: str = "invalid",
        location: str | None = None,
        *,
        location_type: str = "parameter",
        domain: str = "global",
        detail: str | None = None,
        details: list[dict[str, Any]] | None = None,
        headers: dict[str, str] | None = None,
        status: str | None = None,
    ):
        super().__init__(f"{code} {reason}: {message}")
        self.code = code
        self.message = message
        self.reason = reason
        self.location = location
        self.location_type = location_type
        self.domain = domain
        self.detail = detail  # errors[0].message, when Google words it apart from the message
        self.details = details  # google.rpc details (ErrorInfo ...), as newer answers carry
        self.headers = headers or {}  # e.g. WWW-Authenticate on a 401
        self.status = status or self.STATUS.get(code, "UNKNOWN")

    def body(self) -> dict[str, Any]:
        error: dict[str, Any] = {
            "message": self.detail or self.message,
            "domain": self.domain,
            "reason": self.reason,
        }
        if self.location:
            error.update(location=self.location, locationType=self.location_type)
        body: dict[str, Any] = {
            "code": self.code,
            "message": self.message,
            "errors": [error],
            "status": self.status,
        }
        if self.details:
            body["details"] = self.details
        return {"error": body}


def bad_request(message: str, location: str | None = None, reason: str = "invalid") -> ApiError:
    return ApiError(400, message, reason, location)


@dataclass(frozen=True)
class Method:
    id: str  # e.g. "drive.files.list"
    api: str  # "drive" or "gmail"
    http_method: str
    pattern: re.Pattern[str]
    params: dict[str, dict[str, Any]]  # the method's parameters plus the API's global ones
    request: str | None  # schema names
    response: str | None
    upload: bool  # this route is the method's media upload path
    downloads: bool  # the method answers alt=media
    scopes: tuple[str, ...] = ()  # the OAuth scopes any one of which lets a token call it


def _pattern(template: str) -> re.Pattern[str]:
    parts = re.split(r"(\{\+?\w+\})", template)
    regex = "".join(
        (f"(?P<{p.strip('{}+')}>.+)" if p.startswith("{+") else f"(?P<{p.strip('{}')}>[^/]+)")
        if p.startswith("{")
        else re.escape(p)
        for p in parts
    )
    return re.compile(f"^{regex}$")


def _methods(api: str, doc: dict[str, Any]) -> list[Method]:
    found = []

    def walk(resources: dict[str, Any]) -> None:
        for resource in resources.values():
            for desc in resource.get("methods", {}).values():
                params = {**doc["parameters"], **desc.get("parameters", {})}
                common = dict(
                    id=desc["id"],
                    api=api,
                    http_method=desc["httpMethod"],
                    params=params,
                    request=desc.get("request", {}).get("$ref"),
                    response=desc.get("response", {}).get("$ref"),
                    downloads=bool(desc.get("supportsMediaDownload")),
                    scopes=tuple(desc.get("scopes", ())),
                )
                found.append(
                    Method(
                        pattern=_pattern("/" + doc["servicePath"] + desc["path"]),
                        upload=False,
                        **common,
                    )
                )
                simple = desc.get("mediaUpload", {}).get("protocols", {}).get("simple")
                if simple:
                    found.append(Method(pattern=_pattern(simple["path"]), upload=True, **common))
            walk(resource.get("resources", {}))

    walk(doc["resources"])
    return found


class Discovery:
    def __init__(self) -> None:
        self.docs = {
            api: json.loads((DOCS / f"{api}.{version}.json").read_text())
            for api, version in (("drive", "v3"), ("gmail", "v1"))
        }
        self.methods = [m for api, doc in self.docs.items() for m in _methods(api, doc)]

    def route(self, http_method: str, path: str) -> tuple[Method, dict[str, str]]:
        """The method a request names; literal routes win over templated ones (files/trash)."""
        matches = []
        for method in self.methods:
            match = method.pattern.match(path)
            if match and method.http_method == http_method:
                matches.append((len(match.groupdict()), method, match))
        if not matches:
            raise ApiError(404, f"Not Found: {http_method} {path}", "notFound")
        _, method, match = min(matches, key=lambda item: item[0])
        return method, {k: unquote(v) for k, v in match.groupdict().items()}

    def parameters(
        self, method: Method, path_params: dict[str, str], query: dict[str, list[str]]
    ) -> dict[str, Any]:
        """The typed parameters; refuses unknown, repeated, mistyped and missing ones."""
        values: dict[str, Any] = dict(path_params)
        for name, raw in query.items():
            spec = method.params.get(name)
            if spec is None or spec.get("location") == "path":
                raise bad_request(
                    f'Invalid JSON payload received. Unknown name "{name}": '
                    f"Cannot bind query parameter. Field '{name}' could not be "
                    f"found in request message.",
                    name,
                )
            if len(raw) > 1 and not spec.get("repeated"):
                raise bad_request(f"Parameter {name} given more than once", name)
            typed = [_typed(name, spec, value) for value in raw]
            values[name] = typed if spec.get("repeated") else typed[0]
        for name, spec in method.params.items():
            if spec.get("required") and name not in values:
                raise bad_request(f"Required parameter: {name}", name, "required")
        return values

    def schema(self, api: str, name: str) -> dict[str, Any]:
        return self.docs[api]["schemas"][name]

    def check_body(self, method: Method, body: Any) -> None:
        if method.request is None or body is None:
            return
        if not isinstance(body, dict):
            raise bad_request("Invalid JSON payload received: expected an object")
        known = self.schema(method.api, method.request).get("properties", {})
        for key in body:
            if key not in known:
                raise bad_request(
                    f'Invalid JSON payload received. Unknown name "{key}": Cannot find field.', key
                )

    def selector(self, method: Method, fields: str) -> dict[str, Any]:
        """Parse and check a `fields` partial-response selector against the response schema."""
        tree, rest = _parse_fields(fields, 0)
        if rest != len(fields):
            raise bad_request(f"Invalid field selection {fields}", "fields")
        if method.response:
            self._check_selector(method.api, {"$ref": method.response}, tree)
        return tree

    def _resolve(self, api: str, schema: dict[str, Any]) -> dict[str, Any]:
        while True:
            if "$ref" in schema:
                schema = self.schema(api, schema["$ref"])
            elif schema.get("type") == "array":
                schema = schema["items"]
            else:
                return schema

    def _check_selector(self, api: str, schema: dict[str, Any], tree: dict[str, Any]) -> None:
        schema = self._resolve(api, schema)
        props = schema.get("properties")
        for name, sub in tree.items():
            if name == "*" or props is None:  # maps (additionalProperties) take any key
                continue
            if name not in props:
                raise bad_request(f"Invalid field selection {name}", "fields")
            if sub is not True:
                self._check_selector(api, props[name], sub)


def _typed(name: str, spec: dict[str, Any], value: str) -> Any:
    kind = spec.get("type")
    if kind == "boolean":
        if value not in ("true", "false"):
            raise bad_request(f"Invalid value for boolean parameter {name}: {value}", name)
        return value == "true"
    if kind == "integer":
        try:
            number = int(value)
        except ValueError:
            raise bad_request(
                f"Invalid value for integer parameter {name}: {value}", name
            ) from None
        if "minimum" in spec and number < int(spec["minimum"]):
            raise bad_request(f"Invalid value for {name}: {value}", name)
        return number
    if "enum" in spec and value not in spec["enum"]:
        raise bad_request(f"Invalid value at '{name}' ({value})", name)
    return value


def _parse_fields(text: str, pos: int) -> tuple[dict[str, Any], int]:
    """fields := item (',' item)*; item := name('/'name)* ['(' fields ')']"""
    tree: dict[str, Any] = {}
    while True:
        match = re.compile(r"\s*([\w*]+(?:/[\w*]+)*)\s*").match(text, pos)
        if not match:
            raise bad_request(f"Invalid field selection {text}", "fields")
        path, pos = match.group(1).split("/"), match.end()
        sub: Any = True
        if pos < len(text) and text[pos] == "(":
            sub, pos = _parse_fields(text, pos + 1)
            if pos >= len(text) or text[pos] != ")":
                raise bad_request(f"Invalid field selection {text}", "fields")
            pos += 1
        for name in reversed(path[1:]):
            sub = {name: sub}
        tree[path[0]] = _merge(tree.get(path[0]), sub)
        if pos < len(text) and text[pos] == ",":
            pos += 1
            continue
        return tree, pos


def _merge(old: Any, new: Any) -> Any:
    if old is None:
        return new
    if old is True or new is True:
        return True
    return {**old, **{k: _merge(old.get(k), v) for k, v in new.items()}}


def apply_selector(value: Any, tree: dict[str, Any]) -> Any:
    """Keep only the selected fields of a response (lists apply the selector to each item)."""
    if isinstance(value, list):
        return [apply_selector(item, tree) for item in value]
    if not isinstance(value, dict):
        return value
    if "*" in tree:
        return value
    return {
        key: (item if tree[key] is True else apply_selector(item, tree[key]))
        for key, item in value.items()
        if key in tree
    }
