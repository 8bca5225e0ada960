from datetime import date

import pytest

from db.seed import PROCEDURES
from domain.codes import InvalidDossierCode, format_dossier_code, parse_dossier_code, workflow_id
from domain.procedures import ComponentSpec, Procedure, ProcedureError, RouteStep


def test_dossier_code_format() -> None:
    code = format_dossier_code("000.00.31.H29", date(2026, 11, 22), 7)
    assert code == "000.00.31.H29-261122-0007"
    assert parse_dossier_code(code) == ("000.00.31.H29", date(2026, 11, 22), 7)
    assert workflow_id(code) == "dossier-000.00.31.H29-261122-0007"


@pytest.mark.parametrize("sequence", [0, 10_000, -1])
def test_dossier_code_sequence_range(sequence: int) -> None:
    with pytest.raises(InvalidDossierCode):
        format_dossier_code("000.00.31.H29", date(2026, 11, 22), sequence)


@pytest.mark.parametrize("bad", ["", "000.00.31.H29-261322-0001", "x-1-2", "A/B-261122-0001"])
def test_parse_rejects_malformed_codes(bad: str) -> None:
    with pytest.raises(InvalidDossierCode):
        parse_dossier_code(bad)


def _procedure(**overrides) -> Procedure:  # type: ignore[no-untyped-def]
    base = dict(
        code="P1",
        name="Thủ tục",
        agency_code="A",
        agency_name="Cơ quan A",
        term_days=3,
        steps=(
            RouteStep("U1", "Phòng 1", "A", "Cơ quan A", 2),
            RouteStep("U2", "Phòng 2", "B", "B", 1),
        ),
    )
    base.update(overrides)
    return Procedure(**base)  # type: ignore[arg-type]


def test_valid_procedure_and_inter_agency_flag() -> None:
    procedure = _procedure().validate()
    assert procedure.inter_agency


@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"steps": ()}, "no route steps"),
        ({"term_days": 4}, "add up to 3"),
        ({"term_days": 0.3}, "half working days"),
        ({"components": (ComponentSpec("X", "x"), ComponentSpec("X", "y"))}, "duplicate"),
        ({"waiting_limit_days": 0}, "waiting limit"),
    ],
)
def test_invalid_procedures_are_refused(overrides: dict, message: str) -> None:  # type: ignore[type-arg]
    with pytest.raises(ProcedureError, match=message):
        _procedure(**overrides).validate()


def test_demo_catalogue_is_valid_and_covers_the_required_shapes() -> None:
    for procedure in PROCEDURES:
        procedure.validate()
    assert len(PROCEDURES) >= 5
    assert any(len({s.agency_code for s in p.steps}) >= 3 for p in PROCEDURES)
    assert any(p.term_days == 0.5 for p in PROCEDURES)
