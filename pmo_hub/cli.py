"""The `pmo-hub` command line: run the sync, run the demo, drive the sandbox."""

from __future__ import annotations

import argparse
import json
import logging
import os
import shutil
import signal
import sys
import time
import urllib.request
from pathlib import Path
from typing import TYPE_CHECKING

from pmo_hub import progress
from pmo_hub.config import ConfigError, check_config, load_config
from pmo_hub.errors import PmoHubError, RunInProgressError
from pmo_hub.portfolio_health import format_rag_distribution

if TYPE_CHECKING:  # pmo_hub.runs imports pandas/duckdb: not needed to check a configuration
    from pmo_hub.runs import RunSummary

STATE_DIR = Path(".pmo-hub")
# Volume tiers of sandbox.portfolio.TIERS (kept literal: the parser must not import the sandbox).
SANDBOX_TIERS = ("XS", "S", "M", "L", "XL")


SOURCE_LABELS = {
    "finance": "Finance files",
    "jira": "Jira",
    "planner": "Microsoft Planner",
    "msproject": "MS Project",
}


def _print_summary(summary: RunSummary, config_file: Path | None, seconds: float) -> None:
    """What this run did, and only that: outputs are listed only if written in this run."""
    config = load_config(config_file)
    problems = len(summary.failed_steps) + len(summary.skipped_steps) + summary.checks_failed_error
    problems += len(summary.failed_sources)
    print("\n=== pmo-hub run summary ===")
    status = "SUCCESS" if summary.success else "FAILED"
    if summary.success and summary.warnings:
        status += f" with {len(summary.warnings)} warning(s)"
    print(f"status: {status} (run {summary.run_id}, {seconds:.1f} s)")
    print("\nsources:")
    for source in summary.sources:
        label = SOURCE_LABELS.get(source.system, source.system)
        if source.status == "loaded":
            line = f"loaded ({source.rows_loaded:,} rows this run)"
        elif source.status == "failed":
            since = (
                f"; marts show its data as of {source.last_loaded_at:%Y-%m-%d %H:%M} UTC"
                if source.last_loaded_at
                else "; marts hold none of its data"
            )
            line = f"FAILED: {source.error_message}{since} (stale)"
        elif source.status == "disabled":
            line = "disabled (its tables are empty; marts are built without it)"
        else:
            line = "not run"
        print(f"  {label:<18} {line}")
    echoed = {"sync_outcome"} if summary.failed_sources else set()
    for step in summary.failed_steps:
        if step not in echoed:
            print(f"failed step {step}: {summary.step_errors.get(step, '')}")
    for step in summary.skipped_steps:
        print(f"skipped step {step}: {summary.step_errors.get(step, '')}")
    if summary.rows_by_table:
        _print_rows(summary.rows_by_table)
    errors = [c for c in summary.failed_checks if c not in summary.warnings]
    print(
        f"\nasset checks: {summary.checks_passed} passed, {len(errors)} failed (error)"
        f", {len(summary.warnings)} warning(s)"
    )
    for check in errors:
        print(f"  FAILED  {check}")
    for check in summary.warnings:
        print(f"  warning {check}")
    print(
        f"data-quality expectations: {summary.expectations_passed} passed, "
        f"{summary.expectations_failed} failed"
    )
    if summary.rag_distribution:
        print(format_rag_distribution(summary.rag_distribution))
    if summary.files_not_loaded:
        print(f"\nfiles not loaded in this run ({len(summary.files_not_loaded)}):")
        for line in summary.files_not_loaded[:20]:
            print(f"  {line}")
        if len(summary.files_not_loaded) > 20:
            print(f"  ... and {len(summary.files_not_loaded) - 20} more (see the file ledgers)")
    if config.warehouse.target == "duckdb":
        print(f"\nwarehouse (DuckDB): {config.warehouse.duckdb_path}")
    else:
        print("\nwarehouse: PostgreSQL (marts schema readable by the bi_reader role)")
    if summary.outputs:
        print("written in this run:")
        for name, path in summary.outputs.items():
            print(f"  {name:<20} {path}")
    else:
        print("written in this run: nothing (no serving copy, no report)")
    if summary.dagster_home is not None:
        print(
            f"Dagster UI: `pmo-hub ui` (DAGSTER_HOME={summary.dagster_home}), then http://127.0.0.1:3000"
        )


def _print_rows(rows_by_table: dict[str, int]) -> None:
    """Raw and dq datasets one line each; every served table (core, marts, compliance) by name,
    two to a line, so the summary stays short however many tables there are."""
    by_schema: dict[str, dict[str, int]] = {}
    for name, rows in rows_by_table.items():
        schema, _, table = name.partition(".")
        by_schema.setdefault(schema, {})[table] = rows
    print("\nrows:")
    for schema, tables in by_schema.items():
        if schema in {"core", "marts", "compliance"}:
            continue
        print(f"  {schema:<18} {len(tables):>3} tables {sum(tables.values()):>12,} rows")
    for schema in ("core", "marts", "compliance"):
        cells = [f"{schema}.{t:<34} {n:>9,}" for t, n in by_schema.get(schema, {}).items()]
        for i in range(0, len(cells), 2):
            print("  " + "   ".join(cells[i : i + 2]))


def cmd_check(config_file: Path | None, network: bool) -> int:
    """``pmo-hub run --check``: configuration, secrets, warehouse and (optionally) each source."""
    from pmo_hub.preflight import check_sources, check_warehouse
    from pmo_hub.run_lock import acquire_run_lock

    config = load_config(config_file)
    check_config(config, construct=False)  # at once, no network: missing settings and secrets
    check_config(config)  # the connectors' own validation of their settings
    print(f"configuration: ok (sources enabled: {', '.join(config.enabled) or 'none'})")
    check_warehouse(config)
    print(f"warehouse ({config.warehouse.target}): ok")
    try:
        acquire_run_lock(config).release()
    except RunInProgressError as exc:  # not a configuration problem: the run would just wait
        print(f"warehouse: warning: {exc}")
    failed = 0
    for result in check_sources(config, network=network):
        failed += not result.ok
        stream = sys.stdout if result.ok else sys.stderr
        print(f"{result.name}: {result.status}: {result.message}", file=stream)
    return 1 if failed else 0


def cmd_run(args: argparse.Namespace) -> int:
    config_file = Path(args.config) if args.config else None
    if args.check:
        return cmd_check(config_file, network=not args.no_network)
    check_config(load_config(config_file), construct=False)  # clear errors before anything
    from pmo_hub.runs import run_sync_job

    progress.attach_console()
    started = time.monotonic()
    tags = {"pmo_hub/reconcile": "true"} if args.reconcile else {}
    summary = run_sync_job(config_file, tags=tags)
    _print_summary(summary, config_file, time.monotonic() - started)
    return 0 if summary.success else 1


def cmd_ui(args: argparse.Namespace) -> int:
    """`dagster dev` on the project's persistent instance: the runs of `pmo-hub run` and `demo`."""
    from pmo_hub.runs import DAGSTER_HOME_ENV, dagster_home

    config_file = Path(args.config) if args.config else None
    home = dagster_home(load_config(config_file))
    env = {**os.environ, DAGSTER_HOME_ENV: str(home)}
    if config_file is not None:
        env["PMO_HUB_CONFIG"] = str(config_file.resolve())
    dagster = Path(sys.executable).with_name("dagster")
    command = [
        str(dagster) if dagster.exists() else "dagster",
        "dev",
        "-m",
        "orchestration.definitions",
        "-p",
        str(args.port),
    ]
    print(f"DAGSTER_HOME={home}; starting {' '.join(command)} (Ctrl-C stops it)", flush=True)
    os.execvpe(command[0], command, env)
    return 0  # not reached


def cmd_demo(args: argparse.Namespace) -> int:
    from sandbox.runtime import start_sandbox

    root = Path.cwd().resolve()
    _reset_if_other_world(root, args)
    started = time.monotonic()
    print(
        f"[demo] generating the tier-{args.tier} sandbox world (seed {args.seed}) ...", flush=True
    )
    sandbox = start_sandbox(root / STATE_DIR / "sandbox", args.tier, args.seed)
    try:
        print(
            f"[demo] sandbox up in {time.monotonic() - started:.1f} s: Jira {sandbox.jira.url}, "
            f"Microsoft {sandbox.microsoft.authority}",
            flush=True,
        )
        warehouse = {
            "target": args.target,
            "duckdb_path": root / "warehouse" / "pmo.duckdb",
            "publish_path": root / "warehouse" / "pmo_serving.duckdb",
        }
        config_file = root / STATE_DIR / "demo.toml"
        config_file.write_text(sandbox.config_toml(warehouse), encoding="utf-8")
        _append_hub_paths(config_file, root)
        os.environ.update(sandbox.secrets())
        print("[demo] running the sync job through Dagster (in process) ...", flush=True)
        from pmo_hub.runs import run_sync_job

        progress.attach_console()
        run_started = time.monotonic()
        summary = run_sync_job(config_file)
        _print_summary(summary, config_file, time.monotonic() - run_started)
        print(
            f"\nsandbox manifest of planted faults: {sandbox.directory / 'files' / 'manifest.json'}"
        )
        print(f"[demo] total wall time {time.monotonic() - started:.1f} s")
        return 0 if summary.success else 1
    finally:
        sandbox.stop()


def _reset_if_other_world(root: Path, args: argparse.Namespace) -> None:
    """Start from an empty demo warehouse when the tier, seed or target changed.

    Another seed is another Jira site whose issue ids collide with the first one's; merging the
    two worlds into one warehouse would be nonsense, while rerunning the same world must stay
    incremental (that is what makes the second demo run a no-op).
    """
    marker = root / STATE_DIR / "demo-world.json"
    world = {"tier": args.tier, "seed": args.seed, "target": args.target}
    previous = json.loads(marker.read_text(encoding="utf-8")) if marker.exists() else None
    if previous != world:
        for path in (
            root / "warehouse" / "pmo.duckdb",
            root / "warehouse" / "pmo.duckdb.wal",
            root / "warehouse" / "pmo_serving.duckdb",
        ):
            path.unlink(missing_ok=True)
        shutil.rmtree(root / STATE_DIR / "dlt", ignore_errors=True)
        if previous is not None:
            print(
                f"[demo] new sandbox world {world} (was {previous}): starting from an empty warehouse"
            )
    marker.parent.mkdir(parents=True, exist_ok=True)
    marker.write_text(json.dumps(world), encoding="utf-8")


def _append_hub_paths(config_file: Path, root: Path) -> None:
    text = config_file.read_text(encoding="utf-8")
    text = text.replace(
        "[hub]\n",
        "[hub]\n"
        f"reports_dir = {json.dumps(str(root / 'reports'))}\n"
        f"state_dir = {json.dumps(str(root / STATE_DIR / 'dlt'))}\n",
        1,
    )
    config_file.write_text(text, encoding="utf-8")


def cmd_sandbox_up(args: argparse.Namespace) -> int:
    from sandbox.runtime import start_sandbox

    directory = Path(args.dir).resolve()
    control_file = directory / "control.json"
    # A control.json left by an earlier run would send `tick` (and anyone waiting for the file)
    # to a dead server: it appears again only once this run's servers are up.
    control_file.unlink(missing_ok=True)
    jira_mode = "dc" if args.jira_deployment == "datacenter" else "cloud"
    sandbox = start_sandbox(directory, args.tier, args.seed, jira_mode=jira_mode)
    try:
        # SIGTERM (kill, process managers, Popen.terminate) stops the servers like Ctrl-C does.
        signal.signal(signal.SIGTERM, _raise_keyboard_interrupt)
        config_file = directory / "pmo-hub.sandbox.toml"
        config_file.write_text(sandbox.config_toml(), encoding="utf-8")
        # Written last and atomically: its presence means the sandbox is ready.
        partial = control_file.with_suffix(".json.tmp")
        partial.write_text(
            json.dumps({"url": sandbox.control.url, "pid": os.getpid()}), encoding="utf-8"
        )
        partial.replace(control_file)
        if jira_mode == "cloud":
            print(f"Jira (Cloud, HTTPS):      {sandbox.jira.url}   email {sandbox.jira.email}")
        else:
            print(
                f"Jira (Data Center, HTTPS): {sandbox.jira.url}   PAT below, or basic auth "
                f"{sandbox.jira.username} / {sandbox.jira.password}"
            )
        print(f"Microsoft authority:      {sandbox.microsoft.authority}")
        print(f"Microsoft Graph:          {sandbox.microsoft.graph_url}")
        print(f"Microsoft app client id:  {sandbox.microsoft.client_id}")
        print(f"CA certificate to trust:  {sandbox.certificate.cert_path}")
        print(f"Files (MSPDI, finance):   {directory / 'files'}")
        print(f"Config for pmo-hub:       {config_file}")
        print("Credentials (export these before `pmo-hub run --config ...`):")
        for name, value in sandbox.secrets().items():
            print(f"  export {name}={value}")
        print(f"World clock: {sandbox.world.now.isoformat()}; `pmo-hub sandbox tick` advances it.")
        print("Press Ctrl-C to stop.", flush=True)
        while True:
            time.sleep(3600)
    except KeyboardInterrupt:
        return 0
    finally:
        control_file.unlink(missing_ok=True)
        sandbox.stop()


def _raise_keyboard_interrupt(signum: int, frame: object) -> None:
    raise KeyboardInterrupt


def cmd_sandbox_files(args: argparse.Namespace) -> int:
    from sandbox.world import World

    world = World.generate(args.tier, args.seed)
    written = world.write_files(Path(args.directory))
    for kind, paths in written.items():
        print(f"{kind}: {len(paths)} files")
    print(f"manifest: {Path(args.directory) / 'manifest.json'}")
    return 0


def _drift_ops(args: argparse.Namespace) -> list[dict[str, object]]:
    """Jira custom-field drift operations from the ``tick`` options, in a fixed order."""
    ops: list[dict[str, object]] = []
    for spec in args.add_field or ():
        name, _, kind = spec.partition(":")
        ops.append({"op": "add_field", "name": name, "kind": kind or "text"})
    for spec in args.rename_field or ():
        ref, _, new = spec.partition("=")
        ops.append({"op": "rename_field", "field": ref, "name": new})
    for spec in args.retype_field or ():
        ref, _, kind = spec.partition("=")
        ops.append({"op": "change_type", "field": ref, "kind": kind})
    for spec in args.change_values or ():
        ref, _, fraction = spec.partition("=")
        ops.append({"op": "change_values", "field": ref, "fraction": float(fraction or 0.2)})
    for ref in args.remove_field or ():
        ops.append({"op": "remove_field", "field": ref})
    return ops


def cmd_sandbox_tick(args: argparse.Namespace) -> int:
    control_file = Path(args.dir) / "control.json"
    if not control_file.exists():
        print(
            f"no running sandbox: {control_file} is missing (start one with "
            f"`pmo-hub sandbox up --dir {args.dir}`)",
            file=sys.stderr,
        )
        return 1
    control = json.loads(control_file.read_text(encoding="utf-8"))
    request = urllib.request.Request(
        control["url"] + "/tick",
        data=json.dumps({"days": args.days, "jira_drift": _drift_ops(args)}).encode(),
        headers={"Content-Type": "application/json"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=120) as response:  # loopback only
            print(json.dumps(json.loads(response.read())))
    except OSError as exc:
        print(f"the sandbox at {control['url']} did not answer: {exc}", file=sys.stderr)
        return 1
    return 0


def cmd_report(args: argparse.Namespace) -> int:
    from reporting import write_reports

    config = load_config(Path(args.config) if args.config else None)
    written = write_reports(config)
    if not written:
        print(
            "no report written: the warehouse has no compliance marts yet (run `pmo-hub run`)",
            file=sys.stderr,
        )
        return 1
    print(f"{len(written)} report pages written; open {config.reports_dir / 'index.html'}")
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="pmo-hub", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)

    run = sub.add_parser("run", help="run the main sync job with your configuration")
    run.add_argument("--config", help="config file (default: $PMO_HUB_CONFIG or ./pmo-hub.toml)")
    run.add_argument("--reconcile", action="store_true", help="also detect deletes (nightly mode)")
    run.add_argument(
        "--check",
        action="store_true",
        help="only check the configuration, secrets, warehouse and sources (exit 1 on a problem)",
    )
    run.add_argument(
        "--no-network", action="store_true", help="with --check: do not contact Jira or Microsoft"
    )
    run.set_defaults(func=cmd_run)

    report = sub.add_parser("report", help="write the HTML report site from the warehouse")
    report.add_argument("--config", help="config file (default: $PMO_HUB_CONFIG or ./pmo-hub.toml)")
    report.set_defaults(func=cmd_report)

    ui = sub.add_parser("ui", help="open the Dagster UI on this project's runs (dagster dev)")
    ui.add_argument("--config", help="config file (default: $PMO_HUB_CONFIG or ./pmo-hub.toml)")
    ui.add_argument("--port", type=int, default=3000)
    ui.set_defaults(func=cmd_ui)

    demo = sub.add_parser("demo", help="run the main job against the bundled sandbox")
    demo.add_argument("--tier", default="S", help="sandbox volume tier: XS, S, M, L, XL")
    demo.add_argument("--seed", type=int, default=42)
    demo.add_argument("--target", default="duckdb", choices=("duckdb", "postgres"))
    demo.set_defaults(func=cmd_demo)

    sandbox = sub.add_parser("sandbox", help="the local sandbox of Jira, Microsoft and files")
    sandbox_sub = sandbox.add_subparsers(dest="sandbox_command", required=True)
    up = sandbox_sub.add_parser("up", help="start the servers and print URLs and credentials")
    up.add_argument("--tier", default="S", choices=SANDBOX_TIERS)
    up.add_argument("--seed", type=int, default=42)
    up.add_argument("--dir", default=str(STATE_DIR / "sandbox-up"))
    up.add_argument(
        "--jira-deployment",
        default="cloud",
        choices=("cloud", "datacenter"),
        help="serve Jira Cloud (REST v3 + v2) or Data Center (REST v2, PAT or basic auth)",
    )
    up.set_defaults(func=cmd_sandbox_up)
    files = sandbox_sub.add_parser("files", help="write the file sources and manifest to DIR")
    files.add_argument("directory")
    files.add_argument("--tier", default="S", choices=SANDBOX_TIERS)
    files.add_argument("--seed", type=int, default=42)
    files.set_defaults(func=cmd_sandbox_files)
    tick = sandbox_sub.add_parser("tick", help="advance a running sandbox's world clock")
    tick.add_argument("--days", type=int, default=1)
    drift = tick.add_argument_group("Jira custom-field drift (applied on the first day)")
    drift.add_argument(
        "--add-field",
        action="append",
        metavar="NAME:KIND",
        help="add a custom field (text, textarea, number, date, datetime, select, "
        "multiselect, user, labels) with values on 30%% of the issues",
    )
    drift.add_argument(
        "--remove-field",
        action="append",
        metavar="FIELD",
        help="delete a custom field (id or name)",
    )
    drift.add_argument("--rename-field", action="append", metavar="FIELD=NEW_NAME")
    drift.add_argument(
        "--retype-field",
        action="append",
        metavar="FIELD=KIND",
        help="change a field's type, converting its values",
    )
    drift.add_argument(
        "--change-values",
        action="append",
        metavar="FIELD[=FRACTION]",
        help="new values on a share (default 0.2) of the issues holding one",
    )
    tick.add_argument("--dir", default=str(STATE_DIR / "sandbox-up"))
    tick.set_defaults(func=cmd_sandbox_tick)
    return parser


def main(argv: list[str] | None = None) -> int:
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s %(name)s: %(message)s")
    for noisy in ("dagster", "dagster.builtin", "great_expectations", "dlt"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
    os.environ.setdefault("GX_ANALYTICS_ENABLED", "False")
    os.environ.setdefault("DO_NOT_TRACK", "1")
    args = build_parser().parse_args(argv)
    try:
        return args.func(args)
    except ConfigError as exc:
        print(f"configuration error: {exc}", file=sys.stderr)
        return 2
    except PmoHubError as exc:  # run in progress, warehouse unusable, source refused: all named
        print(f"error: {exc}", file=sys.stderr)
        return 1


if __name__ == "__main__":
    sys.exit(main())
