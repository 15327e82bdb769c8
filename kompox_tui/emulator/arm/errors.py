"""The two error types of the engine and ARM's help-link suffixes.

:class:`ExpressionError` is raised inside one expression (tokenizer, parser, a
function); the evaluator wraps it into a :class:`TemplateError` that names the
template location, because only the evaluator knows where the expression sits.
"""

from __future__ import annotations

from typing import Any

FUNCTIONS_HELP = "Please see https://aka.ms/arm-functions for usage details."
SYNTAX_HELP = "Please see https://aka.ms/arm-syntax for usage details."
DEPLOYMENT_FAILED = (
    "At least one resource deployment operation failed. Please list deployment operations "
    "for details. Please see https://aka.ms/arm-deployment-operations for usage details."
)
OUTPUTS_FAILED = (
    "Unable to evaluate template outputs: '{names}'. Please see error details and deployment "
    "operations. Please see https://aka.ms/arm-common-errors for usage details."
)
AT = "at line '1' and column '1'"
"""ARM names a line and column; the emulator reads JSON values, so it always says 1:1."""


class TemplateError(Exception):
    """An ARM template/deployment error: ``code``, ``message``, ``target``, nested ``details``."""

    def __init__(
        self,
        code: str,
        message: str,
        target: str | None = None,
        details: list[TemplateError] | None = None,
        *,
        reason: str | None = None,
    ) -> None:
        super().__init__(f"({code}) {message}")
        self.code = code
        self.message = message
        self.target = target
        self.details = details or []
        self.reason = reason or message
        """The bare cause, without the location framing (outputs re-frame it, as ARM does)."""

    def to_dict(self) -> dict[str, Any]:
        """The ARM error body (the value of ``"error"``)."""
        body: dict[str, Any] = {"code": self.code, "message": self.message}
        if self.target:
            body["target"] = self.target
        if self.details:
            body["details"] = [d.to_dict() for d in self.details]
        return body

    def innermost(self) -> TemplateError:
        """The deepest first detail (the root cause)."""
        err = self
        while err.details:
            err = err.details[0]
        return err


def invalid_template(message: str, target: str | None = None) -> TemplateError:
    """ARM's ``InvalidTemplate`` with its "Deployment template validation failed" frame."""
    return TemplateError(
        "InvalidTemplate", f"Deployment template validation failed: '{message}'.", target
    )


class ExpressionError(Exception):
    """A problem in one expression (turned into a TemplateError with its location)."""
