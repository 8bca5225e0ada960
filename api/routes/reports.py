"""Reporting (báo cáo): the Decision 766 indicators against the province's targets with their
drill-down, the dossier register (sổ theo dõi hồ sơ), the month's late list with who made the
dossiers late (Directive 15) and its public version, and the targets an admin keeps."""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable
from dataclasses import asdict
from datetime import UTC, date, datetime
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Path, Query, Response
from pydantic import BaseModel, Field
from sqlmodel import col, select

from api import reports
from api.deps import CurrentOfficer, SessionDep
from api.errors import Problem
from db.models import Agency, Dossier, IndicatorTarget
from db.targets import target_of, targets
from domain.clock import format_local
from domain.indicators import Dimension, Metric, Scorecard, compute_indicators, group_by
from domain.outcomes import AgencyLevel, OutcomeRecord
from domain.period import Period, months_to
from domain.publications import LateList, MonthlyReport, late_entries, late_in, responsible_for
from domain.targets import Assessment, Forecast, assess, forecast
from reports import late_list_csv, register_xlsx, render_late_list, render_monthly_report
from reports.charts import on_time_trend_png

router = APIRouter(tags=["reports"])
Format = Literal["json", "csv"]
LateFormat = Literal["json", "csv", "pdf"]


class PeriodQuery(BaseModel):
    month: str | None = Field(default=None, max_length=7, description="2026-11")
    quarter: str | None = Field(default=None, max_length=7, description="2026-Q4")
    year: int | None = Field(default=None, ge=2000, le=2100)
    from_: date | None = Field(default=None, alias="from")
    to: date | None = None

    def period(self) -> Period:
        return reports.period_of(
            month=self.month, quarter=self.quarter, year=self.year, from_=self.from_, to=self.to
        )


PeriodDep = Annotated[PeriodQuery, Query()]


MEDIA = {
    "csv": "text/csv; charset=utf-8",
    "pdf": "application/pdf",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


def _file(content: str | bytes, filename: str) -> Response:
    """A download named `filename`: PDFs open in the browser, tables are saved. CSV text gets
    a byte-order mark so that spreadsheet programs read the Vietnamese text as UTF-8."""
    kind = filename.rsplit(".", 1)[-1]
    if isinstance(content, str):
        content = "\ufeff" + content
    how = "inline" if kind == "pdf" else "attachment"
    return Response(
        content,
        media_type=MEDIA[kind],
        headers={"Content-Disposition": f'{how}; filename="{filename}"'},
    )


def _csv(rows: Iterable[dict[str, Any]], columns: list[str], filename: str) -> Response:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=columns, extrasaction="ignore")
    writer.writeheader()
    writer.writerows(rows)
    return _file(out.getvalue(), filename)


def _period_out(period: Period) -> dict[str, Any]:
    return {"label": period.label, "start": period.start, "end": period.end}


def _metric_out(metric: Metric) -> dict[str, Any]:
    return {
        "code": metric.code,
        "name": metric.name,
        "name_en": metric.name_en,
        "group": metric.group.value,
        "numerator": metric.numerator,
        "denominator": metric.denominator,
        "ratio": metric.ratio,
        "score": metric.score,
        "max_score": metric.max_score,
        "full_score_ratio": metric.full_score_ratio,
    }


def _assessment_out(a: Assessment) -> dict[str, Any]:
    return {
        "indicator": a.indicator,
        "name": a.name,
        "target": a.minimum,
        "level": a.target.level.value if a.target.level else None,
        "sector": a.target.sector,
        "source": a.target.source,
        "ratio": a.ratio,
        "numerator": a.numerator,
        "denominator": a.denominator,
        "met": a.met,
        "gap": a.gap,
        "more_needed": a.more_needed,
    }


def _forecast_out(f: Forecast, minimum: float | None) -> dict[str, Any]:
    return {
        "now": f.now,
        "ended": f.ended,
        "ended_on_time": f.ended_on_time,
        "open_safe": f.open_safe,
        "ratio_if_all_late": f.ratio_if_all_late,
        "ratio_if_all_on_time": f.ratio_if_all_on_time,
        "late_allowed": f.late_allowed(minimum) if minimum is not None else None,
        "deciding": list(f.deciding),
        "lost": list(f.lost),
        "at_risk": [asdict(r) for r in f.at_risk],
    }


def _scorecard_out(card: Scorecard) -> dict[str, Any]:
    return {
        "metrics": [_metric_out(m) for m in card.metrics],
        "total_score": card.total_score,
        "max_total": card.max_total,
        "counts": asdict(card.counts),
    }


async def _level(session: SessionDep, level: AgencyLevel | None, agency: str | None) -> AgencyLevel:
    if level is not None:
        return level
    if agency is not None:
        row = await session.get(Agency, agency)
        if row is not None:
            return AgencyLevel(row.level)
    return AgencyLevel.DEPARTMENT


@router.get("/reports/indicators")
async def indicators(
    officer: CurrentOfficer,
    session: SessionDep,
    when: PeriodDep,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    level: AgencyLevel | None = None,
    sector: Annotated[str | None, Query(alias="field", max_length=200)] = None,
    procedure: Annotated[str | None, Query(max_length=60)] = None,
    unit: Annotated[str | None, Query(max_length=60)] = None,
    officer_username: Annotated[str | None, Query(alias="officer", max_length=60)] = None,
    group: Annotated[str | None, Query(alias="group_by", max_length=20)] = None,
    metric: Annotated[str | None, Query(max_length=10)] = None,
    members: Annotated[Literal["numerator", "denominator"], Query(alias="list")] = "denominator",
    format: Format = "json",
) -> Any:
    """The national scorecard's indicators for the period, against the targets; drill down
    with `group_by` (agency, unit, officer, procedure, sector, level) and list the dossiers
    behind one `metric`'s numerator or denominator."""
    period = when.period()
    scope = await reports.agency_scope(session, officer, agency)
    narrow = reports.RecordFilter(level, sector, procedure, officer_username, unit)
    records, _ = await reports.records_in(session, period, scope, narrow)
    card = compute_indicators(records, period)
    key = reports.group_key(group)
    the_level = await _level(session, level, agency or officer.agency_code)
    kept = await targets(session)
    now = datetime.now(UTC)
    groups = []
    if key is not None:
        for value, members_of in group_by(records, key).items():
            part = compute_indicators(members_of, period)
            in_sector = value if key.value == "sector" else sector
            groups.append(
                {
                    "key": value,
                    **_scorecard_out(part),
                    "targets": [
                        _assessment_out(a) for a in assess(part, kept, the_level, in_sector)
                    ],
                }
            )
    if format == "csv":
        # `breakdown`: the drill-down's group ("" for the whole scope)
        rows = [{**_metric_out(m), "breakdown": ""} for m in card.metrics]
        for g in groups:
            rows += [{**m, "breakdown": g["key"]} for m in g["metrics"]]
        columns = ["breakdown", "code", "name", "numerator", "denominator", "ratio", "score"]
        return _csv(rows, [*columns, "max_score"], f"indicators-{period.label}.csv")
    assessments = assess(card, kept, the_level, sector)
    on_time = next((a.minimum for a in assessments if a.indicator == "2.1"), None)
    answer: dict[str, Any] = {
        "period": _period_out(period),
        "scope": sorted(scope) if scope is not None else None,
        "level": the_level.value,
        **_scorecard_out(card),
        "targets": [_assessment_out(a) for a in assessments],
        "forecast": (
            _forecast_out(forecast(records, period, now), on_time) if now in period else None
        ),
        "groups": groups,
    }
    if metric is not None:
        try:
            chosen = card.metric(metric)
        except KeyError:
            raise Problem(404, f"there is no indicator {metric!r}") from None
        codes = chosen.numerator_codes if members == "numerator" else chosen.denominator_codes
        answer["dossiers"] = {"metric": metric, "list": members, "codes": list(codes)}
    return answer


def _local(moment: datetime | None) -> str:
    return format_local(moment) if moment else ""


#: The register's columns (Form 06 of Circular 01/2018, Form 07 of Circular 03/2025).
REGISTER_COLUMNS = [
    ("stt", "STT"),
    ("code", "Mã hồ sơ"),
    ("procedure", "Tên thủ tục hành chính"),
    ("copies", "Số lượng hồ sơ (bộ)"),
    ("applicant", "Tên cá nhân, tổ chức"),
    ("address", "Địa chỉ, số điện thoại"),
    ("lead_agency", "Cơ quan chủ trì giải quyết"),
    ("received_at", "Nhận hồ sơ (ngày, giờ)"),
    ("due_at", "Hẹn trả kết quả"),
    ("forwarded_at", "Chuyển hồ sơ đến cơ quan giải quyết"),
    ("resolved_at", "Nhận kết quả từ cơ quan giải quyết"),
    ("returned_at", "Trả kết quả cho cá nhân, tổ chức"),
    ("verdict", "Đánh giá tiến độ"),
    ("note", "Ghi chú"),
]


def _register_rows(records: list[OutcomeRecord], rows: dict[str, Dossier], period: Period):  # type: ignore[no-untyped-def]
    received = [r for r in records if r.received_at is not None and r.received_at in period]
    received.sort(key=lambda r: (r.received_at, r.code))
    for i, r in enumerate(received, start=1):
        row = rows[r.code]
        notes = []
        if r.apologised:
            notes.append("đã xin lỗi, hẹn lại ngày trả")
        if r.supplement_rounds:
            notes.append(f"bổ sung {r.supplement_rounds} lần")
        if r.status in ("withdrawn", "stopped", "refused"):
            notes.append(
                {"withdrawn": "rút hồ sơ", "stopped": "dừng xử lý"}.get(r.status, "từ chối")
            )
        yield {
            "stt": i,
            "code": r.code,
            "procedure": r.procedure_name,
            "copies": 1,
            "applicant": row.applicant_name,
            "address": ", ".join(x for x in (row.applicant_address, row.applicant_phone) if x),
            "lead_agency": r.agency_name,
            "received_at": _local(r.received_at),
            "due_at": _local(r.original_due_at),
            "forwarded_at": "",
            "resolved_at": _local(r.ended_at) if r.ended_at and r.status != "refused" else "",
            "returned_at": _local(row.returned_at),
            "verdict": r.verdict.vietnamese,
            "note": "; ".join(notes),
        }


async def _register(
    session: SessionDep, officer: CurrentOfficer, period: Period, agency: str | None
) -> list[dict[str, Any]]:
    scope = await reports.agency_scope(session, officer, agency)
    records, rows = await reports.records_in(session, period, scope)
    forwarded = await reports.first_forwarded(session, [r.code for r in records])
    lines = []
    for line in _register_rows(records, rows, period):
        line["forwarded_at"] = _local(forwarded.get(line["code"]))
        lines.append(line)
    return lines


@router.get("/reports/register.csv")
async def register(
    officer: CurrentOfficer,
    session: SessionDep,
    when: PeriodDep,
    agency: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The dossier register (sổ theo dõi hồ sơ): one row per dossier received in the period,
    with the form's columns."""
    period = when.period()
    lines = await _register(session, officer, period, agency)
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow([title for _, title in REGISTER_COLUMNS])
    writer.writerows([[line[key] for key, _ in REGISTER_COLUMNS] for line in lines])
    return _file(out.getvalue(), f"so-theo-doi-{period.label}.csv")


@router.get("/reports/register.xlsx")
async def register_spreadsheet(
    officer: CurrentOfficer,
    session: SessionDep,
    when: PeriodDep,
    agency: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The dossier register as a spreadsheet."""
    period = when.period()
    lines = await _register(session, officer, period, agency)
    return _file(register_xlsx(lines, REGISTER_COLUMNS), f"so-theo-doi-{period.label}.xlsx")


async def _late_list(
    session: SessionDep, period: Period, scope: set[str] | None, *, public: bool
) -> LateList:
    records, rows = await reports.records_in(session, period, scope)
    in_month = late_in(records, period)
    names = None if public else {code: row.applicant_name for code, row in rows.items()}
    agency_names = sorted({r.agency_name for r in in_month}) if scope is not None else []
    return LateList(
        title="Danh sách hồ sơ trễ hạn",
        agency_name=", ".join(agency_names) if agency_names else "Toàn tỉnh",
        period=period,
        generated_at=datetime.now(UTC),
        entries=late_entries(in_month, applicant_names=names),
        public=public,
    )


def _late_rows(late: LateList) -> list[dict[str, Any]]:
    rows = []
    for e in late.entries:
        row = {
            "code": e.code,
            "procedure_code": e.procedure_code,
            "procedure_name": e.procedure_name,
            "sector": e.sector,
            "agency_code": e.agency_code,
            "agency_name": e.agency_name,
            "received_at": e.received_at,
            "due_at": e.due_at,
            "ended_at": e.ended_at,
            "status": e.status,
            "verdict": e.verdict.value,
            "late_hours": e.late_hours,
            "late_days": round(e.late_days, 2),
            "apologised": e.apologised,
            "responsible": [asdict(a) for a in e.responsible],
        }
        if not late.public:
            row["applicant_name"] = e.applicant_name
        rows.append(row)
    return rows


def _late_answer(late: LateList, format: LateFormat, filename: str) -> Any:
    rows = _late_rows(late)
    if format == "csv":
        return _file(late_list_csv(late), f"{filename}.csv")
    if format == "pdf":
        return _file(render_late_list(late), f"{filename}.pdf")
    return {
        "title": late.title,
        "agency": late.agency_name,
        "period": _period_out(late.period),
        "generated_at": late.generated_at,
        "public": late.public,
        "total": len(rows),
        "items": rows,
        # Directive 15: the officials and units who caused the delays
        "responsible": [asdict(r) for r in responsible_for(late.entries)],
    }


@router.get("/reports/late")
async def late(
    officer: CurrentOfficer,
    session: SessionDep,
    when: PeriodDep,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    format: LateFormat = "json",
) -> Any:
    """The period's late dossiers with the units, agencies and officers whose steps overran
    (Directive 15): JSON, CSV or a PDF fit to publish."""
    period = when.period()
    scope = await reports.agency_scope(session, officer, agency)
    listed = await _late_list(session, period, scope, public=False)
    return _late_answer(listed, format, f"tre-han-{period.label}")


@router.get("/public/reports/late")
async def public_late(
    session: SessionDep,
    when: PeriodDep,
    agency: Annotated[str | None, Query(max_length=40)] = None,
    format: LateFormat = "json",
) -> Any:
    """The published list of late dossiers: no applicant's name or any personal data, only
    the dossier, its procedure and who was responsible."""
    period = when.period()
    if agency is not None and await session.get(Agency, agency) is None:
        raise Problem(404, f"there is no agency {agency!r}")
    scope = None
    if agency is not None:
        scope = await reports.children_of(session, agency)
    listed = await _late_list(session, period, scope, public=True)
    return _late_answer(listed, format, f"tre-han-{period.label}")


# --------------------------------------------------------------------------- targets


class TargetIn(BaseModel):
    indicator: str = Field(min_length=1, max_length=10)
    minimum: float = Field(ge=0, le=1, description="the minimum ratio, 0.995 for 99.5 %")
    level: AgencyLevel | None = None
    sector: str | None = Field(default=None, max_length=200)
    valid_from: date | None = None
    valid_to: date | None = None
    source: str = Field(default="", max_length=500)


class TargetOut(TargetIn):
    id: int


def _admin(officer: CurrentOfficer) -> None:
    if officer.role != "admin":
        raise Problem(403, "only a system administrator sets the province's targets")


def _checked(body: TargetIn) -> TargetIn:
    from domain.scorecard import DEFAULT_SCORING

    if body.indicator not in DEFAULT_SCORING.codes:
        known = ", ".join(DEFAULT_SCORING.codes)
        raise Problem(422, f"indicator {body.indicator!r} is not one of {known}")
    if body.valid_from and body.valid_to and body.valid_to <= body.valid_from:
        raise Problem(422, "valid_to must be after valid_from")
    return body


def _target_out(row: IndicatorTarget) -> TargetOut:
    assert row.id is not None
    target_of(row)  # a row that does not make a target is not shown as one
    return TargetOut(
        id=row.id,
        indicator=row.indicator,
        minimum=row.minimum,
        level=AgencyLevel(row.level) if row.level else None,
        sector=row.sector,
        valid_from=row.valid_from,
        valid_to=row.valid_to,
        source=row.source,
    )


@router.get("/admin/targets", response_model=list[TargetOut])
async def list_targets(officer: CurrentOfficer, session: SessionDep) -> list[TargetOut]:
    """The province's targets per indicator, agency level, field and period."""
    rows = await session.scalars(select(IndicatorTarget).order_by(col(IndicatorTarget.id)))
    return [_target_out(r) for r in rows]


@router.post("/admin/targets", response_model=TargetOut, status_code=201)
async def add_target(body: TargetIn, officer: CurrentOfficer, session: SessionDep) -> TargetOut:
    _admin(officer)
    row = IndicatorTarget(**_checked(body).model_dump(mode="python"))
    row.level = body.level.value if body.level else None
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return _target_out(row)


@router.put("/admin/targets/{target_id}", response_model=TargetOut)
async def change_target(
    target_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    body: TargetIn,
    officer: CurrentOfficer,
    session: SessionDep,
) -> TargetOut:
    _admin(officer)
    row = await session.get(IndicatorTarget, target_id)
    if row is None:
        raise Problem(404, f"there is no target {target_id}")
    for name, value in _checked(body).model_dump(mode="python").items():
        setattr(row, name, value)
    row.level = body.level.value if body.level else None
    session.add(row)
    await session.commit()
    await session.refresh(row)
    return _target_out(row)


@router.delete("/admin/targets/{target_id}", status_code=204)
async def remove_target(
    target_id: Annotated[int, Path(ge=1, le=2**31 - 1)],
    officer: CurrentOfficer,
    session: SessionDep,
) -> Response:
    _admin(officer)
    row = await session.get(IndicatorTarget, target_id)
    if row is None:
        raise Problem(404, f"there is no target {target_id}")
    await session.delete(row)
    await session.commit()
    return Response(status_code=204)


# --------------------------------------------------------------------------- the monthly report


async def _year_to(
    session: SessionDep, period: Period, scope: set[str] | None
) -> tuple[list[OutcomeRecord], tuple[tuple[str, float | None], ...]]:
    """The records of the twelve months ending with `period`, and the on-time rate (2.1) of
    each month, oldest first."""
    months = months_to(period, 12)
    records, _ = await reports.records_in(session, Period(months[0].start, period.end), scope)
    trend = tuple((m.label, compute_indicators(records, m).metric("2.1").ratio) for m in months)
    return records, trend


@router.get("/reports/monthly.pdf")
async def monthly_report(
    officer: CurrentOfficer,
    session: SessionDep,
    month: Annotated[str | None, Query(max_length=7, description="2026-11")] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """An agency's monthly report: its scorecard against the targets, the on-time rate by
    month over a year, the agencies ranked, and the late list."""
    period = reports.period_of(month=month)
    agency = agency or officer.agency_code
    scope = await reports.agency_scope(session, officer, agency)
    row = await session.get(Agency, agency) if agency else None
    level = AgencyLevel(row.level) if row is not None else AgencyLevel.PROVINCE
    records, trend = await _year_to(session, period, scope)
    card = compute_indicators(records, period)
    everyone, _ = await reports.records_in(session, period, None)
    ranking = sorted(
        (
            (members[0].agency_name, part.metric("2.1").ratio, part.metric("2.1").denominator)
            for members, part in (
                (members, compute_indicators(members, period))
                for members in group_by(everyone, Dimension.AGENCY).values()
            )
        ),
        key=lambda r: (-(r[1] if r[1] is not None else -1), r[0]),
    )
    now = datetime.now(UTC)
    report = MonthlyReport(
        agency_code=agency or "",
        agency_name=row.name if row is not None else "Toàn tỉnh",
        level=level.value,
        period=period,
        generated_at=now,
        scorecard=card,
        assessments=tuple(assess(card, await targets(session), level)),
        late=await _late_list(session, period, scope, public=False),
        forecast=forecast(records, period, now) if now in period else None,
        trend=trend,
        ranking=tuple(ranking),
    )
    return _file(render_monthly_report(report), f"bao-cao-{period.label}.pdf")


@router.get("/reports/on-time.png")
async def on_time_chart(
    officer: CurrentOfficer,
    session: SessionDep,
    month: Annotated[str | None, Query(max_length=7, description="2026-11")] = None,
    agency: Annotated[str | None, Query(max_length=40)] = None,
) -> Response:
    """The on-time rate (2.1) by month over the year to `month`, with the strictest target
    in force drawn across it: the chart of the monthly report, on its own."""
    period = reports.period_of(month=month)
    scope = await reports.agency_scope(session, officer, agency)
    level = await _level(session, None, agency)
    records, trend = await _year_to(session, period, scope)
    card = compute_indicators(records, period)
    minimums = [
        a.minimum for a in assess(card, await targets(session), level) if a.indicator == "2.1"
    ]
    return Response(
        on_time_trend_png(trend, max(minimums) if minimums else None), media_type="image/png"
    )
