"""race: the disk swap under racing kompox-tui instances, many rounds (issue 12).

The scenarios of tests/reliability/test_assign_race.py (tests/reliability/
race_scenarios.py), with more rounds: each round forks two fresh kompox-tui instances
against one emulator whose disks have no ETag and ignore If-Match, as real Compute.

* drop-after: both assign different disks at the same moment; the final PATCH of one
  is applied and its answer lost;
* SIGKILL: both assign; one is killed at a random moment (0-0.4 s); then the next assign
  (the repair) runs;
* delete vs assign: one assigns a disk, the other deletes it without force; every DELETE
  is held 300 ms.

Each runs with the volume's Lease (the cluster is provisioned) and without it (the same
app through a kompoxops.yml whose cluster is not provisioned). Targets: double-assigned
after settle 0, false claims 0, not exactly one after repair 0, assigned disk deleted
0 (with the lease; without it the delete's re-read right before DELETE is all there is).

Run: ``.venv/bin/python bench/race.py [--rounds N]``
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from _common import machine, print_table

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests" / "reliability"))

from race_scenarios import Tally, assign_race, delete_race, race_setup

from kompox_tui.emulator import Emulator


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=100)
    args = parser.parse_args()
    n = args.rounds
    tallies: list[tuple[Tally, float]] = []
    with (
        Emulator(speed=1000.0) as emu,
        tempfile.TemporaryDirectory(prefix="kompox-race-") as tmp,
        race_setup(emu, Path(tmp)) as race,
    ):
        plan = [
            ("drop-after, lease", lambda t: assign_race(race, t, race.leased, n,
                                                       drop_after_first=True)),
            ("drop-after, no cluster", lambda t: assign_race(race, t, race.bare, n,
                                                            drop_after_first=True)),
            ("SIGKILL, lease", lambda t: assign_race(race, t, race.leased, n, kill=True)),
            ("SIGKILL, no cluster", lambda t: assign_race(race, t, race.bare, n, kill=True)),
            ("delete vs assign, lease", lambda t: delete_race(race, t, n)),
            ("delete vs assign, no cluster", lambda t: delete_race(race, t, n, race.bare)),
        ]  # fmt: skip
        for name, run in plan:
            started = time.monotonic()
            tally = run(Tally(name))
            tallies.append((tally, time.monotonic() - started))
            print(tally.line(), flush=True)
    rows = []
    for tally, seconds in tallies:
        x = tally.extra
        rows.append([
            tally.name, tally.rounds, tally.overlapped, tally.double, tally.zero,
            tally.false_claims, len(tally.unexpected),
            x.get("killed mid-call", "-"), x.get("double before repair", "-"),
            x.get("not exactly one after repair", "-"), x.get("assigned disk deleted", "-"),
            f"{seconds:.0f} s",
        ])  # fmt: skip
    print_table(
        f"race: two forked kompox-tui instances per round, {n} rounds per scenario",
        ["scenario", "rounds", "overlapped", "double", "zero", "false claims", "unexpected",
         "killed mid-call", "double before repair", "not one after repair",
         "assigned disk deleted", "time"],
        rows,
    )  # fmt: skip
    print(f"\nmachine: {machine()}")


if __name__ == "__main__":
    main()
