"""Request validation, once for both apps: JSON decoding and pydantic models with field errors.

The models say the contract's limits (lengths, patterns, enums); ``parse`` turns pydantic's errors
into one 422 with an entry per field. Unknown fields are refused, so a typo never passes silently.
"""

from __future__ import annotations

import json
import re
from collections.abc import Mapping
from typing import Any, TypeVar

from pydantic import BaseModel, ConfigDict, ValidationError

from shared.errors import BadRequest, FieldError, Invalid, NotFound
from shared.i18n import Text, _l, _ln

M = TypeVar("M", bound="Body")
MAX_ID = 2**63 - 1


class Body(BaseModel):
    """Base of every request body: trimmed strings, no unknown fields, no type coercion from strings."""

    model_config = ConfigDict(extra="forbid", str_strip_whitespace=True, strict=True)


def parse_json(raw: bytes) -> Any:
    """Decode a request body; anything that is not UTF-8 JSON is a 400."""
    if not raw.strip():
        raise BadRequest(_l("The request body is empty; a JSON object was expected."))
    try:
        return json.loads(raw)
    except (ValueError, RecursionError) as exc:
        # ValueError: not UTF-8, not JSON, or a number too long for Python to convert (4,300 digits
        # and more: sys.get_int_max_str_digits); RecursionError: nested too deep.
        raise BadRequest(_l("The request body is not valid JSON.")) from exc


def parse(model: type[M], data: Any) -> M:
    """Validate a decoded JSON value against ``model``: 400 if not an object, 422 per bad field."""
    if not isinstance(data, Mapping):
        raise BadRequest(_l("The request body must be a JSON object."))
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors = [
            FieldError(".".join(str(p) for p in e["loc"]) or "body", _message(e))
            for e in exc.errors(include_url=False)
        ]
        raise Invalid(errors) from None


# What each kind of refusal says, written for people (pydantic's own wording names its internals:
# "String should match pattern '^[A-Za-z0-9_]{3,32}$'"), in words that read after the field's name
# ("Username: 3–32 letters, digits or underscores") and beside the field in a form. A pattern says
# what it allows in words. Each is translated where it is shown (shared.i18n).
USERNAME_PATTERN = r"^[A-Za-z0-9_]{3,32}$"
TAKEN = {"username": _l("That username is already taken."), "email": _l("That email is already taken.")}
NOT_YOUR_PASSWORD = _l("not your current password")
PATTERN_HINTS = {USERNAME_PATTERN: _l("3–32 letters, digits or underscores")}
_TYPES = {"string_type": _l("must be text"), "int_type": _l("must be a whole number"),
          "int_parsing": _l("must be a whole number"), "int_from_float": _l("must be a whole number"),
          "bool_type": _l("must be true or false"), "bool_parsing": _l("must be true or false"),
          "list_type": _l("must be a list"), "dict_type": _l("must be an object"), "missing": _l("required"),
          "extra_forbidden": _l("unknown field")}


def _message(error: Any) -> str:
    kind, ctx = error["type"], error.get("ctx") or {}
    if kind in _TYPES:
        return _TYPES[kind]
    if kind == "string_too_short":
        if ctx.get("min_length") == 1:
            return _l("must not be empty")
        return _ln("at least %(num)d character", "at least %(num)d characters", ctx["min_length"])
    if kind == "string_too_long":
        return _ln("at most %(num)d character", "at most %(num)d characters", ctx["max_length"])
    if kind == "too_long":
        return _ln("at most %(num)d item", "at most %(num)d items", ctx["max_length"])
    if kind == "string_pattern_mismatch":
        return PATTERN_HINTS.get(str(ctx.get("pattern")), _l("has characters that are not allowed"))
    if kind == "literal_error":   # "must be one of: open, approval"
        return _l("must be one of: %(choices)s", choices=", ".join(re.findall(r"'([^']*)'", str(ctx.get("expected")))))
    if kind in ("greater_than", "less_than_equal", "greater_than_equal", "less_than"):
        return _l("out of range")
    if kind == "value_error" and "email" in str(error.get("msg", "")):
        return _l("not a valid e-mail address")
    reason = ctx.get("error")
    if kind == "value_error" and isinstance(reason, ValueError) and isinstance(reason.args[0], Text):
        return reason.args[0]   # a model's own rule, worded where it is checked
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
    raise BadRequest(_l("%(name)s: must be true or false", name=name))
