"""One hierarchy of errors, each with a message a user can act on.

Every error the product raises on purpose derives from :class:`KompoxError`.
``str(error)`` is the whole user-facing message: what went wrong, where, and
what to do. Messages never contain secret values (client secrets, certificate
passwords, tokens, kubeconfig credentials).
"""

from __future__ import annotations


class KompoxError(Exception):
    """Base of every error kompox-tui raises on purpose."""

    #: Short hint telling the user what to do next; appended to the message.
    hint: str = ""

    def __init__(self, message: str, *, hint: str | None = None) -> None:
        self.message = message
        if hint is not None:
            self.hint = hint
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


class ReadOnlyError(KompoxError):
    """A mutating operation was attempted in --read-only mode."""

    hint = "restart kompox-tui without --read-only to make changes"


class NotFoundError(KompoxError):
    """The named disk, snapshot, volume, stack or cluster does not exist."""


class ConflictError(KompoxError):
    """A write lost a race (ETag mismatch after retries) or a name clashed."""

    hint = "refresh and try again; someone else may be changing the same resource"


class OperationTimeout(KompoxError):
    """An operation ran past its time limit (SPEC §4, §5)."""

    hint = "the operation may still complete on Azure; refresh to see the current state"


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
    ) -> None:
        self.operation = operation
        self.code = code or "Unknown"
        self.azure_message = message or ""
        self.status = status
        self.details = list(details or [])
        text = f"{operation} failed: ({self.code}) {self.azure_message}".rstrip()
        if self.details:
            text += "; " + "; ".join(self.details)
        super().__init__(text, hint=hint if hint is not None else default_hint(status, self.code))


_THROTTLED = {"toomanyrequests", "subscriptionrequeststhrottled", "resourcerequeststhrottled"}


def default_hint(status: int | None, code: str) -> str:
    """What to do about an Azure/Kubernetes refusal, judged from its status and code."""
    lcode = code.lower()
    if status == 429 or lcode in _THROTTLED:
        return "Azure is throttling requests: wait a minute, then run the operation again"
    if status in (401, 403) or lcode in {"authorizationfailed", "forbidden", "unauthorized"}:
        return (
            "check the credentials in provider.settings and that the identity has the "
            "needed role (e.g. Contributor) on the subscription or resource group"
        )
    if status == 404 or lcode.endswith("notfound"):
        return "refresh: the resource may have been deleted or never created"
    if status in (409, 412) or lcode in {"conflict", "preconditionfailed"}:
        return "another change is in progress on this resource: refresh, then try again"
    if status is not None and status >= 500:
        return (
            "Azure had a transient problem: run the operation again in a moment; "
            "if it persists, check the Azure status page"
        )
    if lcode in {"kubernetesunreachable", "serviceunreachable", "connectionerror"}:
        return "check the network path to the endpoint, then refresh"
    return "fix the cause Azure names above, then run the operation again; refresh to see the state"


class KubernetesError(AzureError):
    """The cluster's Kubernetes API refused a request or could not be reached."""


class PreconditionError(KompoxError):
    """An operation cannot run in the current state (e.g. deleting the assigned disk)."""
