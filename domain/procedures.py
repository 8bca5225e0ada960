"""Procedure definitions (thủ tục hành chính): term, route of steps, fees, components and the
supplement policy. A procedure is plain data; a dossier keeps the snapshot it was submitted
under, so editing the catalogue never changes a running dossier."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import time
from enum import StrEnum

HALF_DAY = 0.5


class SupplementPolicy(StrEnum):
    """What the clock does when a supplement request is answered."""

    RESTART = "restart"  # Decree 61 Art. 19.4: the term starts again from zero
    PAUSE = "pause"  # the clock stops while the applicant holds the dossier


#: Who may approve a proposed result ("" : the result is resolved when proposed).
APPROVER_ROLES = ("", "unit_head", "agency_head")


class ProcedureError(ValueError):
    """A procedure definition that cannot be used."""


@dataclass(frozen=True)
class RouteStep:
    """One step of the route (bước xử lý), owned by a unit of an agency, with its share of the
    term in working days."""

    unit_code: str
    unit_name: str
    agency_code: str
    agency_name: str
    term_days: float
    task: str = ""
    #: Steps with the same non-zero stage number, next to each other in the route, run at the
    #: same time (liên thông song song), each with its own share; 0: a stage of its own.
    stage: int = 0


@dataclass(frozen=True)
class FeeItem:
    """A fee (phí) or charge (lệ phí) due at submission, in VND."""

    code: str
    name: str
    amount: int
    kind: str = "fee"


@dataclass(frozen=True)
class ComponentSpec:
    """A component (thành phần hồ sơ) the applicant hands in."""

    code: str
    name: str
    required: bool = True


@dataclass(frozen=True)
class Procedure:
    code: str
    name: str
    agency_code: str
    agency_name: str
    term_days: float
    steps: tuple[RouteStep, ...]
    components: tuple[ComponentSpec, ...] = ()
    fees: tuple[FeeItem, ...] = ()
    supplement_policy: SupplementPolicy = SupplementPolicy.RESTART
    receipt_cutoff: time | None = None
    waiting_limit_days: float = 30.0
    sector: str = ""
    lead_agency_code: str = field(default="")
    #: How many working days before the due moment an apology (Form 04) may last be issued.
    apology_before_days: float = 1.0
    #: The published version a dossier is pinned to (1 for the catalogue as first seeded).
    version: int = 1
    #: The national procedure code (MaTTHC) when it differs from `code`.
    national_code: str = ""
    #: Parallel stages joined before all their branches answered: stage number → how many
    #: answers move the dossier on (the rest are closed as not needed). Absent: all of them.
    stage_quorum: dict[int, int] = field(default_factory=dict)

    #: Who approves a result an officer proposes before it is resolved: "unit_head" (the
    #: head, or acting head, of the step's unit) or "agency_head"; "" resolves at once (the
    #: rule of definitions stored before approval existed, and of their dossiers' histories).
    approver_role: str = ""

    @property
    def stages(self) -> tuple[tuple[int, ...], ...]:
        """The route as stages: the indices of the steps of each stage, in order (a
        sequential route is one step a stage)."""
        stages: list[list[int]] = []
        for i, step in enumerate(self.steps):
            previous = self.steps[i - 1].stage if i else None
            if stages and step.stage and step.stage == previous:
                stages[-1].append(i)
            else:
                stages.append([i])
        return tuple(tuple(stage) for stage in stages)

    def stage_of(self, index: int) -> int:
        """The position (0-based) of the stage step `index` belongs to."""
        return next(n for n, stage in enumerate(self.stages) if index in stage)

    def quorum(self, position: int) -> int:
        """How many branches of the stage at `position` must answer before it is joined."""
        stage = self.stages[position]
        number = self.steps[stage[0]].stage
        return self.stage_quorum.get(number, len(stage)) if number else 1

    @property
    def lead_agency(self) -> str:
        """The lead agency (cơ quan chủ trì), which owns the dossier's total term."""
        return self.lead_agency_code or self.agency_code

    @property
    def portal_code(self) -> str:
        """MaTTHC, as the national portal knows the procedure."""
        return self.national_code or self.code

    @property
    def inter_agency(self) -> bool:
        return len({step.agency_code for step in self.steps}) > 1

    @property
    def fee_total(self) -> int:
        return sum(fee.amount for fee in self.fees)

    def validate(self) -> Procedure:
        """Return self if the definition is usable, else raise `ProcedureError`."""
        if not self.steps:
            raise ProcedureError(f"procedure {self.code} has no route steps")
        if self.term_days <= 0 or (self.term_days / HALF_DAY) % 1:
            raise ProcedureError(
                f"procedure {self.code}: term {self.term_days} is not a positive number of "
                "half working days"
            )
        self._validate_stages()
        stages = self.stages
        shares = sum(max(self.steps[i].term_days for i in stage) for stage in stages)
        if abs(shares - self.term_days) > 1e-9:
            what = "steps'" if len(stages) == len(self.steps) else "stages' (longest branch)"
            raise ProcedureError(
                f"procedure {self.code}: the {what} shares add up to {shares} working days, "
                f"the term is {self.term_days}"
            )
        for step in self.steps:
            if step.term_days <= 0 or (step.term_days / HALF_DAY) % 1:
                raise ProcedureError(
                    f"procedure {self.code}: step of {step.unit_code} has share "
                    f"{step.term_days}, not a positive number of half days"
                )
        for fee in self.fees:
            if fee.amount <= 0:
                raise ProcedureError(f"procedure {self.code}: fee {fee.code} must be positive")
        codes = [c.code for c in self.components]
        if len(codes) != len(set(codes)):
            raise ProcedureError(f"procedure {self.code}: duplicate component codes")
        if self.waiting_limit_days <= 0:
            raise ProcedureError(f"procedure {self.code}: waiting limit must be positive")
        if self.approver_role not in APPROVER_ROLES:
            raise ProcedureError(
                f"procedure {self.code}: the approver is 'unit_head', 'agency_head' or '' (none), "
                f"not '{self.approver_role}'"
            )
        return self

    def _validate_stages(self) -> None:
        """Parallel stages: contiguous, one branch per unit, a quorum they can reach, the
        result decided by one unit, the lead agency on the route."""
        stages = self.stages
        numbers = [self.steps[stage[0]].stage for stage in stages if self.steps[stage[0]].stage]
        if len(numbers) != len(set(numbers)):
            raise ProcedureError(
                f"procedure {self.code}: the steps of a parallel stage must follow each other "
                "in the route (a stage number appears in two places)"
            )
        for stage in stages:
            units = [self.steps[i].unit_code for i in stage]
            if len(units) != len(set(units)):
                raise ProcedureError(
                    f"procedure {self.code}: stage {self.steps[stage[0]].stage} has two "
                    "branches of the same unit; each agency unit answers once per stage"
                )
        sizes = {self.steps[s[0]].stage: len(s) for s in stages if self.steps[s[0]].stage}
        for number, quorum in self.stage_quorum.items():
            if number not in sizes or sizes[number] < 2:
                raise ProcedureError(
                    f"procedure {self.code}: quorum given for stage {number}, which is not a "
                    "parallel stage of the route"
                )
            if not 1 <= quorum <= sizes[number]:
                raise ProcedureError(
                    f"procedure {self.code}: stage {number} has {sizes[number]} branches; its "
                    f"quorum must be from 1 to {sizes[number]}, not {quorum}"
                )
        if len(stages[-1]) > 1:
            raise ProcedureError(
                f"procedure {self.code}: the last stage decides the result and must be a "
                "single step (of the lead agency), not a parallel consultation"
            )
        agencies = {step.agency_code for step in self.steps}
        if self.lead_agency_code and self.lead_agency_code not in agencies:
            raise ProcedureError(
                f"procedure {self.code}: the lead agency {self.lead_agency_code} has no step "
                "on the route"
            )
