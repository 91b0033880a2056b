"""Request validation, once for both apps: JSON decoding and pydantic models with field errors.

The models say the contract's limits (lengths, patterns, enums); ``parse`` turns pydantic's errors
into one 422 with an entry per field. Unknown fields are refused, so a typo never passes silently.
"""

from __future__ import annotations

import json
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import BadRequest, FieldError, Invalid, NotFound

M = TypeVar("M", bound="Body")
MAX_ID = 2**63 - 1


class Body(BaseModel):
    """Base of every request body: trimmed strings, no unknown fields, no type coercion from strings."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


def parse_json(raw: bytes) -> Any:
    """Decode a request body; anything that is not UTF-8 JSON is a 400."""
    if not raw.strip():
        raise BadRequest("The request body is empty; a JSON object was expected.")
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # ValueError: not UTF-8, not JSON, or a number too long for Python to convert (4,300 digits
        # and more: sys.get_int_max_str_digits); RecursionError: nested too deep.
        raise BadRequest("The request body is not valid JSON.") from exc


def parse(model: type[M], data: Any) -> M:
    """Validate a decoded JSON value against ``model``: 400 if not an object, 422 per bad field."""
    if not isinstance(data, Mapping):
        raise BadRequest("The request body must be a JSON object.")
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "body", _message(e))
            for e in exc.errors(include_url=False)
        ]
        raise Invalid(errors) from None


def _message(error: Any) -> str:
    if error["type"] == "extra_forbidden":
        return "unknown field"
    if error["type"] == "missing":
        return "required"
    return str(error["msg"])


def check_id(value: int, what: str) -> int:
    """Path ids beyond BIGINT can name nothing: 404, not a database error."""
    if not 0 < value <= MAX_ID:
        raise NotFound(what)
    return value


def query_flag(query: Mapping[str, str], name: str) -> bool | None:
    """A boolean query parameter: ``true``/``false`` (or 1/0), absent → None, else 400."""
    raw = query.get(name)
    if raw is None:
        return None
    if raw.lower() in ("true", "1"):
        return True
    if raw.lower() in ("false", "0"):
        return False
    raise BadRequest(f"{name}: must be true or false")
