"""A demo province: agencies, units with heads, officers of every role and a catalogue of
procedures with realistic terms, fees and routes. Seeding is idempotent: what exists stays."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import time

from sqlalchemy.ext.asyncio import async_sessionmaker
from sqlmodel import SQLModel
from sqlmodel.ext.asyncio.session import AsyncSession

from api.security import hash_password
from db.models import Agency, Officer, ProcedureRecord, Unit
from db.repository import procedure_to_json
from domain.procedures import ComponentSpec, FeeItem, Procedure, RouteStep, SupplementPolicy

DEMO_PASSWORD = "motcua2026"
#: The shortest password `cli create-admin` accepts.
MIN_ADMIN_PASSWORD = 12

PROVINCE = "000.00.00.H29"
DONRE = "000.00.14.H29"  # Sở Tài nguyên và Môi trường
TAX = "000.00.22.H29"  # Cục Thuế tỉnh
DOC = "000.00.20.H29"  # Sở Xây dựng
WARD = "000.31.25.H29"  # UBND phường Bến Nghé

AGENCIES = [
    Agency(code=PROVINCE, name="Ủy ban nhân dân tỉnh", head_username="ct.tinh"),
    Agency(
        code=DONRE,
        name="Sở Tài nguyên và Môi trường",
        parent_code=PROVINCE,
        head_username="gd.tnmt",
    ),
    Agency(code=TAX, name="Cục Thuế tỉnh", parent_code=PROVINCE, head_username="ct.thue"),
    Agency(code=DOC, name="Sở Xây dựng", parent_code=PROVINCE, head_username="gd.sxd"),
    Agency(
        code=WARD,
        name="Ủy ban nhân dân phường Bến Nghé",
        parent_code=PROVINCE,
        head_username="ct.bennghe",
    ),
]

UNITS = [
    Unit(
        code="H29.00.VP", agency_code=PROVINCE, name="Văn phòng UBND tỉnh", head_username="cvp.tinh"
    ),
    Unit(
        code="H29.14.MC",
        agency_code=DONRE,
        name="Bộ phận Một cửa Sở TN&MT",
        head_username="tbp.mc.tnmt",
    ),
    Unit(
        code="H29.14.VPDK",
        agency_code=DONRE,
        name="Văn phòng Đăng ký đất đai",
        head_username="gd.vpdk",
    ),
    Unit(
        code="H29.14.QLDD", agency_code=DONRE, name="Phòng Quản lý đất đai", head_username="tp.qldd"
    ),
    Unit(
        code="H29.22.MC",
        agency_code=TAX,
        name="Bộ phận Một cửa Cục Thuế",
        head_username="tbp.mc.thue",
    ),
    Unit(
        code="H29.22.TB",
        agency_code=TAX,
        name="Phòng Kê khai và Kế toán thuế",
        head_username="tp.thue",
    ),
    Unit(
        code="H29.20.MC",
        agency_code=DOC,
        name="Bộ phận Một cửa Sở Xây dựng",
        head_username="tbp.mc.sxd",
    ),
    Unit(
        code="H29.20.CPXD", agency_code=DOC, name="Phòng Cấp phép xây dựng", head_username="tp.cpxd"
    ),
    Unit(
        code="H29.31.MC",
        agency_code=WARD,
        name="Bộ phận Một cửa phường Bến Nghé",
        head_username="tbp.mc.bennghe",
    ),
    Unit(
        code="H29.31.TP",
        agency_code=WARD,
        name="Công chức Tư pháp - Hộ tịch",
        head_username="pct.bennghe",
    ),
    Unit(
        code="H29.31.DC",
        agency_code=WARD,
        name="Công chức Địa chính - Xây dựng",
        head_username="pct.bennghe",
    ),
]


@dataclass(frozen=True)
class DemoOfficer:
    username: str
    full_name: str
    role: str
    agency: str | None
    unit: str | None
    title: str


OFFICERS = [
    DemoOfficer("admin", "Quản trị hệ thống", "admin", None, None, "Quản trị viên"),
    DemoOfficer(
        "ct.tinh", "Lê Văn Thành", "agency_head", PROVINCE, "H29.00.VP", "Chủ tịch UBND tỉnh"
    ),
    DemoOfficer("cvp.tinh", "Đỗ Thị Hà", "unit_head", PROVINCE, "H29.00.VP", "Chánh Văn phòng"),
    # Sở TN&MT
    DemoOfficer("gd.tnmt", "Nguyễn Văn Hùng", "agency_head", DONRE, "H29.14.QLDD", "Giám đốc Sở"),
    DemoOfficer(
        "tbp.mc.tnmt", "Phạm Thị Lan", "unit_head", DONRE, "H29.14.MC", "Trưởng bộ phận Một cửa"
    ),
    DemoOfficer("motcua.tnmt", "Trần Thị Mai", "clerk", DONRE, "H29.14.MC", "Công chức Một cửa"),
    DemoOfficer("gd.vpdk", "Võ Minh Quân", "unit_head", DONRE, "H29.14.VPDK", "Giám đốc VPĐKĐĐ"),
    DemoOfficer("cv.vpdk", "Hoàng Văn Nam", "officer", DONRE, "H29.14.VPDK", "Chuyên viên"),
    DemoOfficer("tp.qldd", "Bùi Thị Thu", "unit_head", DONRE, "H29.14.QLDD", "Trưởng phòng"),
    DemoOfficer("cv.qldd", "Đặng Quốc Bảo", "officer", DONRE, "H29.14.QLDD", "Chuyên viên"),
    # Cục Thuế
    DemoOfficer("ct.thue", "Ngô Đức Long", "agency_head", TAX, "H29.22.TB", "Cục trưởng"),
    DemoOfficer(
        "tbp.mc.thue", "Lý Thị Hoa", "unit_head", TAX, "H29.22.MC", "Trưởng bộ phận Một cửa"
    ),
    DemoOfficer("motcua.thue", "Trịnh Thu Trang", "clerk", TAX, "H29.22.MC", "Công chức Một cửa"),
    DemoOfficer("tp.thue", "Vũ Thị Ngọc", "unit_head", TAX, "H29.22.TB", "Trưởng phòng"),
    DemoOfficer("cv.thue", "Đinh Công Sơn", "officer", TAX, "H29.22.TB", "Chuyên viên"),
    # Sở Xây dựng
    DemoOfficer("gd.sxd", "Phan Văn Tài", "agency_head", DOC, "H29.20.CPXD", "Giám đốc Sở"),
    DemoOfficer(
        "tbp.mc.sxd", "Mai Thị Yến", "unit_head", DOC, "H29.20.MC", "Trưởng bộ phận Một cửa"
    ),
    DemoOfficer("motcua.sxd", "Tạ Thị Hạnh", "clerk", DOC, "H29.20.MC", "Công chức Một cửa"),
    DemoOfficer("tp.cpxd", "Châu Minh Trí", "unit_head", DOC, "H29.20.CPXD", "Trưởng phòng"),
    DemoOfficer("cv.cpxd", "Lâm Thị Kim", "officer", DOC, "H29.20.CPXD", "Chuyên viên"),
    # UBND phường Bến Nghé
    DemoOfficer(
        "ct.bennghe", "Huỳnh Văn Phúc", "agency_head", WARD, "H29.31.DC", "Chủ tịch UBND phường"
    ),
    DemoOfficer(
        "pct.bennghe", "Dương Thị Xuân", "unit_head", WARD, "H29.31.TP", "Phó Chủ tịch UBND phường"
    ),
    DemoOfficer(
        "tbp.mc.bennghe", "Kiều Văn Lộc", "unit_head", WARD, "H29.31.MC", "Trưởng bộ phận Một cửa"
    ),
    DemoOfficer(
        "motcua.bennghe", "Nguyễn Thị Hồng Nhung", "clerk", WARD, "H29.31.MC", "Công chức Một cửa"
    ),
    DemoOfficer(
        "cc.tuphap", "La Văn Khải", "officer", WARD, "H29.31.TP", "Công chức Tư pháp - Hộ tịch"
    ),
    DemoOfficer(
        "cc.diachinh", "Quách Thị Diệu", "officer", WARD, "H29.31.DC", "Công chức Địa chính"
    ),
]

_AGENCY_NAMES = {a.code: a.name for a in AGENCIES}
_UNITS = {u.code: u for u in UNITS}


def step(unit_code: str, days: float, task: str) -> RouteStep:
    unit = _UNITS[unit_code]
    return RouteStep(
        unit_code=unit.code,
        unit_name=unit.name,
        agency_code=unit.agency_code,
        agency_name=_AGENCY_NAMES[unit.agency_code],
        term_days=days,
        task=task,
    )


PROCEDURES = [
    Procedure(
        code="1.001193",
        name="Đăng ký khai sinh",
        agency_code=WARD,
        agency_name=_AGENCY_NAMES[WARD],
        term_days=0.5,
        steps=(step("H29.31.TP", 0.5, "Kiểm tra, ghi sổ hộ tịch và trình ký"),),
        components=(
            ComponentSpec("TK", "Tờ khai đăng ký khai sinh"),
            ComponentSpec("GCS", "Giấy chứng sinh"),
        ),
        receipt_cutoff=time(15, 0),
        waiting_limit_days=5,
        sector="Hộ tịch",
    ),
    Procedure(
        code="2.000815",
        name="Chứng thực bản sao từ bản chính giấy tờ, văn bản",
        agency_code=WARD,
        agency_name=_AGENCY_NAMES[WARD],
        term_days=0.5,
        steps=(step("H29.31.TP", 0.5, "Đối chiếu bản chính, chứng thực"),),
        components=(
            ComponentSpec("BC", "Bản chính giấy tờ, văn bản"),
            ComponentSpec("BS", "Bản sao cần chứng thực"),
        ),
        fees=(FeeItem("LP-CT", "Phí chứng thực bản sao (2.000 đồng/trang)", 10_000, "fee"),),
        receipt_cutoff=time(15, 0),
        waiting_limit_days=5,
        sector="Chứng thực",
    ),
    Procedure(
        code="1.004227",
        name="Đăng ký đất đai, tài sản gắn liền với đất, cấp Giấy chứng nhận lần đầu",
        agency_code=DONRE,
        agency_name=_AGENCY_NAMES[DONRE],
        term_days=20,
        steps=(
            step("H29.31.DC", 5, "Xác nhận hiện trạng, nguồn gốc sử dụng đất"),
            step("H29.14.VPDK", 7, "Kiểm tra hồ sơ, đo đạc, cập nhật cơ sở dữ liệu"),
            step("H29.22.TB", 5, "Xác định nghĩa vụ tài chính, ra thông báo thuế"),
            step("H29.14.QLDD", 3, "Trình ký, cấp Giấy chứng nhận"),
        ),
        components=(
            ComponentSpec("DDK", "Đơn đăng ký đất đai, tài sản gắn liền với đất (Mẫu 04/ĐK)"),
            ComponentSpec("NGD", "Giấy tờ về quyền sử dụng đất"),
            ComponentSpec("TKTS", "Tờ khai lệ phí trước bạ", required=False),
        ),
        fees=(FeeItem("LP-GCN", "Lệ phí cấp Giấy chứng nhận", 100_000, "charge"),),
        supplement_policy=SupplementPolicy.RESTART,
        waiting_limit_days=30,
        sector="Đất đai",
        lead_agency_code=DONRE,
    ),
    Procedure(
        code="1.003010",
        name="Đăng ký biến động quyền sử dụng đất do chuyển nhượng",
        agency_code=DONRE,
        agency_name=_AGENCY_NAMES[DONRE],
        term_days=10,
        steps=(
            step("H29.14.VPDK", 5, "Kiểm tra hồ sơ, chuyển thông tin địa chính"),
            step("H29.22.TB", 3, "Xác định thuế thu nhập cá nhân, lệ phí trước bạ"),
            step("H29.14.VPDK", 2, "Chỉnh lý Giấy chứng nhận"),
        ),
        components=(
            ComponentSpec("DBD", "Đơn đăng ký biến động (Mẫu 09/ĐK)"),
            ComponentSpec("HD", "Hợp đồng chuyển nhượng đã công chứng"),
            ComponentSpec("GCN", "Bản gốc Giấy chứng nhận đã cấp"),
        ),
        fees=(FeeItem("LP-BD", "Lệ phí đăng ký biến động", 50_000, "charge"),),
        supplement_policy=SupplementPolicy.PAUSE,
        waiting_limit_days=15,
        sector="Đất đai",
    ),
    Procedure(
        code="1.009972",
        name="Cấp giấy phép xây dựng nhà ở riêng lẻ",
        agency_code=DOC,
        agency_name=_AGENCY_NAMES[DOC],
        term_days=15,
        steps=(
            step("H29.20.CPXD", 12, "Thẩm định hồ sơ, kiểm tra thực địa"),
            step("H29.20.CPXD", 3, "Trình lãnh đạo Sở ký giấy phép"),
        ),
        components=(
            ComponentSpec("DON", "Đơn đề nghị cấp giấy phép xây dựng"),
            ComponentSpec("QSDD", "Giấy tờ chứng minh quyền sử dụng đất"),
            ComponentSpec("BV", "Bản vẽ thiết kế xây dựng"),
        ),
        fees=(FeeItem("LP-GPXD", "Lệ phí cấp giấy phép xây dựng", 75_000, "charge"),),
        waiting_limit_days=30,
        sector="Xây dựng",
    ),
    Procedure(
        code="1.007357",
        name="Khai lệ phí trước bạ nhà, đất",
        agency_code=TAX,
        agency_name=_AGENCY_NAMES[TAX],
        term_days=3,
        steps=(step("H29.22.TB", 3, "Tính và thông báo lệ phí trước bạ"),),
        components=(ComponentSpec("TK01", "Tờ khai lệ phí trước bạ (Mẫu 01/LPTB)"),),
        waiting_limit_days=10,
        sector="Thuế",
    ),
]


async def seed_catalogue(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Insert the org chart and the catalogue of procedures where missing (no accounts).
    Returns True if anything was added."""
    added = False
    async with sessions() as session, session.begin():
        for agency in AGENCIES:
            added |= await _add_missing(session, Agency, agency.code, agency.model_copy())
        await session.flush()
        for unit in UNITS:
            added |= await _add_missing(session, Unit, unit.code, unit.model_copy())
        await session.flush()
        for procedure in PROCEDURES:
            record = ProcedureRecord(
                code=procedure.code,
                name=procedure.name,
                agency_code=procedure.agency_code,
                term_days=procedure.term_days,
                definition=procedure_to_json(procedure.validate()),
            )
            added |= await _add_missing(session, ProcedureRecord, procedure.code, record)
    return added


async def seed_demo_officers(sessions: async_sessionmaker[AsyncSession]) -> bool:
    """Insert the demo officers, `admin` included, all with the published `DEMO_PASSWORD`.
    For a development stack only (`make run`, `cli seed --demo`): never in production."""
    added = False
    password_hash = hash_password(DEMO_PASSWORD)
    async with sessions() as session, session.begin():
        for o in OFFICERS:
            officer = Officer(
                username=o.username,
                full_name=o.full_name,
                title=o.title,
                email=f"{o.username}@example.gov.vn",
                role=o.role,
                agency_code=o.agency,
                unit_code=o.unit,
                password_hash=password_hash,
            )
            added |= await _add_missing(session, Officer, o.username, officer)
    return added


async def seed(sessions: async_sessionmaker[AsyncSession], *, demo: bool = False) -> bool:
    """The catalogue and org chart, plus the demo officers when `demo` is set."""
    added = await seed_catalogue(sessions)
    if demo:
        added |= await seed_demo_officers(sessions)
    return added


async def create_admin(
    sessions: async_sessionmaker[AsyncSession], *, username: str, password: str, full_name: str
) -> None:
    """Add a system administrator, or reset an existing officer's password and make them one.
    Raises ValueError when the password is too short to be a real one."""
    if len(password) < MIN_ADMIN_PASSWORD:
        raise ValueError(f"the password must have at least {MIN_ADMIN_PASSWORD} characters")
    password_hash = hash_password(password)
    async with sessions() as session, session.begin():
        officer = await session.get(Officer, username)
        if officer is None:
            session.add(
                Officer(
                    username=username,
                    full_name=full_name,
                    title="Quản trị viên",
                    role="admin",
                    password_hash=password_hash,
                )
            )
        else:
            officer.password_hash = password_hash
            officer.role = "admin"
            officer.active = True
            session.add(officer)


async def _add_missing(
    session: AsyncSession, model: type[SQLModel], key: str, row: SQLModel
) -> bool:
    if await session.get(model, key) is not None:
        return False
    session.add(row)
    return True
