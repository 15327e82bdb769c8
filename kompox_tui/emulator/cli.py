"""``kompox-tui emulator``: run the emulator in the foreground.

``kompox_tui/cli.py`` calls :func:`add_arguments` and :func:`run`; this module is also
runnable on its own: ``python -m kompox_tui.emulator.cli [options]``.

Prints the ARM URL, the authority URL, the CA bundle path (and where a config was
written), then serves until Ctrl-C or SIGTERM and exits 0.
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
        "--page-size", type=_page_size, default=100, help="list page size (default: 100)"
    )


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
        if args.write_config:
            path = emu.write_config(Path(args.write_config))
            print(f"Config written: {path}")
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
