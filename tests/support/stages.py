"""A procedure with a parallel consultation of three agencies (liên thông song song) on the
seeded org chart, and the officers who work it: used by the workflow, API and replay tests."""

from __future__ import annotations

from dataclasses import replace

from db.seed import DOC, DONRE, PROCEDURES, TAX, WARD, step
from domain.dossier import Actor, Role

LAND = next(p for p in PROCEDURES if p.code == "1.004227")

#: QLDD checks the dossier (1 day); the tax office, the construction department and the ward
#: are consulted at once (3 days each); VPDK decides (2 days). The term: 1 + 3 + 2 = 6 days.
PARALLEL = replace(
    LAND,
    code="LT.PARALLEL",
    name="Thủ tục liên thông lấy ý kiến song song",
    term_days=6,
    steps=(
        step("H29.14.QLDD", 1, "Kiểm tra hồ sơ, gửi lấy ý kiến"),
        replace(step("H29.22.TB", 3, "Ý kiến về nghĩa vụ tài chính"), stage=2),
        replace(step("H29.20.CPXD", 3, "Ý kiến về quy hoạch xây dựng"), stage=2),
        replace(step("H29.31.DC", 3, "Ý kiến về hiện trạng sử dụng đất"), stage=2),
        step("H29.14.VPDK", 2, "Tổng hợp ý kiến, quyết định"),
    ),
    fees=(),
    lead_agency_code=DONRE,
).validate()

CLERK = Actor("motcua.tnmt", "Trần Thị Mai", Role.CLERK, DONRE, "H29.14.MC")
QLDD = Actor("cv.qldd", "Đặng Quốc Bảo", Role.OFFICER, DONRE, "H29.14.QLDD")
TAX_OFFICER = Actor("cv.thue", "Đinh Công Sơn", Role.OFFICER, TAX, "H29.22.TB")
DOC_OFFICER = Actor("cv.cpxd", "Lâm Thị Kim", Role.OFFICER, DOC, "H29.20.CPXD")
WARD_OFFICER = Actor("cc.diachinh", "Quách Thị Diệu", Role.OFFICER, WARD, "H29.31.DC")
VPDK = Actor("cv.vpdk", "Hoàng Văn Nam", Role.OFFICER, DONRE, "H29.14.VPDK")
#: the ward's branch belongs to the ward's land unit, whose head is the vice-chairwoman
WARD_UNIT_HEAD = "pct.bennghe"
