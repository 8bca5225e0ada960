"""The statutory forms of one dossier, filled from the read model: which form applies when,
and what it prints (the dossier, its steps, its timeline, its components, the names)."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from urllib.parse import urlencode

from db.models import Component, Dossier, DossierStep, Officer, TimelineEntry
from domain.forms import (
    ApologyForm,
    CopyKind,
    FormComponent,
    FormData,
    FormDossier,
    FormStep,
    ProcessingControlForm,
    RefusalForm,
    StatutoryForm,
    SupplementRequestForm,
)
from domain.lifecycle import Action, Status

#: The applicant's look-up page (console/applicant.py), under the public base URL.
LOOKUP_PATH = "/tra-cuu"


def lookup_url(public_base_url: str, code: str) -> str:
    """The address a receipt's QR code opens: the look-up page with the code filled in (the
    secret stays on paper, out of addresses and logs)."""
    return f"{public_base_url.rstrip('/')}{LOOKUP_PATH}?{urlencode({'code': code})}"


CHANNEL_LABELS = {1: "Trực tiếp", 2: "Trực tuyến", 3: "Qua dịch vụ bưu chính công ích"}


class FormNotApplicable(Exception):
    """The dossier has not reached the point where the form is issued (→ 409)."""


@dataclass(frozen=True)
class DossierRecord:
    """Everything the read model holds about a dossier that a form may print."""

    dossier: Dossier
    procedure_name: str
    agency_name: str
    term_days: float
    steps: Sequence[DossierStep]
    timeline: Sequence[TimelineEntry]
    components: Sequence[Component]
    officers: Mapping[str, Officer]
    #: the public base URL the receipt's look-up address starts with ("" prints none)
    public_base_url: str = ""

    def latest(self, action: Action) -> TimelineEntry | None:
        entries = [t for t in self.timeline if t.action == action.value]
        return entries[-1] if entries else None

    def name_of(self, username: str) -> str:
        officer = self.officers.get(username)
        return officer.full_name if officer else username


def _utc(moment: datetime | None) -> datetime | None:
    if moment is None:
        return None
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _days(term: float) -> str:
    return f"{term:g} ngày làm việc".replace(".", ",")


def _copy_kind(dossier: Dossier, component: Component) -> CopyKind:
    if dossier.channel == 2 or component.reused:
        return CopyKind.ELECTRONIC
    return CopyKind.ORIGINAL


def form_dossier(record: DossierRecord) -> FormDossier:
    """The facts every form repeats. The appointment is the one first promised; Form 04
    prints the new one separately."""
    row = record.dossier
    accepted = record.latest(Action.ACCEPT)
    received = _utc(row.received_at) or _utc(row.submitted_at)
    assert received is not None
    return FormDossier(
        code=row.code,
        procedure_name=record.procedure_name,
        agency_name=record.agency_name,
        applicant_name=row.applicant_name,
        applicant_address=row.applicant_address,
        applicant_phone=row.applicant_phone,
        applicant_email=row.applicant_email,
        channel_label=CHANNEL_LABELS.get(row.channel, str(row.channel)),
        received_at=received,
        due=_utc(row.original_due_at or row.due_at),
        components=[
            FormComponent(c.name, 1, _copy_kind(row, c))
            for c in record.components
            if c.provided or c.digitized
        ],
        term_label=_days(record.term_days),
        delivery_label=f"Bộ phận Tiếp nhận và Trả kết quả - {record.agency_name}",
        clerk_name=accepted.actor_name if accepted else "",
        lookup_secret=row.lookup_secret or "",
        lookup_url=lookup_url(record.public_base_url, row.code) if record.public_base_url else "",
    )


def _require_received(record: DossierRecord, form: StatutoryForm) -> None:
    if record.dossier.received_at is None:
        status = Status(record.dossier.status)
        raise FormNotApplicable(
            f"Form {form.value:02d} ({form.title.capitalize()}) is issued once the dossier is "
            f"accepted; dossier {record.dossier.code} is {status.value} ({status.vietnamese})"
        )


def _receipt(record: DossierRecord, now: datetime) -> FormData:
    _require_received(record, StatutoryForm.RECEIPT)
    return form_dossier(record)


def _supplement_request(record: DossierRecord, now: datetime) -> FormData:
    entry = record.latest(Action.REQUEST_SUPPLEMENT)
    if entry is None:
        raise FormNotApplicable(
            f"Form 02 (supplement request) applies once a supplement is requested; "
            f"none was requested for dossier {record.dossier.code}"
        )
    # the timeline note is "<reason>: <item>; <item>…" (DossierState.apply)
    reason, _, items = entry.note.partition(": ")
    listed = [item.strip() for item in items.split("; ") if item.strip()] or [entry.note]
    return SupplementRequestForm(
        dossier=form_dossier(record),
        items=listed,
        reason=reason,
        issued_at=_utc(entry.at) or now,
        officer_name=entry.actor_name,
        contact_label=f"Bộ phận Tiếp nhận và Trả kết quả - {record.agency_name}",
    )


def _refusal(record: DossierRecord, now: datetime) -> FormData:
    row = record.dossier
    if row.status == Status.REFUSED.value:
        entry = record.latest(Action.REFUSE)
        assert entry is not None
        return RefusalForm(
            dossier=form_dossier(record),
            reasons=[entry.note or "Hồ sơ không đủ điều kiện tiếp nhận"],
            issued_at=_utc(entry.at) or now,
            officer_name=entry.actor_name,
        )
    if row.result_kind == "refusal":
        entry = record.latest(Action.RESOLVE)
        return RefusalForm(
            dossier=form_dossier(record),
            reasons=[row.result_summary or (entry.note if entry else "")],
            issued_at=_utc(row.finished_at) or now,
            officer_name=entry.actor_name if entry else "",
        )
    status = Status(row.status)
    raise FormNotApplicable(
        f"Form 03 (refusal) applies only to a refused dossier; dossier {row.code} is "
        f"{status.value} ({status.vietnamese})"
        + (f" with result {row.result_kind}" if row.result_kind else "")
    )


def _apology(record: DossierRecord, now: datetime) -> FormData:
    row = record.dossier
    entry = record.latest(Action.APOLOGIZE)
    if not row.apologised or entry is None or row.due_at is None:
        raise FormNotApplicable(
            f"Form 04 (apology and new appointment) applies once the agency has apologised "
            f"for a late dossier; dossier {row.code} has no apology"
        )
    signer = record.officers.get(entry.actor)
    return ApologyForm(
        dossier=form_dossier(record),
        reason=entry.note,
        new_due=_utc(row.due_at),  # type: ignore[arg-type]
        issued_at=_utc(entry.at) or now,
        signer_name=entry.actor_name,
        signer_title=(signer.title.upper() if signer and signer.title else "THỦ TRƯỞNG CƠ QUAN"),
    )


def form_step(record: DossierRecord, step: DossierStep, now: datetime) -> FormStep:
    started, finished, due = _utc(step.started_at), _utc(step.finished_at), _utc(step.due_at)
    on_time: bool | None = None
    if due is not None and finished is not None:
        on_time = finished <= due
    elif due is not None and started is not None and now > due:
        on_time = False  # still running and already late
    return FormStep(
        unit_name=step.unit_name,
        agency_name=step.agency_name,
        time_limit_label=_days(step.term_days),
        started_at=started,
        finished_at=finished,
        on_time=on_time,
        officer=record.name_of(step.handled_by) if step.handled_by else "",
    )


def _processing_control(record: DossierRecord, now: datetime) -> FormData:
    _require_received(record, StatutoryForm.PROCESSING_CONTROL)
    return ProcessingControlForm(
        dossier=form_dossier(record),
        steps=[form_step(record, s, now) for s in record.steps],
        issued_at=_utc(record.dossier.received_at),
    )


_BUILDERS = {
    StatutoryForm.RECEIPT: _receipt,
    StatutoryForm.SUPPLEMENT_REQUEST: _supplement_request,
    StatutoryForm.REFUSAL: _refusal,
    StatutoryForm.APOLOGY: _apology,
    StatutoryForm.PROCESSING_CONTROL: _processing_control,
}


def form_data(form: StatutoryForm, record: DossierRecord, now: datetime) -> FormData:
    """What form `form` prints for the dossier, or FormNotApplicable saying why not yet."""
    return _BUILDERS[form](record, now)
