"""Command line for the damage-class rules (住家被害認定): ``victim-support rules ...``.

    rules list [--kind ratio|flood] [--json]
    rules show VERSION [--json]
    rules damage-class (--ratio R [--floor-ratio R] | --part CODE=DEGREE ... | --flood-depth M
                        [--external-force] [--washed-away]) [--on DATE | --rules VERSION] [--json]

No database is needed: the rules are the data files in ``ledgers/damage/rulesets``. Ratios may be
written ``49.99%``, ``49.99`` or ``0.4999``: with a % sign the number is a percentage; without one a
number above 1 is a percentage and a number from 0 to 1 a fraction (``1`` = 100%, ``0.5`` = 50%).
The output always shows the percentage that was judged.
"""

from __future__ import annotations

import json
from datetime import date, datetime
from typing import Any

import click

from core.errors import DomainError
from ledgers.damage import rules as damage
from victim_support.cli.common import CliError, echo_table


def _error(message: str) -> click.ClickException:
    return CliError(message)


class RulesGroup(click.Group):
    """Refused operations end as one line ``error: ...`` (also when run outside the main group)."""

    def invoke(self, ctx: click.Context) -> Any:
        try:
            return super().invoke(ctx)
        except DomainError as exc:
            raise _error(str(exc)) from None


def _echo_json(data: Any) -> None:
    click.echo(json.dumps(data, ensure_ascii=False, indent=2))


def _flag(verified: bool | None) -> str:
    return {True: "verified", False: "UNVERIFIED", None: "manual"}[verified]


def _summary(ruleset: damage.Ruleset) -> dict[str, Any]:
    return {
        "id": ruleset.id,
        "kind": ruleset.kind,
        "title": ruleset.title,
        "valid_from": ruleset.valid_from.isoformat(),
        "valid_until": ruleset.valid_until.isoformat() if ruleset.valid_until else None,
        "verified": ruleset.verified,
        "status": ruleset.status,
        "unverified": list(ruleset.unverified),
        "source": ruleset.source,
    }


@click.group("rules", cls=RulesGroup, context_settings={"help_option_names": ["-h", "--help"]})
def rules() -> None:
    """Damage-class rules (住家被害認定): versions and what-if judgements.

    Each rule version is a data file with its validity dates, source and verification status;
    the version is chosen by the disaster's date unless one is named.
    """


@rules.command("list")
@click.option("--kind", type=click.Choice(list(damage.KINDS)), help="Only ratio (損害割合) or flood (浸水深) rules.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rules_list(kind: str | None, as_json: bool) -> None:
    """List rule versions with validity dates, verification status and source.

    Status: verified = every band in the file was checked against its source; partly = some were;
    unverified = none are (see `rules show VERSION` for what is not verified).
    """
    rows = [r for r in damage.load_rulesets() if kind is None or r.kind == kind]
    if as_json:
        _echo_json([_summary(r) for r in rows])
        return
    echo_table(
        ["id", "kind", "valid_from", "valid_until", "verified", "title", "source"],
        [
            [
                r.id,
                r.kind,
                r.valid_from.isoformat(),
                r.valid_until.isoformat() if r.valid_until else "",
                r.status,
                r.title,
                r.source,
            ]
            for r in rows
        ],
    )


@rules.command("show")
@click.argument("version")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rules_show(version: str, as_json: bool) -> None:
    """Show one rule version: classes, thresholds, part weights, flood tables and what is unverified."""
    ruleset = damage.get_ruleset(version)
    if as_json:
        data = _summary(ruleset) | {
            "notes": ruleset.notes,
            "classes": [{"code": c.code, "label": c.label} for c in ruleset.classes],
            "ratio_bands": [
                {"class": b.damage_class, "min_percent": str(b.minimum), "verified": b.verified}
                for b in ruleset.ratio_bands
            ],
            "floor_bands": [
                {"class": b.damage_class, "min_percent": str(b.minimum), "verified": b.verified}
                for b in ruleset.floor_bands
            ],
            "weights": [
                {
                    "structure": w.structure,
                    "survey": w.survey,
                    "verified": w.verified,
                    "source": w.source,
                    "parts": {p.code: str(p.weight) for p in w.parts},
                }
                for w in ruleset.weights
            ],
            "flood": [
                {
                    "condition": t.condition,
                    "scope": t.scope,
                    "verified": t.verified,
                    "source": t.source,
                    "bands": [{"class": b.damage_class, "min_m": str(b.minimum)} for b in t.bands],
                    "below_floor": t.below_floor,
                    "washed_away": t.washed_away,
                    "no_water": t.no_water,
                }
                for t in ruleset.flood
            ],
        }
        _echo_json(data)
        return
    click.echo(f"{ruleset.id}  {ruleset.title}")
    click.echo(f"kind: {ruleset.kind} ({damage.KINDS[ruleset.kind]})")
    click.echo(f"valid: {ruleset.validity}")
    click.echo(f"status: {ruleset.status}")
    click.echo(f"source: {ruleset.source}")
    for item in ruleset.unverified:
        click.echo(f"unverified: {item}")
    if ruleset.notes:
        click.echo(f"notes: {ruleset.notes}")

    def bands(title: str, items: tuple[damage.Band, ...], unit: str, *, above_zero: bool = False) -> None:
        # above_zero: flood bands, whose lowest band (min 0) means any depth above the floor
        click.echo("")
        click.echo(title)
        upper = ""
        lines = []
        for band in items:
            lower = f"{band.minimum}{unit}"
            start = f"> {lower}" if above_zero and band.minimum == 0 else lower
            span = f">= {lower}" if not upper else f"{start} – <{upper}"
            lines.append([band.damage_class, ruleset.label(band.damage_class), span, _flag(band.verified)])
            upper = lower
        echo_table(["class", "label", "range", "verified"], lines)

    if ruleset.ratio_bands:
        bands("損害割合 (ratio):", ruleset.ratio_bands, "%")
    if ruleset.floor_bands:
        bands("床面積の損壊割合 (floor-area criterion):", ruleset.floor_bands, "%")
    for table in ruleset.weights:
        click.echo("")
        click.echo(
            f"部位別構成比 {table.structure} ({table.structure_label}), {table.survey} "
            f"({damage.SURVEYS[table.survey]}), {_flag(table.verified)}: {table.source}"
        )
        echo_table(["part", "label", "weight"], [[p.code, p.label, f"{p.weight}%"] for p in table.parts])
    for table in ruleset.flood:
        bands(
            f"浸水深 {table.condition} ({damage.FLOOD_CONDITIONS[table.condition]}; {table.scope}), "
            f"{_flag(table.verified)}: {table.source}",
            table.bands,
            " m",
            above_zero=True,
        )
        for what, code in (("流失", table.washed_away), ("床下浸水", table.below_floor), ("浸水なし", table.no_water)):
            shown = f"{code} {ruleset.label(code)}" if code else "(not covered: judge by part damage)"
            click.echo(f"{what}: {shown}")


def _parts(values: tuple[str, ...]) -> dict[str, str]:
    parts: dict[str, str] = {}
    for value in values:
        code, sep, degree = value.partition("=")
        if not sep or not code.strip() or not degree.strip():
            raise _error(f"--part {value!r} は 部位=損傷程度（例: roof=0.5）で指定してください")
        if code.strip() in parts:
            raise _error(f"--part {code.strip()} が2回指定されています")
        parts[code.strip()] = degree.strip()
    return parts


DATE = click.DateTime(formats=["%Y-%m-%d"])


@rules.command("damage-class")
@click.option("--ratio", help="損害割合: 49.99% / 49.99 / 0.4999 (a bare number up to 1 is a fraction).")
@click.option("--floor-ratio", help="床面積の損壊割合 (floor-area criterion), same forms as --ratio.")
@click.option(
    "--part",
    "parts",
    multiple=True,
    metavar="CODE=DEGREE",
    help="Part damage degree 0..1, e.g. --part roof=0.5 (repeat; see `rules show`).",
)
@click.option(
    "--structure", default="wooden", show_default=True, help="Structure for --part (wooden = 木造・プレハブ)."
)
@click.option(
    "--survey",
    type=click.Choice(list(damage.SURVEYS)),
    default="second",
    show_default=True,
    help="Survey whose part weights --part uses (first = 外観, second = 内部立入).",
)
@click.option("--flood-depth", help="浸水深 above the floor in metres (0 or less = 床下浸水); also 床下 or none.")
@click.option("--external-force", is_flag=True, help="The house took external force (外力: 水流・泥流・がれき).")
@click.option("--washed-away", is_flag=True, help="The house was washed away (流失).")
@click.option("--on", "on", type=DATE, help="Disaster date that chooses the rule version [default: today].")
@click.option("--rules", "version", help="Use this rule version instead of choosing by date.")
@click.option("--json", "as_json", is_flag=True, help="Print JSON.")
def rules_damage_class(
    ratio: str | None,
    floor_ratio: str | None,
    parts: tuple[str, ...],
    structure: str,
    survey: str,
    flood_depth: str | None,
    external_force: bool,
    washed_away: bool,
    on: datetime | None,
    version: str | None,
    as_json: bool,
) -> None:
    """Print the damage class and the rule version for a ratio, floor-area ratio, parts or flood depth.

    --ratio (or --part) and --floor-ratio may be combined: the more severe class wins.
    """
    flood = flood_depth is not None or washed_away
    if ratio is not None and parts:
        raise _error("--ratio と --part は同時に指定できません")
    if flood and (ratio is not None or floor_ratio is not None or parts):
        raise _error(
            "浸水深（--flood-depth, --washed-away）と損害割合（--ratio, --floor-ratio, --part）は同時に指定できません"
        )
    if external_force and not flood:
        raise _error("--external-force は --flood-depth と一緒に指定してください")
    if not flood and ratio is None and floor_ratio is None and not parts:
        raise _error("--ratio, --floor-ratio, --part, --flood-depth のいずれかを指定してください")
    if on is not None and version:
        raise _error("--on と --rules は同時に指定できません")
    kind = "flood" if flood else "ratio"
    if version:
        ruleset = damage.get_ruleset(version)
        if ruleset.kind != kind:
            raise _error(
                f"--rules {ruleset.id} は{damage.KINDS[ruleset.kind]}の規則です"
                f"（{damage.KINDS[kind]}の規則を指定してください）"
            )
        chosen_by, day = "--rules", None
    else:
        from core.clock import today_jst

        day = on.date() if on is not None else today_jst()
        ruleset = damage.rules_for(day, kind=kind)
        chosen_by = "date"

    judgements: list[damage.Judgement] = []
    if flood:
        depth = None if flood_depth is None else damage.parse_depth(flood_depth)
        judgements.append(damage.classify_flood(ruleset, depth, external_force, washed_away=washed_away))
    else:
        if ratio is not None:
            judgements.append(damage.classify_ratio(ruleset, damage.parse_ratio(ratio, "損害割合")))
        if parts:
            judgements.append(damage.classify_parts(ruleset, structure, _parts(parts), survey=survey))
        if floor_ratio is not None:
            judgements.append(damage.classify_floor_ratio(ruleset, damage.parse_ratio(floor_ratio, "床面積の損壊割合")))
    result = damage.most_severe(*judgements, ruleset=ruleset)

    if as_json:
        _echo_json(
            {
                "damage_class": result.damage_class,
                "label": result.label,
                "rule_version": ruleset.id,
                "rule_title": ruleset.title,
                "rule_status": ruleset.status,
                "chosen_by": chosen_by,
                "on": day.isoformat() if isinstance(day, date) else None,
                "verified": all(j.verified for j in judgements),
                "judgements": [j.to_dict() for j in judgements],
            }
        )
        return
    click.echo(f"class: {result.damage_class} {result.label}")
    click.echo(f"rules: {ruleset.id} {ruleset.title} ({ruleset.validity}, {ruleset.status})")
    click.echo(f"chosen by: {'--rules' if day is None else 'date ' + day.isoformat()}")
    for judgement in judgements:
        click.echo(
            f"basis: {judgement.note} → {judgement.damage_class} {judgement.label} ({_flag(judgement.verified)})"
        )
    if len(judgements) > 1:
        click.echo("(the more severe class of the criteria applies)")
