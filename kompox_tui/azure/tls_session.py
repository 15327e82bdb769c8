"""One ``requests`` session per :class:`~.clients.AzureClients`, with one shared TLS context.

Why (docs/performance.md, start-up): given ``verify=<bundle path>`` -- or ``True``,
which means certifi's bundle -- requests has urllib3 build a fresh ``SSLContext`` and
parse the whole bundle (~150 certificates, ~25 ms of CPU on the development VM) for
every new connection, and every ARM client had a session of its own. The first status
refresh of the demo's three clusters opened 11 connections: about 0.28 s of CPU, the
largest item of the refresh. Here the ARM clients of one configuration share a session
(so also its keep-alive connections), and every HTTPS connection of the process that
trusts the same bundle reuses one context, loaded once.

The trust is unchanged: the context verifies certificates and host names and trusts
exactly the file requests would load (:func:`~.tls.default_store`, or the combined
bundle of :func:`~.tls.trust_bundle` when ``AZURE_CA_BUNDLE`` is set). A request whose
``verify`` names another file, or is False, gets requests' own handling.
"""

from __future__ import annotations

import os
import threading
from typing import Any

_lock = threading.Lock()
#: (bundle path, its mtime and size) -> the SSLContext trusting exactly that file.
_contexts: dict[tuple[str, int, int], Any] = {}


def _context_for(bundle: str) -> Any:
    import ssl

    from urllib3.util.ssl_ import create_urllib3_context

    info = os.stat(bundle)
    key = (bundle, info.st_mtime_ns, info.st_size)
    with _lock:
        context = _contexts.get(key)
        if context is None:
            context = create_urllib3_context(cert_reqs=ssl.CERT_REQUIRED)
            context.load_verify_locations(cafile=bundle)
            _contexts[key] = context
        return context


def verified_session(ca_bundle: str | None) -> Any:
    """A ``requests.Session`` whose HTTPS connections verifying against ``ca_bundle``
    (None: requests' default store) share one loaded SSLContext."""
    import requests
    from requests.adapters import HTTPAdapter

    from .tls import default_store

    bundle = ca_bundle or default_store()

    class SharedContextAdapter(HTTPAdapter):
        def _ours(self, url: str, verify: Any) -> bool:
            if not url.lower().startswith("https") or verify is False:
                return False
            # verify=True means requests' default store: ours only without a CA bundle.
            return verify == bundle or (verify is True and ca_bundle is None)

        def build_connection_pool_key_attributes(
            self, request: Any, verify: Any, cert: Any = None
        ) -> Any:
            result: Any = super().build_connection_pool_key_attributes(request, verify, cert)
            host, pool = result
            if self._ours(str(request.url), verify):
                # requests' documented way to use a custom context: set ssl_context and
                # drop the file keys (else urllib3 would load the bundle again).
                pool.pop("ca_certs", None)
                pool.pop("ca_cert_dir", None)
                pool["ssl_context"] = _context_for(bundle)
                pool["cert_reqs"] = "CERT_REQUIRED"
            return host, pool

        def cert_verify(self, conn: Any, url: str, verify: Any, cert: Any) -> None:
            super().cert_verify(conn, url, verify, cert)
            if self._ours(url, verify):
                conn.ca_certs = None  # the shared context already trusts the bundle
                conn.ca_cert_dir = None

    session = requests.Session()
    session.mount("https://", SharedContextAdapter())
    return session
