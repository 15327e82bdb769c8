"""``AZURE_AUTH_METHOD`` -> an azure-identity credential (SPEC §3).

The credential is wrapped in :class:`KompoxCredential`: its ``repr`` shows only the method
and client ID, and token failures become :class:`~kompox_tui.errors.AuthError` with a
message that names the method and never contains a secret or a token.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING, Any
from urllib.parse import urlparse

from kompox_tui.config import AUTH_METHODS
from kompox_tui.errors import AuthError, ConfigError

if TYPE_CHECKING:
    from azure.core.credentials import AccessToken, AccessTokenInfo, TokenRequestOptions

__all__ = ["KompoxCredential", "authority_host", "build_credential", "is_well_known_authority"]

#: Entra ID hosts MSAL knows; any other authority skips MSAL's instance discovery.
WELL_KNOWN_AUTHORITY_HOSTS = frozenset(
    {
        "login.microsoftonline.com",
        "login.microsoftonline.us",
        "login.chinacloudapi.cn",
        "login.microsoftonline.de",
        "login.windows.net",
        "login.microsoft.com",
        "sts.windows.net",
    }
)

_JWT = re.compile(r"eyJ[A-Za-z0-9_-]+\.[A-Za-z0-9_-]+\.[A-Za-z0-9_-]*")
_BEARER = re.compile(
    r"(?i)(bearer|access_token|refresh_token|client_secret|assertion)([\"':= ]+)\S+"
)
_MAX_DETAIL = 400

_METHOD_HINTS = {
    "client_secret": "check AZURE_TENANT_ID, AZURE_CLIENT_ID and AZURE_CLIENT_SECRET in {source}",
    "client_certificate": (
        "check AZURE_TENANT_ID, AZURE_CLIENT_ID and that the certificate in "
        "AZURE_CLIENT_CERTIFICATE_PATH is registered on the app ({source})"
    ),
    "managed_identity": (
        "managed identity works only on Azure compute with an identity assigned; "
        "check AZURE_CLIENT_ID in {source} or choose another AZURE_AUTH_METHOD"
    ),
    "workload_identity": (
        "check AZURE_TENANT_ID, AZURE_CLIENT_ID, AZURE_FEDERATED_TOKEN_FILE in {source} "
        "and the app's federated credential"
    ),
    "azure_cli": "run `az login` (the Azure CLI must be on PATH) or choose another method",
    "azure_developer_cli": "run `azd auth login` (azd must be on PATH) or choose another method",
}


def authority_host(settings: Mapping[str, str]) -> str | None:
    """``AZURE_AUTHORITY_HOST`` without a trailing slash, or None for the public cloud."""
    value = settings.get("AZURE_AUTHORITY_HOST", "").strip().rstrip("/")
    return value or None


def is_well_known_authority(authority: str | None) -> bool:
    """True for the public and sovereign Entra ID hosts (and for the default, None)."""
    if authority is None:
        return True
    host = urlparse(authority if "://" in authority else f"https://{authority}").hostname
    return (host or "").lower() in WELL_KNOWN_AUTHORITY_HOSTS


def _scrub(text: str, secrets: tuple[str, ...]) -> str:
    """Exception text made safe to show: no secret values, no tokens, one short line."""
    for secret in secrets:
        if secret:
            text = text.replace(secret, "***")
    text = _JWT.sub("***", text)
    text = _BEARER.sub(lambda m: f"{m.group(1)}{m.group(2)}***", text)
    text = " ".join(text.split())
    if len(text) > _MAX_DETAIL:
        text = text[: _MAX_DETAIL - 3] + "..."
    return text


class KompoxCredential:
    """A TokenCredential that hides its secrets and turns token failures into AuthError."""

    def __init__(
        self,
        inner: Any,
        *,
        method: str,
        client_id: str | None,
        source: str,
        authority: str | None,
        secrets: tuple[str, ...] = (),
    ) -> None:
        self._inner = inner
        self.method = method
        self.client_id = client_id
        self.source = source
        self.authority = authority
        self._secrets = tuple(s for s in secrets if s)

    def __repr__(self) -> str:
        client = f", client_id={self.client_id!r}" if self.client_id else ""
        return f"KompoxCredential(method={self.method!r}{client})"

    __str__ = __repr__

    @property
    def inner(self) -> Any:
        """The azure-identity credential (for code that needs its type)."""
        return self._inner

    def _auth_error(self, exc: BaseException) -> AuthError:
        raw = getattr(exc, "message", None) or str(exc) or type(exc).__name__
        detail = _scrub(str(raw), self._secrets)
        where = f" at {redact_userinfo(self.authority)}" if self.authority else ""
        from .errors_map import classify

        cause = classify(exc)
        if cause is not None:
            # Entra ID not reachable (or not trusted): the credentials are not the
            # problem, so the hint is about the endpoint and the network, not the secret.
            from kompox_tui.errors import hint_for

            return AuthError(
                f"AZURE_AUTH_METHOD {self.method} could not get a token{where}: {cause.detail}",
                hint=hint_for(cause.reason),
                reason=cause.reason,
            )
        return AuthError(
            f"AZURE_AUTH_METHOD {self.method} could not get a token{where}: {detail}",
            hint=_METHOD_HINTS.get(self.method, "check {source}").format(source=self.source),
        )

    def _call(self, name: str, *args: Any, **kwargs: Any) -> Any:
        from azure.core.exceptions import ClientAuthenticationError, ServiceRequestError

        try:
            return getattr(self._inner, name)(*args, **kwargs)
        except (ClientAuthenticationError, ServiceRequestError, OSError, ValueError) as exc:
            # ``from None``: the original exception may carry request details.
            raise self._auth_error(exc) from None

    def get_token(
        self,
        *scopes: str,
        claims: str | None = None,
        tenant_id: str | None = None,
        enable_cae: bool = False,
        **kwargs: Any,
    ) -> AccessToken:
        token: AccessToken = self._call(
            "get_token",
            *scopes,
            claims=claims,
            tenant_id=tenant_id,
            enable_cae=enable_cae,
            **kwargs,
        )
        return token

    def get_token_info(
        self, *scopes: str, options: TokenRequestOptions | None = None
    ) -> AccessTokenInfo:
        info: AccessTokenInfo = self._call("get_token_info", *scopes, options=options)
        return info

    def close(self) -> None:
        close = getattr(self._inner, "close", None)
        if callable(close):
            close()

    def __enter__(self) -> KompoxCredential:
        enter = getattr(self._inner, "__enter__", None)
        if callable(enter):
            enter()
        return self

    def __exit__(
        self,
        exc_type: type[BaseException] | None,
        exc: BaseException | None,
        tb: TracebackType | None,
    ) -> None:
        self.close()


def _setting(settings: Mapping[str, str], key: str) -> str:
    return settings.get(key, "").strip()


_USERINFO = re.compile(r"(?i)\b([a-z][a-z0-9+.-]*://)([^/@\s]*)@")


def redact_userinfo(text: str) -> str:
    """``scheme://user:pass@host`` -> ``scheme://***@host`` anywhere in ``text``."""
    return _USERINFO.sub(r"\1***@", text)


MAX_CREDENTIAL_FILE_BYTES = 4 * 1024 * 1024


def _check_file(path_text: str, key: str, source: str, *, what: str) -> Path:
    path = Path(path_text).expanduser()
    if not path.exists():
        raise ConfigError(f"{what} not found: {path}", key=f"{source}.{key}")
    if not path.is_file():
        # A FIFO would block the read forever, /dev/zero would never end.
        raise ConfigError(f"{what} {path} is not a regular file", key=f"{source}.{key}")
    if path.stat().st_size > MAX_CREDENTIAL_FILE_BYTES:
        raise ConfigError(
            f"{what} {path} is larger than {MAX_CREDENTIAL_FILE_BYTES // (1024 * 1024)} MiB",
            key=f"{source}.{key}",
        )
    return path


def _load_certificate(path: Path, password: bytes | None) -> bytes:
    """Read and check a PEM or PFX client certificate; AuthError names the path and problem."""
    from cryptography import x509
    from cryptography.hazmat.primitives.asymmetric.rsa import RSAPrivateKey
    from cryptography.hazmat.primitives.serialization import load_pem_private_key, pkcs12

    def fail(problem: str) -> AuthError:
        return AuthError(
            f"client certificate {path}: {problem}",
            hint="check AZURE_CLIENT_CERTIFICATE_PATH and AZURE_CLIENT_CERTIFICATE_PASSWORD",
        )

    try:
        data = path.read_bytes()
    except OSError as exc:
        raise fail(f"cannot read the file ({exc.strerror})") from None
    key: object
    if b"-----BEGIN" in data:
        try:
            key = load_pem_private_key(data, password)
        except TypeError:
            # cryptography says whether a password was needed or superfluous.
            if password is None:
                raise fail(
                    "the private key is encrypted but AZURE_CLIENT_CERTIFICATE_PASSWORD is not set"
                ) from None
            raise fail(
                "AZURE_CLIENT_CERTIFICATE_PASSWORD is set but the private key is not encrypted"
            ) from None
        except ValueError:
            if password is not None:
                raise fail(
                    "the password is wrong, or the PEM file holds no readable private key"
                ) from None
            raise fail("the PEM file holds no readable private key") from None
        except Exception:  # unsupported key types raise library-specific errors
            raise fail("the private key could not be read") from None
        try:
            x509.load_pem_x509_certificate(data)
        except ValueError:
            raise fail("the PEM file holds a private key but no certificate") from None
    else:
        try:
            key, cert, _ = pkcs12.load_key_and_certificates(data, password)
        except ValueError:
            raise fail(
                "not a PEM file, and not a PFX/PKCS#12 file that opens with the given "
                "password (wrong or missing AZURE_CLIENT_CERTIFICATE_PASSWORD?)"
            ) from None
        except TypeError:
            raise fail("the PFX file could not be opened with the given password") from None
        if key is None:
            raise fail("the PFX file holds no private key")
        if cert is None:
            raise fail("the PFX file holds no certificate")
    if not isinstance(key, RSAPrivateKey):
        raise fail("the private key must be an RSA key (Entra ID signs assertions with RS256)")
    return data


def build_credential(
    settings: Mapping[str, str],
    *,
    source: str = "provider.settings",
    **options: Any,
) -> KompoxCredential:
    """The azure-identity credential for ``AZURE_AUTH_METHOD`` (SPEC §3).

    ``source`` names the settings map in error messages. Extra ``options`` go to the
    constructor of the HTTP-based credentials (e.g. ``retry_total``); the CLI methods
    ignore them. Raises ConfigError for missing or
    wrong settings and AuthError for an unusable certificate.
    """
    method = _setting(settings, "AZURE_AUTH_METHOD")
    if not method:
        raise ConfigError(
            "missing required setting AZURE_AUTH_METHOD; expected one of "
            + ", ".join(AUTH_METHODS),
            key=source,
        )
    if method not in AUTH_METHODS:
        raise ConfigError(
            f"unsupported AZURE_AUTH_METHOD: {method}; expected one of " + ", ".join(AUTH_METHODS),
            key=f"{source}.AZURE_AUTH_METHOD",
        )
    missing = [k for k in AUTH_METHODS[method] if not _setting(settings, k)]
    if missing:
        raise ConfigError(
            f"AZURE_AUTH_METHOD {method} needs "
            + ", ".join(AUTH_METHODS[method])
            + "; missing: "
            + ", ".join(missing),
            key=source,
        )

    import azure.identity as identity

    tenant_id = _setting(settings, "AZURE_TENANT_ID") or None
    client_id = _setting(settings, "AZURE_CLIENT_ID") or None
    authority = authority_host(settings)
    if authority is not None:
        try:
            parsed = urlparse(authority)
            hostname = parsed.hostname
        except ValueError:  # e.g. 'https://[::1' -- an unclosed IPv6 literal
            hostname = None
            parsed = urlparse("")
        if parsed.username is not None or parsed.password is not None:
            # Never shown, never sent: the authority is where tokens are asked for.
            raise ConfigError(
                f"'{redact_userinfo(authority)}' carries a user name or password; "
                "an authority host never does",
                key=f"{source}.AZURE_AUTHORITY_HOST",
                hint="remove the user:password@ part",
            )
        if parsed.scheme != "https" or not hostname:
            raise ConfigError(
                f"'{redact_userinfo(authority)}' is not an https URL; "
                "expected e.g. https://login.microsoftonline.com",
                key=f"{source}.AZURE_AUTHORITY_HOST",
            )

    http: dict[str, Any] = {}
    ca_bundle = _setting(settings, "AZURE_CA_BUNDLE")
    if ca_bundle:
        # Verification stays on: the bundle is what the token endpoint's certificate must chain to.
        from .tls import trust_bundle

        http["connection_verify"] = trust_bundle(
            str(_check_file(ca_bundle, "AZURE_CA_BUNDLE", source, what="CA bundle")),
            f"{source}.AZURE_CA_BUNDLE",
        )
    entra: dict[str, Any] = dict(http)
    if authority is not None:
        entra["authority"] = authority

    def msal_options() -> dict[str, Any]:
        extra = dict(entra)
        if not is_well_known_authority(authority):
            # MSAL would otherwise ask login.microsoftonline.com to validate the authority.
            extra["disable_instance_discovery"] = True
        return extra

    secrets: tuple[str, ...] = ()
    inner: Any
    try:
        if method == "client_secret":
            secret = _setting(settings, "AZURE_CLIENT_SECRET")
            secrets = (secret,)
            inner = identity.ClientSecretCredential(
                tenant_id or "", client_id or "", secret, **msal_options(), **options
            )
        elif method == "client_certificate":
            password_text = settings.get("AZURE_CLIENT_CERTIFICATE_PASSWORD") or ""
            secrets = (password_text,)
            password = password_text.encode("utf-8") if password_text else None
            cert_path = _check_file(
                _setting(settings, "AZURE_CLIENT_CERTIFICATE_PATH"),
                "AZURE_CLIENT_CERTIFICATE_PATH",
                source,
                what="client certificate",
            )
            _load_certificate(cert_path, password)
            inner = identity.CertificateCredential(
                tenant_id or "",
                client_id or "",
                str(cert_path),
                password=password,
                **msal_options(),
                **options,
            )
        elif method == "managed_identity":
            inner = identity.ManagedIdentityCredential(client_id=client_id, **http, **options)
        elif method == "workload_identity":
            token_file = _check_file(
                _setting(settings, "AZURE_FEDERATED_TOKEN_FILE"),
                "AZURE_FEDERATED_TOKEN_FILE",
                source,
                what="federated token file",
            )
            inner = identity.WorkloadIdentityCredential(
                tenant_id=tenant_id,
                client_id=client_id,
                token_file_path=str(token_file),
                **entra,
                **options,
            )
        elif method == "azure_cli":
            # The CLI methods make no HTTP requests of their own: no transport options.
            inner = identity.AzureCliCredential(tenant_id=tenant_id or "")
        else:  # azure_developer_cli
            inner = identity.AzureDeveloperCliCredential(tenant_id=tenant_id or "")
    except (ValueError, TypeError) as exc:
        # azure-identity validates its arguments (tenant ID characters, certificate format).
        raise AuthError(
            f"cannot set up AZURE_AUTH_METHOD {method} from {source}: " + _scrub(str(exc), secrets)
        ) from None
    return KompoxCredential(
        inner,
        method=method,
        client_id=client_id,
        source=source,
        authority=authority,
        secrets=secrets,
    )
