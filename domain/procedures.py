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
    #: Who approves a result an officer proposes before it is resolved: "unit_head" (the
    #: head, or acting head, of the step's unit) or "agency_head"; "" resolves at once (the
    #: rule of definitions stored before approval existed, and of their dossiers' histories).
    approver_role: str = ""

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
        shares = sum(step.term_days for step in self.steps)
        if abs(shares - self.term_days) > 1e-9:
            raise ProcedureError(
                f"procedure {self.code}: the steps' shares add up to {shares} working days, "
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
