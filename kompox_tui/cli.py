"""Command line: ``kompox-tui [-f FILE]... [--read-only] [--demo]``, ``emulator``, ``serve``.

Configuration is found and checked before anything else starts: a broken kompoxops.yml
prints one ``kompox-tui: error: ...`` line and exits 2, with no traceback and no network.
"""

from __future__ import annotations

import argparse
import importlib
import sys
from collections.abc import Callable, Sequence
from types import ModuleType
from typing import Any, Protocol

from kompox_tui import __version__
from kompox_tui.config import all_warnings, clean, discover_config_paths, load_configs
from kompox_tui.errors import ConfigError, KompoxError
from kompox_tui.model import LAYOUTS, Config

PROG = "kompox-tui"
EXIT_OK = 0
EXIT_FAILURE = 1
EXIT_USAGE = 2
EXIT_INTERRUPTED = 130

_EMULATOR_CLI = "kompox_tui.emulator.cli"
_UI_LAUNCH = "kompox_tui.ui.launch"


class Launcher(Protocol):
    def __call__(self, configs: list[Config], *, demo: bool, read_only: bool) -> int: ...


_DESCRIPTION = """\
A terminal UI for Kompox clusters on Azure Kubernetes Service: provision and watch
clusters, install the Traefik ingress, fetch kubeconfigs, and manage the Azure disks
and snapshots behind app volumes.
"""

_EPILOG = """\
configuration:
  The files are taken from -f FILE (repeat it for several clusters; a kompoxops.yml
  or a kompoxapp.yml of KOM documents), else from KOMPOX_KOM_APP or ./kompoxapp.yml,
  else from KOMPOX_KOM_PATH, else from KOMPOX_DB_URL=file:PATH, else ./kompoxops.yml.
  Each (cluster, app) pair is one row. The naming layout follows the file's shape
  (workspace: or KOM documents -> kompoxops; otherwise guide), the provider setting
  KOMPOX_TUI_LAYOUT, or --layout, which wins.

examples:
  kompox-tui --demo                    try it against the built-in Azure emulator
  kompox-tui -f kompoxops.yml          manage the cluster described in kompoxops.yml
  kompox-tui -f a.yml -f b.yml --read-only
                                       browse two clusters without changing anything
  kompox-tui emulator --port 8443      run the emulator on its own
  kompox-tui serve --demo              serve the UI in a web browser

exit status: 0 ok, 1 an operation failed, 2 bad usage or configuration, 130 interrupted.
"""


def _emulator_module() -> tuple[ModuleType | None, str | None]:
    """The emulator's CLI module, or None and why it is unavailable."""
    try:
        return importlib.import_module(_EMULATOR_CLI), None
    except ModuleNotFoundError as exc:
        if exc.name in (_EMULATOR_CLI, "kompox_tui.emulator"):
            return None, "not available yet"
        return None, f"cannot be loaded: {exc}"
    except Exception as exc:  # a broken emulator must not break the main UI path
        return None, f"cannot be loaded: {type(exc).__name__}: {exc}"


def _add_emulator_arguments(parser: argparse.ArgumentParser) -> ModuleType | None:
    module, _ = _emulator_module()
    add_arguments = getattr(module, "add_arguments", None) if module else None
    if callable(add_arguments) and callable(getattr(module, "run", None)):
        add_arguments(parser)
        return module
    parser.add_argument(
        "--port", type=int, default=0, metavar="N", help="port on 127.0.0.1 (default: random)"
    )
    parser.add_argument(
        "--speed",
        type=float,
        default=1.0,
        metavar="X",
        help="time factor: 60 makes a 10-minute provisioning take 10 seconds (default: 1)",
    )
    parser.add_argument(
        "--faults",
        metavar="SPEC",
        help="inject faults, e.g. 'latency=200ms,throttle=0.1,5xx=0.05,lro-fail=provision'",
    )
    parser.add_argument(
        "--state", metavar="FILE", help="load the emulated Azure state from FILE and save it back"
    )
    parser.add_argument(
        "--write-config",
        metavar="PATH",
        help="write a kompoxops.yml (and CA bundle) pointing at the emulator to PATH",
    )
    parser.add_argument(
        "--page-size", type=int, default=100, metavar="N", help="items per page in list responses"
    )
    return None


def build_parser() -> argparse.ArgumentParser:
    """The argument parser for ``kompox-tui`` and its sub-commands."""
    parser = argparse.ArgumentParser(
        prog=PROG,
        description=_DESCRIPTION,
        epilog=_EPILOG,
        formatter_class=argparse.RawDescriptionHelpFormatter,
    )
    _add_ui_arguments(parser)
    parser.add_argument("--version", action="version", version=f"{PROG} {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", title="commands")
    emulator = commands.add_parser(
        "emulator",
        help="run the local Azure + Kubernetes emulator (HTTPS on 127.0.0.1)",
        description=(
            "Run the built-in HTTPS emulator of Azure Resource Manager, Entra ID and the "
            "Kubernetes API on 127.0.0.1, with its own CA. Point a kompoxops.yml at it "
            "(--write-config) to use kompox-tui without an Azure account."
        ),
    )
    _add_emulator_arguments(emulator)
    serve = commands.add_parser(
        "serve",
        help="serve the UI in a web browser (textual-serve)",
        description=(
            "Serve the kompox-tui terminal UI in a web browser with textual-serve. Takes the "
            "same -f/--read-only/--demo options as kompox-tui itself; every browser tab runs "
            "its own kompox-tui process. The configs are checked before serving."
        ),
        epilog=(
            "security: the served UI acts with the Azure credentials of the user running "
            "it and has no login of its own. It listens on 127.0.0.1 by default; binding "
            "any other address (--host 0.0.0.0) exposes it to anyone who can reach that "
            "port. Add --read-only when others may look."
        ),
    )
    _add_ui_arguments(serve, sub_command=True)
    serve.add_argument(
        "--host",
        default="127.0.0.1",
        help="address to listen on (default: 127.0.0.1, this machine only)",
    )
    serve.add_argument(
        "--port", type=int, default=8000, metavar="N", help="port to listen on (default: 8000)"
    )
    serve.add_argument(
        "--public-url",
        metavar="URL",
        help="the URL browsers use to reach the server, when it is behind a proxy "
        "(default: http://HOST:PORT)",
    )
    return parser


def _add_ui_arguments(parser: argparse.ArgumentParser, *, sub_command: bool = False) -> None:
    # A sub-command's defaults would overwrite options given before it (`-f a.yml serve`).
    default: Any = argparse.SUPPRESS if sub_command else None
    parser.add_argument(
        "-f",
        "--file",
        dest="files",
        action="append",
        default=argparse.SUPPRESS if sub_command else [],
        metavar="FILE",
        help="a kompoxops.yml to open; repeat for several clusters",
    )
    parser.add_argument(
        "--read-only",
        action="store_true",
        default=default if sub_command else False,
        help="browse only: every action that changes Azure or Kubernetes is disabled",
    )
    parser.add_argument(
        "--demo",
        action="store_true",
        default=default if sub_command else False,
        help="start the built-in emulator and open the UI on it (no Azure account needed)",
    )
    parser.add_argument(
        "--layout",
        choices=LAYOUTS,
        default=default,
        help="naming convention for every file: guide (this project's) or kompoxops (real "
        "kompoxops v0.0.23); default: from each file's shape or KOMPOX_TUI_LAYOUT",
    )


def _error(message: str) -> None:
    # One line, no URL password (a ConfigError may quote KOMPOX_DB_URL or an endpoint), and
    # no control character from a file or a server reaches the terminal raw.
    text = clean(" ".join(message.splitlines()))
    print(f"{PROG}: error: {text}", file=sys.stderr)


def _print_warnings(configs: Sequence[Config]) -> None:
    """Load warnings, once each, before the UI takes the terminal (the UI shows them too)."""
    for text in all_warnings(configs):
        print(f"{PROG}: warning: {clean(text)}", file=sys.stderr)


def _load_launcher() -> Launcher | None:
    try:
        module = importlib.import_module(_UI_LAUNCH)
    except ModuleNotFoundError as exc:
        if exc.name == _UI_LAUNCH:
            return None
        raise
    launch: Launcher = module.launch
    return launch


def _run_emulator(args: argparse.Namespace) -> int:
    module, why = _emulator_module()
    run: Callable[[argparse.Namespace], int] | None = getattr(module, "run", None)
    if module is None or run is None:
        _error(f"{PROG} emulator is {why or 'not available yet'}")
        return EXIT_USAGE
    return int(run(args))


def _run_ui(args: argparse.Namespace, launch: Launcher | None) -> int:
    if args.demo and args.files:
        _error("--demo cannot be combined with -f: the demo writes its own kompoxops.yml")
        return EXIT_USAGE
    configs: list[Config] = []
    if not args.demo:
        configs = load_configs(discover_config_paths(args.files), layout=args.layout)
        _print_warnings(configs)
    launcher = launch or _load_launcher()
    if launcher is None:
        _error("the terminal UI is not available yet (kompox_tui.ui.launch is missing)")
        return EXIT_FAILURE
    return int(launcher(configs, demo=args.demo, read_only=args.read_only))


def _run_serve(args: argparse.Namespace) -> int:
    if args.demo and args.files:
        _error("--demo cannot be combined with -f: the demo writes its own kompoxops.yml")
        return EXIT_USAGE
    paths = []
    if not args.demo:
        paths = discover_config_paths(args.files)
        # a broken config fails here, not in every browser tab
        _print_warnings(load_configs(paths, layout=getattr(args, "layout", None)))
    from kompox_tui.ui.serve import serve

    return serve(
        paths,
        demo=args.demo,
        read_only=args.read_only,
        host=args.host,
        port=args.port,
        public_url=args.public_url,
        layout=getattr(args, "layout", None),
    )


def main(argv: Sequence[str] | None = None, *, launch: Launcher | None = None) -> int:
    """Run ``kompox-tui``; returns the exit status. ``launch`` replaces the UI (for tests)."""
    parser = build_parser()
    try:
        args = parser.parse_args(argv)
    except SystemExit as exc:  # --help, --version and usage errors
        code: Any = exc.code
        return code if isinstance(code, int) else (EXIT_OK if code is None else EXIT_USAGE)
    try:
        if args.command == "emulator":
            return _run_emulator(args)
        if args.command == "serve":
            return _run_serve(args)
        return _run_ui(args, launch)
    except ConfigError as exc:
        _error(str(exc))
        return EXIT_USAGE
    except KompoxError as exc:
        _error(str(exc))
        return EXIT_FAILURE
    except KeyboardInterrupt:
        return EXIT_INTERRUPTED


if __name__ == "__main__":
    sys.exit(main())
