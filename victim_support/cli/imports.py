"""``victim-support import``, ``layouts`` and ``gaiji``: load peacetime ledger files.

victim-support import {residents|dwellings|land|tax|addresses} FILE --municipality CODE
    (--layout PRESET | --mapping FILE.toml) [--on-error abort|skip] [--dry-run]
"""

from __future__ import annotations

import sys
from pathlib import Path

import click

from core.audit import record
from core.csvfile import csv_text
from ledgers.registry.imports import KINDS
from victim_support.cli.common import CliError, actor, municipality_of, session_scope

REASON_LIMIT = 50  # report lines printed; the whole report stays in the database (import runs --report)


def _layout(layout_name: str | None, mapping: Path | None):  # noqa: ANN202
    from importers.layout import LayoutError, load_layout, load_preset

    if bool(layout_name) == bool(mapping):
        raise CliError("--layout（プリセット名）か --mapping（TOML ファイル）のどちらか一方を指定してください")
    try:
        return load_preset(layout_name) if layout_name else load_layout(mapping)
    except LayoutError as exc:
        raise CliError(f"レイアウトの誤り: {exc}") from None
    except FileNotFoundError as exc:
        raise CliError(f"レイアウトが見つかりません: {exc}") from None


@click.command("import")
@click.argument("kind", type=click.Choice(KINDS))
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", "municipality_code", required=True, help="Municipality code (地方公共団体コード).")
@click.option("--layout", "layout_name", default=None, help="A preset layout (see `victim-support layouts`).")
@click.option(
    "--mapping",
    type=click.Path(exists=True, dir_okay=False, path_type=Path),
    default=None,
    help="A layout of your own: a TOML mapping file.",
)
@click.option(
    "--on-error",
    type=click.Choice(["abort", "skip"]),
    default="abort",
    show_default=True,
    help="abort: write nothing if any row is invalid; skip: write the valid rows.",
)
@click.option("--dry-run", is_flag=True, help="Check the file and report; write nothing.")
@click.option("--quiet", is_flag=True, help="No progress lines.")
def import_command(
    kind: str,
    file: Path,
    municipality_code: str,
    layout_name: str | None,
    mapping: Path | None,
    on_error: str,
    dry_run: bool,
    quiet: bool,
) -> None:
    """Import a ledger file (CSV or fixed-width, CP932 or UTF-8) as a diff against the register."""
    from ledgers.registry.imports import ImportFailed, ImportRefused, import_file

    layout = _layout(layout_name, mapping)

    def progress(rows: int) -> None:
        if not quiet:
            click.echo(f"progress {rows} rows", err=True)

    with session_scope() as session:
        target = municipality_of(session, municipality_code)
        try:
            outcome = import_file(
                session, target, kind, file, layout, on_error=on_error, dry_run=dry_run, progress=progress
            )
        except ImportFailed as exc:
            session.rollback()
            record(
                session,
                actor(target.code),
                f"import.{kind}",
                "import_run",
                exc.run_id,
                {"file": file.name, "layout": layout.name, "status": "failed", "message": exc.message},
            )
            session.commit()
            raise CliError(f"取込 {exc.run_id} は失敗しました: {exc.message}") from None
        except ImportRefused as exc:
            raise CliError(str(exc)) from None
        record(
            session,
            actor(target.code),
            f"import.{kind}",
            "import_run",
            outcome.run_id,
            {"file": file.name, "layout": layout.name, "status": outcome.status, "counts": outcome.counts},
        )
        session.commit()
    for issue in outcome.issues[:REASON_LIMIT]:
        click.echo(
            f"{file.name}:{issue.line_no}: {issue.severity}: {issue.field or '-'}: {issue.reason}"
            + (f" ({issue.value!s:.40})" if issue.value not in (None, "") else ""),
            err=True,
        )
    if (
        len(outcome.issues) > REASON_LIMIT
        or outcome.counts.get("invalid", 0) + outcome.counts.get("warnings", 0) > REASON_LIMIT
    ):
        click.echo(
            f"... (the whole report: victim-support import report {outcome.run_id} --municipality {municipality_code})",
            err=True,
        )
    if outcome.unmatched_addresses:
        click.echo(
            f"{len(outcome.unmatched_addresses)} address(es) not found in the address registry, e.g. "
            f"{outcome.unmatched_addresses[0]}",
            err=True,
        )
    summary = ", ".join(f"{k} {v}" for k, v in outcome.counts.items())
    click.echo(f"import run {outcome.run_id}: {outcome.status}: {summary}")
    if outcome.message:
        click.echo(outcome.message)
    if outcome.status == "refused":
        sys.exit(1)


@click.command("import-report")
@click.argument("run_id", type=int)
@click.option("--municipality", "municipality_code", required=True, help="Municipality code.")
def import_report(run_id: int, municipality_code: str) -> None:
    """Print the validation report of an import run as CSV (line, field, value, reason, severity)."""
    from ledgers.registry.imports import issues_of

    with session_scope() as session:
        target = municipality_of(session, municipality_code)
        text = csv_text(
            ["line", "field", "value", "reason", "severity"],
            ((i.line_no, i.field, i.value, i.reason, i.severity) for i in issues_of(session, target.id, run_id)),
        )
    click.echo(text, nl=False)


@click.command("layouts")
def layouts_command() -> None:
    """List the preset layouts shipped with the system."""
    from importers.layout import list_presets, load_preset

    for name in list_presets():
        layout = load_preset(name)
        click.echo(f"{name:28} {layout.kind:10} {layout.format:6} {layout.encoding}")


@click.group("gaiji")
def gaiji() -> None:
    """The municipality's 外字 map (user-defined characters → standard text)."""


@gaiji.command("load")
@click.argument("file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--municipality", "municipality_code", required=True, help="Municipality code.")
def gaiji_load(file: Path, municipality_code: str) -> None:
    """Load a 外字 map CSV (UTF-8): code point (E000 or U+E000), replacement, note."""
    from ledgers.registry.gaiji import GaijiMapError, parse_gaiji_csv, replace_gaiji_map

    try:
        entries = parse_gaiji_csv(file.read_bytes())
    except GaijiMapError as exc:
        raise CliError(f"{file.name}: {exc}") from None
    with session_scope() as session:
        target = municipality_of(session, municipality_code)
        replace_gaiji_map(session, target.id, entries)
        record(session, actor(target.code), "gaiji.load", "municipality", target.code, {"entries": len(entries)})
        session.commit()
    click.echo(f"loaded {len(entries)} 外字 mappings for {municipality_code}")


@click.command("synth")
@click.argument("directory", type=click.Path(file_okay=False, path_type=Path))
@click.option("--size", default=10_000, show_default=True, type=click.IntRange(min=1), help="Number of residents.")
@click.option("--seed", default=1, show_default=True, type=int)
@click.option("--gaiji", "with_gaiji", is_flag=True, help="Put user-defined characters (外字) into some names.")
@click.option(
    "--invalid",
    "n_invalid",
    default=0,
    show_default=True,
    type=click.IntRange(min=0),
    help="Spoil this many resident rows (bad check digit, bad date, missing name).",
)
@click.option("--fixed", is_flag=True, help="Residents as fixed-width records instead of CSV.")
def synth(directory: Path, size: int, seed: int, with_gaiji: bool, n_invalid: int, fixed: bool) -> None:
    """Write SYNTHETIC ledger files of an invented city in the preset layouts (for trials and tests)."""
    from importers import synthetic
    from importers.synthetic_city import generate_city

    directory.mkdir(parents=True, exist_ok=True)
    city = generate_city(size, seed=seed, with_gaiji=with_gaiji)
    written = {
        "residents": synthetic.write_residents(
            directory / ("residents.dat" if fixed else "residents.csv"),
            city,
            seed=seed,
            fixed=fixed,
            n_invalid=n_invalid,
        ),
        "dwellings": synthetic.write_dwellings(directory / "dwellings.csv", city, seed=seed),
        "land": synthetic.write_land(directory / "land.csv", city, seed=seed),
        "tax": synthetic.write_tax(directory / "tax.csv", city, seed=seed),
    }
    registry = synthetic.write_address_registry(
        directory / "isj-gaiku.csv", directory / "isj-oaza.csv", city, seed=seed
    )
    for name, result in registry.items():
        written[f"addresses ({name})"] = result
    for kind, result in written.items():
        click.echo(f"{kind:24} {result.rows:>9} rows  layout {result.layout}")
