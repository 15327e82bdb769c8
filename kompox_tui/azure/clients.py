"""One factory for every SDK client the driver uses.

``AzureClients(config, emit)`` builds, lazily and once, the credential and the
ARM clients (resources, deployment stacks, container service, compute) and
Kubernetes API clients from kubeconfigs. Every client:

- talks to ``AZURE_RESOURCE_MANAGER_ENDPOINT`` (default ``https://management.azure.com``)
  with the matching credential scope,
- verifies TLS, trusting ``AZURE_CA_BUNDLE`` when it is set (never switched off),
- retries 408/429/5xx and connection errors 4 times with exponential backoff,
  honouring ``Retry-After`` (azure-core's ``RetryPolicy``),
- reports every HTTP attempt as one :class:`~kompox_tui.model.ApiCallEvent`
  (method, URL path without the query string, status, duration, request id, host;
  never a header, a token or a query value).

The SDKs are imported inside the methods, so importing this module is cheap.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable
from datetime import UTC, datetime
from typing import TYPE_CHECKING, Any, TypeVar
from urllib.parse import urlsplit

from ..model import ApiCallEvent, Config, DriverEvent

if TYPE_CHECKING:
    from azure.core.credentials import TokenCredential
    from azure.mgmt.compute import ComputeManagementClient
    from azure.mgmt.containerservice import ContainerServiceClient
    from azure.mgmt.resource.deployments import DeploymentsMgmtClient
    from azure.mgmt.resource.deploymentstacks import DeploymentStacksClient
    from azure.mgmt.resource.resources import ResourceManagementClient
    from kubernetes.client import ApiClient

EmitFn = Callable[[DriverEvent], None]
C = TypeVar("C")

DEFAULT_ARM_ENDPOINT = "https://management.azure.com"

#: Known public/sovereign ARM endpoints and the token audience each one expects.
_KNOWN_SCOPES: dict[str, str] = {
    "https://management.azure.com": "https://management.azure.com/.default",
    "https://management.chinacloudapi.cn": "https://management.chinacloudapi.cn/.default",
    "https://management.usgovcloudapi.net": "https://management.core.usgovcloudapi.net/.default",
}

RETRY_TOTAL = 4
RETRY_BACKOFF_FACTOR = 0.8
RETRY_BACKOFF_MAX = 30.0
DEFAULT_POLLING_INTERVAL = 1.0


def arm_endpoint(settings: Any) -> str:
    """The ARM endpoint from provider settings, without a trailing slash."""
    value = str(settings.get("AZURE_RESOURCE_MANAGER_ENDPOINT") or "").strip()
    return (value or DEFAULT_ARM_ENDPOINT).rstrip("/")


def arm_scope(endpoint: str) -> str:
    """The credential scope for an ARM endpoint (``<endpoint>/.default`` for custom ones)."""
    endpoint = endpoint.rstrip("/")
    return _KNOWN_SCOPES.get(endpoint.lower(), f"{endpoint}/.default")


def safe_path(url: str) -> tuple[str, str | None]:
    """``(path, host)`` of a URL: the query string (which may carry values) is dropped."""
    parts = urlsplit(url)
    host = parts.hostname
    if host and parts.port:
        host = f"{host}:{parts.port}"
    return parts.path or "/", host


def _now() -> datetime:
    return datetime.now(UTC)


def _make_retry_policy(**settings: Any) -> Any:
    """azure-core's ``RetryPolicy`` whose waits never pass the operation's deadline.

    azure-core sleeps a server's ``Retry-After`` in full and only then notices that
    the per-call ``timeout`` has run out (a 5 s disk list slept 40 s). This subclass
    checks each wait -- Retry-After or backoff -- against what is left of both the
    per-call ``timeout`` and the current :class:`~.deadline.Deadline`, and ends the
    call at once with an :class:`~kompox_tui.errors.OperationTimeout` (reason
    ``throttled`` for a 429) when the wait would not end in time.
    """
    from azure.core.pipeline.policies import RetryPolicy

    from .deadline import Deadline, current

    class DeadlineRetryPolicy(RetryPolicy):
        def configure_retries(self, options: dict[str, Any]) -> dict[str, Any]:
            retry_settings: dict[str, Any] = super().configure_retries(options)
            # The per-call ``timeout`` as a deadline nested in the operation's (if any).
            outer = current()
            name = outer.operation if outer is not None else ""
            retry_settings["kompox_deadline"] = Deadline(
                name, float(retry_settings["timeout"]), parent=outer
            )
            return retry_settings

        def sleep(self, settings: dict[str, Any], transport: Any, response: Any = None) -> None:
            retry_after = self.get_retry_after(response) if response is not None else None
            wait = retry_after if retry_after else self.get_backoff_time(settings)
            status = response.http_response.status_code if response is not None else None
            deadline: Deadline = settings["kompox_deadline"]
            wait = deadline.bound_wait(wait, status=status, retry_after=bool(retry_after))
            if wait > 0:
                transport.sleep(wait)

    return DeadlineRetryPolicy(**settings)


def _make_api_call_policy(emit: EmitFn) -> Any:
    """An azure-core per-attempt policy that emits one ApiCallEvent per HTTP request.

    Each attempt also gets connection/read timeouts no longer than what the current
    :class:`~.deadline.Deadline` leaves, and is not sent once it has run out.
    """
    from azure.core.pipeline.policies import HTTPPolicy

    from .deadline import current

    class ApiCallEventPolicy(HTTPPolicy):
        def send(self, request: Any) -> Any:
            deadline = current()
            if deadline is not None:
                left = deadline.remaining()
                options = request.context.options
                for key, default in (("connection_timeout", 15.0), ("read_timeout", 120.0)):
                    options[key] = min(float(options.get(key) or default), left)
            http_request = request.http_request
            method = str(http_request.method).upper()
            path, host = safe_path(str(http_request.url))
            started = _now()
            t0 = time.monotonic()
            try:
                response = self.next.send(request)
            except Exception as exc:
                emit(
                    ApiCallEvent(
                        time=started,
                        method=method,
                        path=path,
                        status=None,
                        duration_ms=(time.monotonic() - t0) * 1000.0,
                        host=host,
                        error=type(exc).__name__,
                    )
                )
                raise
            http_response = response.http_response
            emit(
                ApiCallEvent(
                    time=started,
                    method=method,
                    path=path,
                    status=int(http_response.status_code),
                    duration_ms=(time.monotonic() - t0) * 1000.0,
                    request_id=http_response.headers.get("x-ms-request-id"),
                    host=host,
                )
            )
            return response

    return ApiCallEventPolicy()


class AzureClients:
    """Cached, thread-safe SDK clients for one provider configuration."""

    def __init__(
        self,
        config: Config,
        emit: EmitFn,
        *,
        polling_interval: float = DEFAULT_POLLING_INTERVAL,
        retry_total: int = RETRY_TOTAL,
        retry_backoff_factor: float = RETRY_BACKOFF_FACTOR,
        retry_backoff_max: float = RETRY_BACKOFF_MAX,
    ) -> None:
        self.config = config
        self.emit = emit
        settings = config.provider.settings
        self.settings = settings
        self.subscription_id = str(settings.get("AZURE_SUBSCRIPTION_ID") or "")
        self.endpoint = arm_endpoint(settings)
        self.scope = arm_scope(self.endpoint)
        ca = str(settings.get("AZURE_CA_BUNDLE") or "").strip()
        self.extra_ca: str | None = ca or None
        self._trust: str | None = None
        self.polling_interval = polling_interval
        self.retry_total = retry_total
        self.retry_backoff_factor = retry_backoff_factor
        self.retry_backoff_max = retry_backoff_max
        self._lock = threading.RLock()
        self._credential: TokenCredential | None = None
        self._clients: dict[str, Any] = {}
        self._kube_clients: list[Any] = []  # ApiClient or kube_http.KubeHttpClient
        self._http_session: Any = None

    # --- credential -------------------------------------------------------------------

    @property
    def credential(self) -> TokenCredential:
        with self._lock:
            if self._credential is None:
                from .credentials import build_credential

                # The token requests share the ARM clients' session and TLS context.
                self._credential = build_credential(
                    self.settings, session=self._session(), session_owner=False
                )
            return self._credential

    # --- ARM clients -----------------------------------------------------------------------

    def client_kwargs(self) -> dict[str, Any]:
        """Keyword arguments shared by every ARM client (exposed for tests and VolumeOps)."""
        kwargs: dict[str, Any] = {
            "base_url": self.endpoint,
            "credential_scopes": [self.scope],
            "retry_total": self.retry_total,
            # azure-core caps each kind separately (default 3): make all of them 4.
            "retry_connect": self.retry_total,
            "retry_read": self.retry_total,
            "retry_status": self.retry_total,
            "retry_backoff_factor": self.retry_backoff_factor,
            "retry_backoff_max": self.retry_backoff_max,
            "polling_interval": self.polling_interval,
            "retry_policy": _make_retry_policy(
                retry_total=self.retry_total,
                retry_connect=self.retry_total,
                retry_read=self.retry_total,
                retry_status=self.retry_total,
                retry_backoff_factor=self.retry_backoff_factor,
                retry_backoff_max=self.retry_backoff_max,
            ),
            # Sits right after the authentication policy: runs once per attempt.
            "custom_hook_policy": _make_api_call_policy(self.emit),
            "connection_timeout": 15,
            "read_timeout": 120,
            # One session for the ARM clients, TLS context loaded once (tls_session.py).
            "session": self._session(),
            "session_owner": False,
        }
        if self.ca_bundle:
            kwargs["connection_verify"] = self.ca_bundle
        return kwargs

    def _session(self) -> Any:
        with self._lock:
            if self._http_session is None:
                from .tls_session import verified_session

                self._http_session = verified_session(self.ca_bundle)
            return self._http_session

    @property
    def ca_bundle(self) -> str | None:
        """The default trust store plus ``AZURE_CA_BUNDLE`` (see :mod:`.tls`); None if unset."""
        if self.extra_ca and self._trust is None:
            from .tls import trust_bundle

            self._trust = trust_bundle(self.extra_ca, "provider.settings.AZURE_CA_BUNDLE")
        return self._trust

    def _get(self, key: str, factory: Callable[[], Any]) -> Any:
        with self._lock:
            client = self._clients.get(key)
            if client is None:
                client = factory()
                self._clients[key] = client
            return client

    def _arm(self, key: str, client_class: Callable[..., C]) -> C:
        """The cached ARM client ``client_class`` (credential, subscription, shared kwargs)."""
        client: C = self._get(
            key,
            lambda: client_class(self.credential, self.subscription_id, **self.client_kwargs()),
        )
        return client

    def resources(self) -> ResourceManagementClient:
        from azure.mgmt.resource.resources import ResourceManagementClient

        return self._arm("resources", ResourceManagementClient)

    def stacks(self) -> DeploymentStacksClient:
        from azure.mgmt.resource.deploymentstacks import DeploymentStacksClient

        return self._arm("stacks", DeploymentStacksClient)

    def deployments(self) -> DeploymentsMgmtClient:
        """Subscription template deployments (the kompoxops layout's provisioning object)."""
        from azure.mgmt.resource.deployments import DeploymentsMgmtClient

        return self._arm("deployments", DeploymentsMgmtClient)

    def containers(self) -> ContainerServiceClient:
        from azure.mgmt.containerservice import ContainerServiceClient

        return self._arm("containers", ContainerServiceClient)

    def compute(self) -> ComputeManagementClient:
        from azure.mgmt.compute import ComputeManagementClient

        return self._arm("compute", ComputeManagementClient)

    # --- Kubernetes ------------------------------------------------------------------------

    def kube(self, kubeconfig: bytes) -> ApiClient:
        """A kubernetes ``ApiClient`` for a kubeconfig (first/current context).

        TLS is verified against the kubeconfig's certificate authority. Every request
        emits an ApiCallEvent. The caller should ``close()`` clients it discards;
        :meth:`close` closes the rest.
        """
        import yaml
        from kubernetes import config as kube_config

        data = yaml.safe_load(kubeconfig)
        if not isinstance(data, dict):
            from ..errors import KubernetesError

            raise KubernetesError(
                "read kubeconfig", code="InvalidKubeconfig", message="not a kubeconfig document"
            )
        from kubernetes.client import ApiClient, Configuration
        from urllib3.util.retry import Retry

        configuration = Configuration()
        kube_config.load_kube_config_from_dict(
            data, client_configuration=configuration, persist_config=False
        )
        refuse_insecure_cluster(configuration.host, not configuration.verify_ssl)
        # Connection errors are retried here; throttling and 5xx answers are retried by
        # KubeRest (ingress.py), which honours Retry-After -- urllib3 must not retry them
        # too, or every attempt would multiply into several.
        configuration.retries = Retry(
            total=3, connect=3, read=0, redirect=3, status=0, respect_retry_after_header=False
        )
        api_client = ApiClient(configuration=configuration)
        _instrument_kube_client(api_client, self.emit)
        with self._lock:
            self._kube_clients.append(api_client)
        return api_client

    def kube_rest_client(self, kubeconfig: bytes) -> Any:
        """What :class:`~.ingress.KubeRest` needs for a kubeconfig: the light urllib3
        client of :mod:`.kube_http` when it understands the kubeconfig (what AKS and the
        emulator hand out), else :meth:`kube`'s official ``ApiClient``. The light one
        keeps ``kubernetes`` unimported on the status path (start-up time); both emit the
        same ApiCallEvents, follow the same TLS rules and are closed the same way."""
        import yaml

        from .kube_http import from_kubeconfig

        data = yaml.safe_load(kubeconfig)
        client = from_kubeconfig(data) if isinstance(data, dict) else None
        if client is None:
            return self.kube(kubeconfig)
        _instrument_kube_client(client, self.emit)
        with self._lock:
            self._kube_clients.append(client)
        return client

    def discard_kube(self, api_client: ApiClient) -> None:
        with self._lock:
            if api_client in self._kube_clients:
                self._kube_clients.remove(api_client)
        _close_quietly(api_client)

    # --- lifecycle -------------------------------------------------------------------------

    def close(self) -> None:
        with self._lock:
            clients = list(self._clients.values())
            self._clients.clear()
            kube_clients = list(self._kube_clients)
            self._kube_clients.clear()
            credential = self._credential
            self._credential = None
            session, self._http_session = self._http_session, None
        for client in [*clients, *kube_clients, session]:
            _close_quietly(client)
        if credential is not None:
            _close_quietly(credential)


def _close_quietly(obj: Any) -> None:
    close = getattr(obj, "close", None)
    if callable(close):
        with contextlib.suppress(Exception):  # best effort on shutdown
            close()


def _instrument_kube_client(api_client: Any, emit: EmitFn) -> None:
    """Wrap the REST client's ``request`` so each HTTP request emits an ApiCallEvent."""
    rest = api_client.rest_client
    original = rest.request

    def request(method: str, url: str, *args: Any, **kwargs: Any) -> Any:
        from .deadline import current

        deadline = current()
        if deadline is not None:
            # No request once the operation's limit has passed; none outlives it.
            left = deadline.remaining()
            asked = kwargs.get("_request_timeout")
            if isinstance(asked, int | float):
                left = min(left, float(asked))
            elif isinstance(asked, tuple) and asked:
                left = min([left, *(float(t) for t in asked if t)])
            kwargs["_request_timeout"] = left
        path, host = safe_path(url)
        started = _now()
        t0 = time.monotonic()
        try:
            response = original(method, url, *args, **kwargs)
        except Exception as exc:
            emit(
                ApiCallEvent(
                    time=started,
                    method=method.upper(),
                    path=path,
                    status=getattr(exc, "status", None) or None,
                    duration_ms=(time.monotonic() - t0) * 1000.0,
                    host=host,
                    error=type(exc).__name__,
                )
            )
            raise
        headers = getattr(response, "headers", None) or {}
        emit(
            ApiCallEvent(
                time=started,
                method=method.upper(),
                path=path,
                status=int(response.status),
                duration_ms=(time.monotonic() - t0) * 1000.0,
                request_id=headers.get("Audit-Id") or headers.get("x-ms-request-id"),
                host=host,
            )
        )
        return response

    rest.request = request


def refuse_insecure_cluster(server: str, skip_verify: bool) -> None:
    """Refuse a kubeconfig that would send the admin credential in clear or unverified.

    A kubeconfig comes from the server (``listClusterAdminCredential``): whatever it
    says, the bearer token or client certificate never goes over plain HTTP and TLS
    is never skipped (issue 16).
    """
    from ..errors import KubernetesError, Reason

    if not server.lower().startswith("https://"):
        raise KubernetesError(
            "connect to the cluster",
            code="InsecureKubeconfig",
            message=f"the cluster's kubeconfig names a plain-HTTP API server ({server}); "
            "kompox-tui never sends a credential over plain HTTP",
            hint="the cluster must serve its API over HTTPS",
            reason=Reason.TLS,
        )
    if skip_verify:
        raise KubernetesError(
            "connect to the cluster",
            code="InsecureKubeconfig",
            message="the cluster's kubeconfig sets insecure-skip-tls-verify; "
            "kompox-tui never skips TLS verification",
            hint="the kubeconfig must carry the cluster's certificate-authority-data",
            reason=Reason.TLS,
        )
