"""``kompox-tui serve``: the same UI in a web browser, through textual-serve.

Each browser tab gets its own ``python -m kompox_tui ...`` process (textual-serve runs
the command per connection), so the options here are passed on as they are; the
configs are checked first so a broken kompoxops.yml fails here, once, with exit 2.
"""

from __future__ import annotations

import ipaddress
import shlex
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

from ..errors import ConfigError

#: Shown as the browser tab's title.
TITLE = "kompox-tui"

#: The page template (``app_index.html``) served instead of textual-serve's own.
TEMPLATES = Path(__file__).parent / "serve_templates"


def app_command(
    config_paths: Sequence[Path],
    *,
    demo: bool,
    read_only: bool,
    python: str | None = None,
    layout: str | None = None,
) -> str:
    """The shell command textual-serve runs for each browser connection."""
    argv = [python or sys.executable, "-m", "kompox_tui"]
    if demo:
        argv.append("--demo")
    for path in config_paths:
        argv += ["-f", str(Path(path).resolve())]
    if read_only:
        argv.append("--read-only")
    if layout:
        argv += ["--layout", layout]
    return shlex.join(argv)


def is_loopback(host: str) -> bool:
    """True when ``host`` only accepts connections from this machine."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def public_url_for(host: str, port: int, public_url: str | None) -> str:
    """The URL the browser uses; ``0.0.0.0``/``::`` cannot be browsed, so say localhost."""
    if public_url:
        return public_url.rstrip("/")
    shown = "localhost" if host in ("0.0.0.0", "::", "") else host
    if ":" in shown:
        shown = f"[{shown}]"
    return f"http://{shown}:{port}"


def check_bindable(host: str, port: int) -> None:
    """Raise ConfigError when ``host:port`` cannot be listened on (before any banner)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
        for family, kind, proto, _name, address in infos:
            with socket.socket(family, kind, proto) as probe:
                probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
                probe.bind(address)
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "choose another address or port with --host/--port"
        ) from None


def serve(
    config_paths: Sequence[Path],
    *,
    demo: bool,
    read_only: bool,
    host: str,
    port: int,
    public_url: str | None,
    layout: str | None = None,
) -> int:
    """Serve the UI until interrupted; returns the exit status."""
    if not 0 < port < 65536:
        raise ConfigError(f"--port {port} is not a TCP port (1-65535)")
    check_bindable(host, port)
    from textual_serve.server import Server

    command = app_command(config_paths, demo=demo, read_only=read_only, layout=layout)
    url = public_url_for(host, port, public_url)
    if not is_loopback(host):
        print(
            f"kompox-tui: warning: listening on {host}: anyone who can reach port {port} "
            "gets this UI, acting with your Azure credentials"
            + (" and without --read-only" if not read_only else ""),
            file=sys.stderr,
        )
        if not public_url:
            print(
                f"kompox-tui: note: browsers on other machines need --public-url "
                f"http://<this host's name>:{port} (the page tells them where to connect)",
                file=sys.stderr,
            )
    server = Server(
        command,
        host=host,
        port=port,
        title=TITLE,
        public_url=url,
        # Our page: the terminal gets the keyboard on load, no web font is fetched.
        templates_path=str(TEMPLATES),
    )
    try:
        server.serve()
    except OSError as exc:
        raise ConfigError(
            f"cannot listen on {host}:{port}: {exc.strerror or exc}; "
            "choose another address or port with --host/--port"
        ) from None
    return 0
