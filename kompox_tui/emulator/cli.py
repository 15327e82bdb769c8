"""``kompox-tui emulator``: run the emulator in the foreground.

``kompox_tui/cli.py`` calls :func:`add_arguments` and :func:`run`; this module is also
runnable on its own: ``python -m kompox_tui.emulator.cli [options]``.

Prints the ARM URL, the authority URL, the CA bundle path (and where a config was
written), then serves until Ctrl-C or SIGTERM and exits 0.

The CA, the server certificate, the token-signing key and the managed-identity header are
kept in the state directory (``--state-dir``, default: the user state directory of
kompox-tui) and reused on every start, so a config written once (and an open UI) keeps
working across restarts on the same ``--port``.

``--write-config`` writes a secret-free kompoxops.yml (``AZURE_AUTH_METHOD:
managed_identity``, as the demo does) and, next to it, ``managed-identity.env`` (0600)
with the ``IDENTITY_ENDPOINT`` / ``IDENTITY_HEADER`` a client process needs (``source``
it). ``--with-secret`` writes the client secret into the config instead.
"""

from __future__ import annotations

import argparse
import signal
import sys
import threading
from pathlib import Path
from types import FrameType

from .faults import FaultSpecError, parse_spec


def _positive_float(text: str) -> float:
    try:
        value = float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value <= 0:
        raise argparse.ArgumentTypeError(f"must be > 0, got {text}")
    return value


def _port(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a port number: {text!r}") from None
    if not 0 <= value <= 65535:
        raise argparse.ArgumentTypeError(f"port must be 0-65535, got {value}")
    return value


def _page_size(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"not a number: {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"must be >= 1, got {value}")
    return value


def _faults(text: str) -> str:
    try:
        parse_spec(text)
    except FaultSpecError as exc:
        raise argparse.ArgumentTypeError(str(exc)) from None
    return text


def add_arguments(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--port", type=_port, default=0, help="TCP port on 127.0.0.1 (default: 0 = random)"
    )
    parser.add_argument(
        "--speed",
        type=_positive_float,
        default=1.0,
        help="emulated-time multiplier: 10 makes a 20 s provisioning take 2 s (default: 1)",
    )
    parser.add_argument(
        "--faults",
        type=_faults,
        default=None,
        metavar="SPEC",
        help="fault rules, e.g. 'PATCH:/disks/:429:count=2;*:*:latency=0.05-0.2' "
        "(METHOD:PATH-REGEX:ACTION[:OPTION...] joined by ';'; actions 429/500/503, drop, "
        "drop-after, latency=S[-MAX], lro-fail; "
        "options count=N, nth=N, p=P, retry-after=S, code=C)",
    )
    parser.add_argument(
        "--state",
        metavar="FILE",
        default=None,
        help="JSON file keeping the emulated resources across restarts",
    )
    parser.add_argument(
        "--write-config",
        metavar="PATH",
        default=None,
        help="write a kompoxops.yml pointing at this emulator (mode 0600)",
    )
    parser.add_argument(
        "--with-secret",
        action="store_true",
        help="--write-config writes the deployer's client secret (default: managed identity, "
        "no secret in the file)",
    )
    parser.add_argument(
        "--state-dir",
        metavar="DIR",
        default=None,
        help="where the CA, server certificate and signing key are kept and reused "
        "(default: the kompox-tui user state directory, emulator/)",
    )
    parser.add_argument(
        "--page-size", type=_page_size, default=100, help="list page size (default: 100)"
    )


def default_state_dir() -> Path:
    from platformdirs import user_state_path

    return user_state_path("kompox-tui", appauthor=False) / "emulator"


def write_identity_env(emu: object, config_path: Path) -> Path:
    """``managed-identity.env`` (0600) next to ``config_path``: what a client process needs
    for the config's managed identity. Holds the header, so it is never printed."""
    import os
    import shlex

    env = emu.managed_identity_env  # type: ignore[attr-defined]
    target = config_path.parent / "managed-identity.env"
    text = "".join(f"export {k}={shlex.quote(v)}\n" for k, v in sorted(env.items()))
    fd = os.open(target, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as fh:
        fh.write(text)
    return target


def run(args: argparse.Namespace) -> int:
    from .server import Emulator

    stop = threading.Event()

    def on_signal(signum: int, frame: FrameType | None) -> None:
        stop.set()

    try:
        emu = Emulator(
            speed=args.speed,
            faults=args.faults,
            state_file=args.state,
            page_size=args.page_size,
            port=args.port,
            state_dir=Path(args.state_dir) if args.state_dir else default_state_dir(),
        )
    except OSError as exc:
        print(f"kompox-tui emulator: cannot listen on port {args.port}: {exc}", file=sys.stderr)
        return 1
    except ValueError as exc:
        print(f"kompox-tui emulator: {exc}", file=sys.stderr)
        return 2
    previous = {sig: signal.signal(sig, on_signal) for sig in (signal.SIGINT, signal.SIGTERM)}
    try:
        print(f"ARM URL:        {emu.arm_url}")
        print(f"Authority URL:  {emu.authority_url}")
        print(f"CA bundle:      {emu.ca_bundle}")
        print(f"Subscription:   {emu.subscription_id}")
        print(f"Tenant:         {emu.tenant_id}")
        print(f"Client ID:      {emu.client_id}")
        print(f"State dir:      {emu.state_dir}")
        if args.write_config:
            if args.with_secret:
                path = emu.write_config(Path(args.write_config))
                print(f"Config written: {path} (with the client secret)")
            else:
                path = emu.write_config(Path(args.write_config), auth_method="managed_identity")
                env_file = write_identity_env(emu, path)
                print(f"Config written: {path} (managed identity, no secret)")
                print(f"Identity env:   {env_file} (source it where the client runs)")
        if args.state:
            print(f"State file:     {args.state}")
        print("Press Ctrl-C to stop.", flush=True)
        while not stop.wait(0.2):
            pass
        print("Stopping the emulator.", flush=True)
        return 0
    finally:
        emu.stop()
        for sig, handler in previous.items():
            signal.signal(sig, handler)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        prog="kompox-tui emulator",
        description="Run the Azure (ARM + Entra ID) and Kubernetes emulator over HTTPS.",
    )
    add_arguments(parser)
    return run(parser.parse_args(argv))


if __name__ == "__main__":
    sys.exit(main())
