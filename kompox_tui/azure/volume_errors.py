"""Classifying the SDK's errors for the volume operations (typed, never by message text)
and re-wording a project error while keeping its type."""

from __future__ import annotations

from azure.core.exceptions import HttpResponseError, ResourceExistsError, ResourceNotFoundError

from ..errors import AzureError, ConfigError, KompoxError
from .errors_map import map_error as map_to_kompox


def error_code(exc: BaseException) -> str | None:
    err = getattr(exc, "error", None)
    code = getattr(err, "code", None)
    return code if isinstance(code, str) else None


def is_rg_missing(exc: BaseException) -> bool:
    """True for the typed 404 ``ResourceGroupNotFound`` (never by message text)."""
    return isinstance(exc, ResourceNotFoundError) and (error_code(exc) or "").lower() == (
        "resourcegroupnotfound"
    )


def is_precondition_failed(exc: BaseException) -> bool:
    return isinstance(exc, HttpResponseError) and (
        exc.status_code == 412 or (error_code(exc) or "").lower() == "preconditionfailed"
    )


def is_conflict(exc: BaseException) -> bool:
    return isinstance(exc, ResourceExistsError) or (
        isinstance(exc, HttpResponseError) and exc.status_code == 409
    )


def to_kompox_error(operation: str, exc: BaseException) -> KompoxError:
    """The project's typed error for ``exc`` (one mapper for every operation)."""
    return map_to_kompox(operation, exc)


def _rewrap(err: KompoxError, message: str, hint: str) -> KompoxError:
    """``err`` with a new message and hint, keeping its type (and Azure code/status)."""
    if isinstance(err, AzureError):
        return type(err)(
            err.operation, code=err.code, message=message, status=err.status, hint=hint
        )
    if isinstance(err, ConfigError):
        return ConfigError(message, file=err.file, key=err.key, line=err.line, hint=hint)
    return type(err)(message, hint=hint)
