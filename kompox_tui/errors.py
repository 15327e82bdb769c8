"""One hierarchy of errors, each with a message a user can act on.

Every error the product raises on purpose derives from :class:`KompoxError`.
``str(error)`` is the whole user-facing message: what went wrong, where, and
what to do. Messages never contain secret values (client secrets, certificate
passwords, tokens, kubeconfig credentials).
"""

from __future__ import annotations

from enum import StrEnum


class Reason(StrEnum):
    """Why an operation failed, judged from the exception's type and HTTP status/code.

    The value is the word the overview shows in a failed row's Stack column, so the
    same cause reads the same wherever it happened (ARM, Entra ID, Kubernetes).
    """

    UNREACHABLE = "unreachable"
    TLS = "TLS"
    AUTH = "auth failed"
    FORBIDDEN = "forbidden"
    THROTTLED = "throttled"
    NOT_FOUND = "not found"
    CONFLICT = "conflict"
    TIMEOUT = "timed out"
    REJECTED = "rejected"
    SERVER = "server error"
    CONFIG = "config"
    READ_ONLY = "read-only"
    PRECONDITION = "not ready"
    UNKNOWN = "error"


class KompoxError(Exception):
    """Base of every error kompox-tui raises on purpose."""

    #: Short hint telling the user what to do next; appended to the message.
    hint: str = ""
    #: The typed cause; subclasses set their own, the error mapper sets it per instance.
    reason: Reason = Reason.UNKNOWN

    def __init__(
        self, message: str, *, hint: str | None = None, reason: Reason | None = None
    ) -> None:
        self.message = message
        if hint is not None:
            self.hint = hint
        if reason is not None:
            self.reason = reason
        super().__init__(self.__str__())

    def __str__(self) -> str:
        if self.hint and self.hint not in self.message:
            return f"{self.message} — {self.hint}"
        return self.message


class ConfigError(KompoxError):
    """kompoxops.yml is missing, malformed, or lacks a setting an operation needs.

    The message names the file, the key path (``app.volumes[1].size``), the
    offending value (never a secret) and what is expected; ``line`` is the YAML
    line number when the parser knows it.
    """

    reason = Reason.CONFIG

    def __init__(
        self,
        message: str,
        *,
        file: str | None = None,
        key: str | None = None,
        line: int | None = None,
        hint: str | None = None,
    ) -> None:
        self.file = file
        self.key = key
        self.line = line
        where = ""
        if file:
            where = file if line is None else f"{file}:{line}"
        if key:
            where = f"{where}: {key}" if where else key
        self.detail = message
        super().__init__(f"{where}: {message}" if where else message, hint=hint)


class AuthError(KompoxError):
    """A credential could not be built or could not obtain a token."""

    hint = "check AZURE_AUTH_METHOD and its settings in provider.settings"
    reason = Reason.AUTH


class ReadOnlyError(KompoxError):
    """A mutating operation was attempted in --read-only mode."""

    hint = "restart kompox-tui without --read-only to make changes"
    reason = Reason.READ_ONLY


class NotFoundError(KompoxError):
    """The named disk, snapshot, volume, stack or cluster does not exist."""

    reason = Reason.NOT_FOUND


class ConflictError(KompoxError):
    """A write lost a race (ETag mismatch after retries) or a name clashed."""

    hint = "refresh and try again; someone else may be changing the same resource"
    reason = Reason.CONFLICT


class OperationTimeout(KompoxError):
    """An operation ran past its time limit (SPEC §4, §5)."""

    hint = "the operation may still complete on Azure; refresh to see the current state"
    reason = Reason.TIMEOUT


class AzureError(KompoxError):
    """Azure (or the Kubernetes API) refused a request.

    Carries the operation, the HTTP status and the Azure error code and message.
    """

    def __init__(
        self,
        operation: str,
        *,
        code: str | None = None,
        message: str | None = None,
        status: int | None = None,
        details: list[str] | None = None,
        hint: str | None = None,
        reason: Reason | None = None,
    ) -> None:
        self.operation = operation
        self.code = code or "Unknown"
        self.azure_message = message or ""
        self.status = status
        self.details = list(details or [])
        text = f"{operation} failed: ({self.code}) {self.azure_message}".rstrip()
        if self.details:
            text += "; " + "; ".join(self.details)
        typed = reason if reason is not None else reason_for(status, self.code)
        super().__init__(text, hint=hint if hint is not None else hint_for(typed), reason=typed)


_THROTTLED = {"toomanyrequests", "subscriptionrequeststhrottled", "resourcerequeststhrottled"}
_AUTH_CODES = {"unauthorized", "invalidauthenticationtoken", "expiredauthenticationtoken"}
_FORBIDDEN_CODES = {"authorizationfailed", "forbidden", "requestdisallowedbypolicy"}
_CONFLICT_CODES = {"conflict", "preconditionfailed", "operationnotallowed", "alreadyexists"}


def reason_for(status: int | None, code: str) -> Reason:
    """The typed cause of an HTTP refusal, from its status and error code (never its text)."""
    lcode = code.lower()
    if status == 429 or lcode in _THROTTLED:
        return Reason.THROTTLED
    if status == 401 or lcode in _AUTH_CODES:
        return Reason.AUTH
    if status == 403 or lcode in _FORBIDDEN_CODES:
        return Reason.FORBIDDEN
    if status == 404 or lcode.endswith("notfound"):
        return Reason.NOT_FOUND
    if status in (409, 412) or lcode in _CONFLICT_CODES:
        return Reason.CONFLICT
    if status in (408, 504) or lcode in {"timeout", "gatewaytimeout"}:
        return Reason.TIMEOUT
    if status is not None and status >= 500:
        return Reason.SERVER
    if lcode in {"kubernetesunreachable", "serviceunreachable"}:
        return Reason.UNREACHABLE
    if lcode == "tlserror":
        return Reason.TLS
    if status is not None and 400 <= status < 500:
        return Reason.REJECTED
    return Reason.UNKNOWN


_HINTS: dict[Reason, str] = {
    Reason.UNREACHABLE: (
        "check the endpoint setting (AZURE_RESOURCE_MANAGER_ENDPOINT, AZURE_AUTHORITY_HOST "
        "or the cluster's API server) and the network path to it; refresh retries"
    ),
    Reason.TLS: (
        "the server's certificate is not trusted here: if it uses a private CA, point "
        "AZURE_CA_BUNDLE at that CA's PEM file"
    ),
    Reason.AUTH: "check AZURE_AUTH_METHOD and its settings (client id, secret or certificate)",
    Reason.FORBIDDEN: (
        "the identity lacks a role or an Azure Policy denies the request: grant the "
        "needed role (e.g. Contributor) on the subscription or resource group, or ask "
        "the policy owner"
    ),
    Reason.THROTTLED: "Azure is throttling requests: wait a minute, then run the operation again",
    Reason.NOT_FOUND: "refresh: the resource may have been deleted or never created",
    Reason.CONFLICT: "another change is in progress on this resource: refresh, then try again",
    Reason.TIMEOUT: "the operation may still complete on Azure; refresh to see the current state",
    Reason.SERVER: (
        "Azure had a transient problem: run the operation again in a moment; "
        "if it persists, check the Azure status page"
    ),
}


def hint_for(reason: Reason) -> str:
    """What to do about a failure of this kind."""
    return _HINTS.get(
        reason,
        "fix the cause Azure names above, then run the operation again; refresh to see the state",
    )


def default_hint(status: int | None, code: str) -> str:
    """What to do about an Azure/Kubernetes refusal, judged from its status and code."""
    return hint_for(reason_for(status, code))


class KubernetesError(AzureError):
    """The cluster's Kubernetes API refused a request or could not be reached."""


class PreconditionError(KompoxError):
    """An operation cannot run in the current state (e.g. deleting the assigned disk)."""

    reason = Reason.PRECONDITION
