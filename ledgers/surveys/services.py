"""Damage surveys (住家被害認定調査): record and judge, supersession chains, photos, the survey
plan with team assignment and progress, and the class each victim household inherits."""

from __future__ import annotations

import hashlib
import re
from dataclasses import dataclass, field
from datetime import date
from pathlib import Path
from typing import Any

from sqlalchemy import case, event, exists, func, select, update
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from core.clock import check_day
from core.errors import DomainError, NotFound
from ledgers.damage import (
    classify_flood,
    classify_floor_ratio,
    classify_parts,
    classify_ratio,
    manual_judgement,
    most_severe,
    parse_depth,
    parse_ratio,
    rules_for,
)
from ledgers.damage.rules import Judgement, Ruleset
from ledgers.disasters.models import Disaster
from ledgers.households.models import VictimHousehold
from ledgers.registry.models import Dwelling, Occupancy
from ledgers.surveys.models import SURVEY_KIND_LABELS, Survey, SurveyKind, SurveyPhoto, SurveyPlanItem

# Most severe first; the classes of every rule version are among these codes.
SEVERITY = ("total_collapse", "large_scale_half", "medium_scale_half", "half", "quasi_half", "partial", "none")
KINDS = {k.value for k in SurveyKind}
MAX_PHOTO_BYTES = 15 * 1024 * 1024
PHOTO_TYPES = {"image/jpeg": ".jpg", "image/png": ".png", "image/heic": ".heic", "image/webp": ".webp"}


def severity(damage_class: str) -> int:
    return SEVERITY.index(damage_class) if damage_class in SEVERITY else len(SEVERITY)


def structure_code(structure: str) -> str:
    """The rule files' structure code for the ledger's 構造 text (木造・プレハブ = wooden)."""
    text = structure or ""
    return "wooden" if ("木造" in text or "プレハブ" in text or text == "wooden") else "non_wooden"


def town_of(location: str, municipality_name: str = "") -> str:
    """町丁目 of a location: the text after the municipality up to 丁目, else the town name."""
    text = (location or "").strip()
    if municipality_name and municipality_name in text:
        text = text[text.index(municipality_name) + len(municipality_name) :]
    else:
        match = re.match(r"^.*?[都道府県]?.*?[市区町村](?=.)", text)
        if match and "丁目" not in match.group(0):
            text = text[match.end() :]
    if "丁目" in text:
        return text[: text.index("丁目") + 2]
    match = re.match(r"[^0-9０-９\-－ー番号]+", text)
    return match.group(0) if match else text


@dataclass
class SurveyInput:
    kind: str = SurveyKind.first.value
    surveyed_on: date | None = None
    surveyors: str = ""
    team: str = ""
    ratio: str = ""  # 損害割合 (%, or 0..1)
    floor_ratio: str = ""  # 損壊部分の床面積 ÷ 延床面積
    parts: dict[str, Any] = field(default_factory=dict)  # part code -> degree 0..1
    flood_depth: str = ""  # 床上浸水深 (m), 床下, なし
    external_force: bool = False
    washed_away: bool = False
    manual_class: str = ""
    manual_reason: str = ""
    notes: str = ""


def ruleset_for(disaster: Disaster, kind: str = "ratio") -> Ruleset:
    return rules_for(disaster.occurred_on, disaster.damage_rules_override or None, kind)


def judge(disaster: Disaster, dwelling: Dwelling, data: SurveyInput) -> tuple[Judgement, dict[str, Any], str]:
    """The judgement of the inputs under the disaster's rule version, the inputs as stored, and
    the 浸水区分 (above_floor / below_floor / "")."""
    has_ratio = bool(data.ratio.strip() or data.floor_ratio.strip() or data.parts)
    has_flood = bool(data.flood_depth.strip() or data.washed_away)
    if has_ratio and has_flood:
        raise DomainError("損害割合と浸水深は同時に入力できません（どちらか一方で判定します）", field="flood_depth")
    inputs: dict[str, Any] = {}
    flood_class = ""
    survey_stage = "first" if data.kind == SurveyKind.first.value else "second"
    if has_flood:
        ruleset = ruleset_for(disaster, "flood")
        depth = None if data.washed_away else parse_depth(data.flood_depth)
        judgements = [classify_flood(ruleset, depth, data.external_force, washed_away=data.washed_away)]
        inputs.update(
            flood_depth=data.flood_depth.strip(), external_force=data.external_force, washed_away=data.washed_away
        )
        if depth is not None:
            flood_class = "above_floor" if depth > 0 else "below_floor"
        elif data.washed_away:
            flood_class = "above_floor"
    else:
        ruleset = ruleset_for(disaster, "ratio")
        judgements = []
        if data.parts:
            degrees = {k: v for k, v in data.parts.items() if str(v).strip() not in ("", "0")}
            judgements.append(classify_parts(ruleset, structure_code(dwelling.structure), degrees, survey=survey_stage))
            inputs["parts"] = {k: str(v) for k, v in degrees.items()}
            inputs["survey_stage"] = survey_stage
        if data.ratio.strip():
            judgements.append(classify_ratio(ruleset, parse_ratio(data.ratio)))
            inputs["ratio"] = data.ratio.strip()
        if data.floor_ratio.strip():
            judgements.append(classify_floor_ratio(ruleset, parse_ratio(data.floor_ratio, "床面積の割合")))
            inputs["floor_ratio"] = data.floor_ratio.strip()
    if data.manual_class.strip():
        judged = manual_judgement(data.manual_class, data.manual_reason, ruleset)
        if judgements:
            inputs["computed"] = most_severe(*judgements, ruleset=ruleset).to_dict()
        return judged, inputs, flood_class
    if not judgements:
        raise DomainError(
            "損害割合・床面積の割合・部位別の損傷程度・浸水深のいずれか、または手動の被害区分を入力してください",
            field="ratio",
        )
    return most_severe(*judgements, ruleset=ruleset), inputs, flood_class


def current_survey(session: Session, disaster_id: int, dwelling_id: int) -> Survey | None:
    return (
        session.execute(
            select(Survey)
            .where(
                Survey.disaster_id == disaster_id, Survey.dwelling_id == dwelling_id, Survey.superseded_by_id.is_(None)
            )
            .order_by(Survey.id.desc())
        )
        .scalars()
        .first()
    )


def survey_chain(session: Session, disaster_id: int, dwelling_id: int) -> list[Survey]:
    """Every survey of the dwelling in the disaster, oldest first (the last one is current)."""
    return list(
        session.execute(
            select(Survey)
            .where(Survey.disaster_id == disaster_id, Survey.dwelling_id == dwelling_id)
            .order_by(Survey.id)
        ).scalars()
    )


def record_survey(
    session: Session, disaster: Disaster, dwelling: Dwelling, data: SurveyInput, user_id: int | None
) -> Survey:
    """A new survey event; the current one of the dwelling (if any) is superseded by it."""
    if dwelling.municipality_id != disaster.municipality_id:
        raise NotFound("指定された家屋はありません")
    if data.kind not in KINDS:
        raise DomainError(f"調査の種類が正しくありません: {data.kind}", field="kind")
    if data.surveyed_on is None:
        raise DomainError("調査日を入力してください", field="surveyed_on")
    if data.surveyed_on < disaster.occurred_on:
        raise DomainError("調査日が災害の発生日より前です", field="surveyed_on")
    check_day(data.surveyed_on, field="surveyed_on", what="調査日")
    judgement, inputs, flood_class = judge(disaster, dwelling, data)
    # Lock the dwelling's chain (PostgreSQL row lock; SQLite's BEGIN IMMEDIATE serialises anyway).
    session.execute(select(Dwelling.id).where(Dwelling.id == dwelling.id).with_for_update())
    previous = current_survey(session, disaster.id, dwelling.id)
    survey = Survey(
        municipality_id=disaster.municipality_id,
        disaster_id=disaster.id,
        dwelling_id=dwelling.id,
        kind=data.kind,
        surveyed_on=data.surveyed_on,
        surveyors=data.surveyors.strip(),
        team=data.team.strip(),
        basis=judgement.basis,
        inputs=inputs,
        damage_class=judgement.damage_class,
        damage_label=judgement.label,
        rule_version=judgement.rule_version,
        judgement=judgement.to_dict(),
        flood_class=flood_class,
        manual=judgement.manual,
        manual_reason=judgement.reason,
        notes=data.notes.strip(),
        created_by_id=user_id,
    )
    session.add(survey)
    session.flush()
    if previous is not None:
        session.execute(update(Survey).where(Survey.id == previous.id).values(superseded_by_id=survey.id))
        session.expire(previous)
    return survey


def get_survey(session: Session, municipality_id: int, survey_id: int) -> Survey | None:
    return session.execute(
        select(Survey).where(Survey.id == survey_id, Survey.municipality_id == municipality_id)
    ).scalar_one_or_none()


def kind_label(kind: str) -> str:
    return next((text for k, text in SURVEY_KIND_LABELS.items() if k.value == kind), kind)


# ---------------------------------------------------------------- photos


def _sniff_type(content: bytes) -> str | None:
    """The photo type the bytes really are (by their signature), or None."""
    if content.startswith(b"\xff\xd8\xff"):
        return "image/jpeg"
    if content.startswith(b"\x89PNG\r\n\x1a\n"):
        return "image/png"
    if content[:4] == b"RIFF" and content[8:12] == b"WEBP":
        return "image/webp"
    if content[4:8] == b"ftyp" and content[8:12] in {
        b"heic",
        b"heix",
        b"hevc",
        b"hevx",
        b"heim",
        b"heis",
        b"mif1",
        b"msf1",
    }:
        return "image/heic"
    return None


def check_photo(file_name: str, content: bytes, content_type: str) -> str:
    """Refuse what is not a photo we keep (named in the message); returns the normalised type."""
    name = Path(file_name or "photo").name[:200]
    if not content:
        raise DomainError(f"写真「{name}」のファイルが空です", field="photos")
    if len(content) > MAX_PHOTO_BYTES:
        raise DomainError(f"写真「{name}」が大きすぎます（{MAX_PHOTO_BYTES // (1024 * 1024)} MB まで）", field="photos")
    content_type = (content_type or "").split(";")[0].strip().lower()
    if content_type not in PHOTO_TYPES or _sniff_type(content) != content_type:
        raise DomainError(
            f"写真「{name}」は JPEG・PNG・HEIC・WebP の画像ではありません。写真はこれらの形式で登録してください",
            field="photos",
        )
    return content_type


_PENDING_FILES = "survey_photo_files"


@event.listens_for(OrmSession, "before_commit")
def _write_pending_photos(session: Session) -> None:
    """Photo files are written when the transaction that records them commits: a form refused
    half-way (a bad file after good ones) rolls back and leaves no file behind."""
    pending = session.info.pop(_PENDING_FILES, None) or {}
    for target, content in pending.items():
        if target.exists():
            continue
        target.parent.mkdir(parents=True, exist_ok=True)
        temporary = target.with_suffix(target.suffix + ".part")
        temporary.write_bytes(content)
        temporary.replace(target)


@event.listens_for(OrmSession, "after_transaction_end")
def _forget_pending_photos(session: Session, transaction) -> None:  # noqa: ANN001
    if transaction.parent is None:
        session.info.pop(_PENDING_FILES, None)


def add_photo(
    session: Session,
    survey: Survey,
    file_name: str,
    content: bytes,
    content_type: str,
    base_dir: Path,
    municipality_code: str,
    disaster_number: str,
) -> SurveyPhoto:
    """Record a photo; its file goes to <base>/<municipality>/<disaster>/<sha256><ext> when the
    transaction commits (nothing is written if it rolls back)."""
    content_type = check_photo(file_name, content, content_type)
    digest = hashlib.sha256(content).hexdigest()
    safe_number = re.sub(r"[^0-9A-Za-z\-]", "_", disaster_number)
    relative = Path(municipality_code) / safe_number / f"{digest}{PHOTO_TYPES[content_type]}"
    photo = SurveyPhoto(
        municipality_id=survey.municipality_id,
        survey_id=survey.id,
        file_name=Path(file_name or "photo").name[:200],
        stored_path=relative.as_posix(),
        content_type=content_type,
        size=len(content),
        sha256=digest,
    )
    session.add(photo)
    session.flush()
    session.info.setdefault(_PENDING_FILES, {})[base_dir / relative] = content
    return photo


def photos_of(session: Session, survey_ids: list[int]) -> dict[int, list[SurveyPhoto]]:
    grouped: dict[int, list[SurveyPhoto]] = {}
    if survey_ids:
        for photo in session.execute(
            select(SurveyPhoto).where(SurveyPhoto.survey_id.in_(survey_ids)).order_by(SurveyPhoto.id)
        ).scalars():
            grouped.setdefault(photo.survey_id, []).append(photo)
    return grouped


def get_photo(session: Session, municipality_id: int, photo_id: int) -> SurveyPhoto | None:
    return session.execute(
        select(SurveyPhoto).where(SurveyPhoto.id == photo_id, SurveyPhoto.municipality_id == municipality_id)
    ).scalar_one_or_none()


def disaster_of_photo(session: Session, photo: SurveyPhoto) -> Disaster:
    """The disaster whose survey the photo belongs to (a permission check needs it)."""
    return session.execute(
        select(Disaster).join(Survey, Survey.disaster_id == Disaster.id).where(Survey.id == photo.survey_id)
    ).scalar_one()


# ---------------------------------------------------------------- dwellings of households


def get_dwelling(session: Session, municipality_id: int, dwelling_id: int) -> Dwelling | None:
    return session.execute(
        select(Dwelling).where(Dwelling.id == dwelling_id, Dwelling.municipality_id == municipality_id)
    ).scalar_one_or_none()


def dwelling_by_house_no(session: Session, municipality_id: int, house_no: str) -> Dwelling | None:
    return session.execute(
        select(Dwelling).where(Dwelling.municipality_id == municipality_id, Dwelling.house_no == house_no.strip())
    ).scalar_one_or_none()


def household_dwelling_map(
    session: Session, disaster: Disaster, household_ids: list[int] | None = None
) -> dict[int, list[int]]:
    """Dwelling ids of each victim household of the disaster: the dwellings frozen into its 基本情報
    (house_no), plus the occupancy links of its 世帯番号 (for households registered before)."""
    query = select(VictimHousehold.id, VictimHousehold.source_household_no, VictimHousehold.basic_snapshot).where(
        VictimHousehold.disaster_id == disaster.id
    )
    if household_ids is not None:
        query = query.where(VictimHousehold.id.in_(household_ids or [-1]))
    rows = session.execute(query).all()
    house_nos = {
        d.get("house_no") for _, _, snap in rows for d in (snap or {}).get("dwellings") or [] if d.get("house_no")
    }
    by_house_no: dict[str, int] = {}
    if house_nos:
        for house_no, dwelling_id in session.execute(
            select(Dwelling.house_no, Dwelling.id).where(
                Dwelling.municipality_id == disaster.municipality_id, Dwelling.house_no.in_(list(house_nos))
            )
        ):
            by_house_no[house_no] = dwelling_id
    numbers = {no for _, no, _ in rows if no}
    occupied: dict[str, list[int]] = {}
    if numbers:
        for household_no, dwelling_id in session.execute(
            select(Occupancy.household_no, Occupancy.dwelling_id).where(
                Occupancy.municipality_id == disaster.municipality_id, Occupancy.household_no.in_(list(numbers))
            )
        ):
            occupied.setdefault(household_no, []).append(dwelling_id)
    result: dict[int, list[int]] = {}
    for household_id, household_no, snap in rows:
        ids = [
            by_house_no[d["house_no"]] for d in (snap or {}).get("dwellings") or [] if d.get("house_no") in by_house_no
        ]
        for dwelling_id in occupied.get(household_no, []):
            if dwelling_id not in ids:
                ids.append(dwelling_id)
        result[household_id] = ids
    return result


def current_surveys(session: Session, disaster: Disaster, dwelling_ids: list[int] | None = None) -> dict[int, Survey]:
    query = select(Survey).where(Survey.disaster_id == disaster.id, Survey.superseded_by_id.is_(None))
    if dwelling_ids is not None:
        query = query.where(Survey.dwelling_id.in_(dwelling_ids or [-1]))
    return {s.dwelling_id: s for s in session.execute(query.order_by(Survey.id)).scalars()}


@dataclass
class HouseholdDamage:
    """What a household inherits from its dwelling(s): the most severe current survey."""

    dwellings: list[tuple[Dwelling, Survey | None]]
    decisive: tuple[Dwelling, Survey] | None

    @property
    def surveyed(self) -> bool:
        return self.decisive is not None

    @property
    def pending(self) -> list[Dwelling]:
        return [d for d, s in self.dwellings if s is None]


def decisive_of(pairs: list[tuple[Any, Survey | None]]) -> tuple[Any, Survey] | None:
    surveyed = [(d, s) for d, s in pairs if s is not None]
    if not surveyed:
        return None
    return min(surveyed, key=lambda pair: (severity(pair[1].damage_class), pair[1].id))


def household_damage(session: Session, disaster: Disaster, household: VictimHousehold) -> HouseholdDamage:
    dwelling_ids = household_dwelling_map(session, disaster, [household.id]).get(household.id, [])
    dwellings = list(
        session.execute(
            select(Dwelling).where(Dwelling.id.in_(dwelling_ids or [-1])).order_by(Dwelling.house_no)
        ).scalars()
    )
    surveys = current_surveys(session, disaster, dwelling_ids)
    pairs = [(d, surveys.get(d.id)) for d in dwellings]
    return HouseholdDamage(pairs, decisive_of(pairs))


def households_of_dwelling(session: Session, disaster: Disaster, dwelling_id: int) -> list[VictimHousehold]:
    """Victim households living in a dwelling (all of them inherit its class)."""
    mapping = household_dwelling_map(session, disaster)
    ids = [hid for hid, dwellings in mapping.items() if dwelling_id in dwellings]
    return list(
        session.execute(
            select(VictimHousehold).where(VictimHousehold.id.in_(ids or [-1])).order_by(VictimHousehold.victim_no)
        ).scalars()
    )


# ---------------------------------------------------------------- survey plan


def build_plan(session: Session, disaster: Disaster, municipality_name: str = "") -> int:
    """Add the dwellings of every victim household of the disaster to its survey plan (idempotent);
    returns how many were added."""
    mapping = household_dwelling_map(session, disaster)
    wanted = {dwelling_id for ids in mapping.values() for dwelling_id in ids}
    have = set(
        session.execute(select(SurveyPlanItem.dwelling_id).where(SurveyPlanItem.disaster_id == disaster.id)).scalars()
    )
    missing = sorted(wanted - have)
    if not missing:
        return 0
    locations = dict(session.execute(select(Dwelling.id, Dwelling.location).where(Dwelling.id.in_(missing))).all())
    for dwelling_id in missing:
        session.add(
            SurveyPlanItem(
                municipality_id=disaster.municipality_id,
                disaster_id=disaster.id,
                dwelling_id=dwelling_id,
                town=town_of(locations.get(dwelling_id, ""), municipality_name),
                source="household",
            )
        )
    session.flush()
    return len(missing)


MAX_TEAM_LENGTH = 40
MAX_ASSIGN = 5000


def _check_team(team: str) -> str:
    team = (team or "").strip()
    if len(team) > MAX_TEAM_LENGTH:
        raise DomainError(f"調査班の名前は{MAX_TEAM_LENGTH}文字以内にしてください", field="team")
    return team


def add_to_plan(
    session: Session, disaster: Disaster, house_no: str, team: str = "", municipality_name: str = ""
) -> SurveyPlanItem:
    team = _check_team(team)
    if not (house_no or "").strip():
        raise DomainError("計画に加える家屋の家屋番号を入力してください", field="house_no")
    dwelling = dwelling_by_house_no(session, disaster.municipality_id, house_no)
    if dwelling is None:
        raise NotFound(f"家屋番号 {house_no} の家屋は家屋台帳にありません", field="house_no")
    existing = session.execute(
        select(SurveyPlanItem).where(
            SurveyPlanItem.disaster_id == disaster.id, SurveyPlanItem.dwelling_id == dwelling.id
        )
    ).scalar_one_or_none()
    if existing is not None:
        return existing
    item = SurveyPlanItem(
        municipality_id=disaster.municipality_id,
        disaster_id=disaster.id,
        dwelling_id=dwelling.id,
        town=town_of(dwelling.location, municipality_name),
        team=team,
        source="added",
    )
    session.add(item)
    session.flush()
    return item


def assign_team(session: Session, disaster: Disaster, item_ids: list[int], team: str) -> int:
    """Assign plan items to a team ("" unassigns); returns the number of items changed."""
    team = _check_team(team)
    if not item_ids:
        raise DomainError("割り当てる家屋を選択してください", field="items")
    result = session.execute(
        update(SurveyPlanItem)
        .where(SurveyPlanItem.disaster_id == disaster.id, SurveyPlanItem.id.in_(item_ids))
        .values(team=team)
    )
    return result.rowcount


def _listed(numbers: list[str], limit: int = 10) -> str:
    return "、".join(numbers[:limit]) + (f" ほか{len(numbers) - limit}件" if len(numbers) > limit else "")


def assign_team_by_house_no(
    session: Session, disaster: Disaster, house_nos: list[str], team: str
) -> list[SurveyPlanItem]:
    """Assign the planned dwellings given by 家屋番号 to a team ("" unassigns). All or nothing:
    a number not in the dwelling ledger, or not in the disaster's plan, refuses the whole request."""
    team = _check_team(team)
    wanted = list(dict.fromkeys(h.strip() for h in house_nos if h and h.strip()))
    if not wanted:
        raise DomainError("割り当てる家屋の家屋番号を指定してください", field="house_nos")
    if len(wanted) > MAX_ASSIGN:
        raise DomainError(f"一度に割り当てられるのは {MAX_ASSIGN} 件までです", field="house_nos")
    known = set(
        session.execute(
            select(Dwelling.house_no).where(
                Dwelling.municipality_id == disaster.municipality_id, Dwelling.house_no.in_(wanted)
            )
        ).scalars()
    )
    unknown = [h for h in wanted if h not in known]
    if unknown:
        raise NotFound(f"家屋番号 {_listed(unknown)} の家屋は家屋台帳にありません", field="house_nos")
    items = {
        house_no: item
        for item, house_no in session.execute(
            select(SurveyPlanItem, Dwelling.house_no)
            .join(Dwelling, Dwelling.id == SurveyPlanItem.dwelling_id)
            .where(
                SurveyPlanItem.disaster_id == disaster.id,
                Dwelling.municipality_id == disaster.municipality_id,
                Dwelling.house_no.in_(wanted),
            )
        ).all()
    }
    unplanned = [h for h in wanted if h not in items]
    if unplanned:
        raise DomainError(
            f"家屋番号 {_listed(unplanned)} はこの災害の調査計画にありません（先に計画に追加してください）",
            field="house_nos",
        )
    assign_team(session, disaster, [item.id for item in items.values()], team)
    for item in items.values():
        session.refresh(item)
    return [items[h] for h in wanted]


@dataclass
class PlanRow:
    item: SurveyPlanItem
    dwelling: Dwelling
    survey: Survey | None


def plan_rows(
    session: Session,
    disaster: Disaster,
    *,
    team: str | None = None,
    town: str | None = None,
    pending_only: bool = False,
    limit: int | None = None,
    offset: int = 0,
) -> list[PlanRow]:
    query = (
        select(SurveyPlanItem, Dwelling)
        .join(Dwelling, Dwelling.id == SurveyPlanItem.dwelling_id)
        .where(SurveyPlanItem.disaster_id == disaster.id)
    )
    if team is not None:
        query = query.where(SurveyPlanItem.team == team)
    if town:
        query = query.where(SurveyPlanItem.town == town)
    if pending_only:
        query = query.where(
            ~exists().where(
                Survey.disaster_id == disaster.id,
                Survey.dwelling_id == SurveyPlanItem.dwelling_id,
                Survey.superseded_by_id.is_(None),
            )
        )
    query = query.order_by(SurveyPlanItem.town, Dwelling.location, Dwelling.house_no, SurveyPlanItem.id)
    if offset:
        query = query.offset(offset)
    if limit is not None:
        query = query.limit(limit)
    rows = session.execute(query).all()
    surveys = current_surveys(session, disaster, [d.id for _, d in rows]) if rows else {}
    return [PlanRow(item, dwelling, surveys.get(dwelling.id)) for item, dwelling in rows]


def progress(session: Session, disaster: Disaster) -> dict[str, list[dict[str, Any]]]:
    """Planned and surveyed dwellings per team and per 町丁目."""
    surveyed = select(Survey.dwelling_id).where(Survey.disaster_id == disaster.id).distinct().scalar_subquery()

    def grouped(column) -> list[dict[str, Any]]:  # noqa: ANN001
        rows = session.execute(
            select(column, func.count(), func.sum(case((SurveyPlanItem.dwelling_id.in_(surveyed), 1), else_=0)))
            .where(SurveyPlanItem.disaster_id == disaster.id)
            .group_by(column)
            .order_by(column)
        ).all()
        return [{"name": name, "total": total, "surveyed": int(done or 0)} for name, total, done in rows]

    return {"teams": grouped(SurveyPlanItem.team), "towns": grouped(SurveyPlanItem.town)}


def survey_counts(session: Session, disaster: Disaster) -> dict[str, int]:
    """Dashboard figures: planned dwellings, surveyed dwellings, and current classes."""
    planned = session.execute(
        select(func.count()).select_from(SurveyPlanItem).where(SurveyPlanItem.disaster_id == disaster.id)
    ).scalar_one()
    by_class = dict(
        session.execute(
            select(Survey.damage_class, func.count())
            .where(Survey.disaster_id == disaster.id, Survey.superseded_by_id.is_(None))
            .group_by(Survey.damage_class)
        ).all()
    )
    return {"planned": planned, "surveyed": sum(by_class.values()), **{f"class_{k}": v for k, v in by_class.items()}}
