"""The Decision 766 scoring rules as data (bộ chỉ số 766): which indicators exist, their group,
maximum points, the ratio that earns full points, how a ratio becomes points, and where each
number comes from. `domain.indicators` computes ratios; this table turns them into points.

Every number here is a table row with its source and a confidence mark as in
`reference/scorecard-and-2025-rules.md`: [C] confirmed from a primary text, [S] secondary
(summaries, third-party reconstructions), [U] unconfirmed. A deployment that learns the
official appendix replaces `DEFAULT_SCORING`, not code."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from fractions import Fraction


class Confidence(StrEnum):
    CONFIRMED = "C"
    SECONDARY = "S"
    UNCONFIRMED = "U"


class IndicatorGroup(StrEnum):
    """The scorecard's groups as the national dashboard splits them (six, total 100)."""

    TRANSPARENCY = "transparency"  # công khai, minh bạch
    PROGRESS = "progress"  # tiến độ, kết quả giải quyết
    ONLINE_SERVICES = "online_services"  # cung cấp dịch vụ trực tuyến
    ONLINE_PAYMENT = "online_payment"  # thanh toán trực tuyến
    DIGITIZATION = "digitization"  # số hóa hồ sơ
    SATISFACTION = "satisfaction"  # mức độ hài lòng


class ScoringRule(StrEnum):
    """How a ratio becomes points."""

    #: full points at the threshold, else ratio × max ÷ threshold (the portal's rule) [S]
    PROPORTIONAL_TO_THRESHOLD = "proportional_to_threshold"
    #: full points at the threshold, else none (one province's simplified scoring) [C, as code]
    ALL_OR_NOTHING = "all_or_nothing"


@dataclass(frozen=True)
class IndicatorDefinition:
    """One row of the scoring table. `full_score_ratio` is the ratio at which the portal gives
    full points; `basis` says in words which dossiers the ratio is taken over."""

    code: str
    name_vi: str
    name_en: str
    group: IndicatorGroup
    max_score: float
    full_score_ratio: float
    rule: ScoringRule
    source: str
    confidence: Confidence
    basis: str = ""

    def __post_init__(self) -> None:
        if not 0 < self.full_score_ratio <= 1:
            raise ValueError(f"{self.code}: full_score_ratio must be in (0, 1]")
        if self.max_score < 0:
            raise ValueError(f"{self.code}: max_score must not be negative")

    def score(self, numerator: int, denominator: int) -> float | None:
        """The points a numerator over a denominator earns; None when there is nothing to
        score (denominator 0), which the portal shows as "no data" rather than zero."""
        if denominator == 0:
            return None
        ratio = Fraction(numerator, denominator)
        threshold = exact(self.full_score_ratio)
        if ratio >= threshold:
            return self.max_score
        if self.rule is ScoringRule.ALL_OR_NOTHING:
            return 0.0
        return float(ratio * Fraction(self.max_score) / threshold)


@dataclass(frozen=True)
class SatisfactionRule:
    """Which rating counts as satisfied (hài lòng). The national form rates 1..5; "satisfied"
    is taken as 4 or 5 (hài lòng, rất hài lòng) — [U]: the portal's own 5.4 is computed as
    100 % − (late rate + complaint rate), not from ratings, so this is the province's reading."""

    satisfied_at_least: int = 4
    scale_max: int = 5
    source: str = (
        "Rating form 1..5; 4 (hài lòng) and 5 (rất hài lòng) counted satisfied: local reading"
    )
    confidence: Confidence = Confidence.UNCONFIRMED

    def satisfied(self, rating: int) -> bool:
        return rating >= self.satisfied_at_least


@dataclass(frozen=True)
class Scoring:
    """The whole scoring table: indicator rows, group maxima and the satisfaction rule."""

    indicators: tuple[IndicatorDefinition, ...]
    group_max: tuple[tuple[IndicatorGroup, float], ...]
    satisfaction: SatisfactionRule = SatisfactionRule()

    def definition(self, code: str) -> IndicatorDefinition:
        for row in self.indicators:
            if row.code == code:
                return row
        raise KeyError(code)

    @property
    def codes(self) -> tuple[str, ...]:
        return tuple(row.code for row in self.indicators)


def exact(ratio: float) -> Fraction:
    """A ratio written in decimal (0.995) as the exact fraction it names (199/200), so that
    995 of 1000 meets a 0.995 target regardless of binary floating point."""
    return Fraction(repr(ratio))


_PORTAL_FORMULAS = "DVCQG formula description (formula-document.js), vn-rules-research §4"
_DASHBOARD_MAXIMA = "National dashboard group maxima, scorecard-and-2025-rules §1"
_LOCAL_SCORING = "One province's implementation of 766 (SoLieuThongKeDonViTheoKy), §4"

SYNCED = "1.4"
ON_TIME = "2.1"
ONLINE_SUBMISSION = "3.3"
ONLINE_PAYMENT = "3.6"
ELECTRONIC_RESULT = "4.1"
DIGITIZED = "4.2"
REUSED = "4.3"
SATISFACTION = "5.4"
#: Feedback and petitions (phản ánh, kiến nghị); the portal's numbering of these rows is not
#: known here [U]: codes of our own, in the satisfaction group.
FEEDBACK_ON_TIME = "5.5"
COMPLAINT_SATISFACTION = "5.6"

DEFAULT_SCORING = Scoring(
    indicators=(
        IndicatorDefinition(
            code=SYNCED,
            name_vi="Tỷ lệ hồ sơ đồng bộ lên Cổng Dịch vụ công quốc gia",
            name_en="Dossiers synced to the national portal",
            group=IndicatorGroup.TRANSPARENCY,
            max_score=6,
            full_score_ratio=1.0,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source=f"{_DASHBOARD_MAXIMA} (6 points); threshold 100 %: {_PORTAL_FORMULAS}",
            confidence=Confidence.SECONDARY,
            basis="received in the period",
        ),
        IndicatorDefinition(
            code=ON_TIME,
            name_vi="Tỷ lệ hồ sơ giải quyết đúng hạn",
            name_en="Dossiers handled on time",
            group=IndicatorGroup.PROGRESS,
            max_score=20,
            full_score_ratio=1.0,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source=f"{_DASHBOARD_MAXIMA} (progress 20); ratio × 20: {_LOCAL_SCORING}",
            confidence=Confidence.SECONDARY,
            basis="finished in the period, or in progress at its end",
        ),
        IndicatorDefinition(
            code=ONLINE_SUBMISSION,
            name_vi="Tỷ lệ hồ sơ nộp trực tuyến",
            name_en="Dossiers submitted online",
            group=IndicatorGroup.ONLINE_SERVICES,
            max_score=6,
            full_score_ratio=0.5,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source=f"Threshold 50 %: {_PORTAL_FORMULAS}; 6 of 12 points: {_LOCAL_SCORING}",
            confidence=Confidence.SECONDARY,
            basis="received in the period",
        ),
        IndicatorDefinition(
            code=ONLINE_PAYMENT,
            name_vi="Tỷ lệ hồ sơ thanh toán trực tuyến",
            name_en="Fee-bearing dossiers paid online",
            group=IndicatorGroup.ONLINE_PAYMENT,
            max_score=6,
            full_score_ratio=0.3,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source=f"6 of 10 points: {_DASHBOARD_MAXIMA}; threshold 30 %: {_LOCAL_SCORING}",
            confidence=Confidence.UNCONFIRMED,
            basis="fee-bearing, received in the period",
        ),
        IndicatorDefinition(
            code=ELECTRONIC_RESULT,
            name_vi="Tỷ lệ hồ sơ có kết quả điện tử",
            name_en="Results issued electronically",
            group=IndicatorGroup.DIGITIZATION,
            max_score=6,
            full_score_ratio=1.0,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source=f"6 points: {_DASHBOARD_MAXIMA}; 6 × rate: {_LOCAL_SCORING}",
            confidence=Confidence.UNCONFIRMED,
            basis="resolved in the period, of procedures returning a document",
        ),
        IndicatorDefinition(
            code=DIGITIZED,
            name_vi="Tỷ lệ số hóa hồ sơ",
            name_en="Dossiers digitized",
            group=IndicatorGroup.DIGITIZATION,
            max_score=4,
            full_score_ratio=0.8,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source=f"4 points: {_DASHBOARD_MAXIMA}; threshold 80 %: {_PORTAL_FORMULAS}",
            confidence=Confidence.SECONDARY,
            basis="resolved in the period",
        ),
        IndicatorDefinition(
            code=REUSED,
            name_vi="Tỷ lệ khai thác, sử dụng lại dữ liệu số hóa",
            name_en="Digitized data reused",
            group=IndicatorGroup.DIGITIZATION,
            max_score=2,
            full_score_ratio=0.8,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source=f"2 points: {_DASHBOARD_MAXIMA}; threshold 80 %: {_PORTAL_FORMULAS}",
            confidence=Confidence.SECONDARY,
            basis="received in the period",
        ),
        IndicatorDefinition(
            code=SATISFACTION,
            name_vi="Mức độ hài lòng trong tiếp nhận, giải quyết TTHC",
            name_en="Applicants satisfied",
            group=IndicatorGroup.SATISFACTION,
            max_score=6,
            full_score_ratio=0.9,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source=(
                f"6 points, threshold 90 %: {_PORTAL_FORMULAS}; computed from ratings, "
                "where the portal uses 100 % − (late rate + complaint rate)"
            ),
            confidence=Confidence.UNCONFIRMED,
            basis="rated, and ended in the period",
        ),
        IndicatorDefinition(
            code=FEEDBACK_ON_TIME,
            name_vi="Tỷ lệ phản ánh, kiến nghị được xử lý đúng hạn",
            name_en="Feedback and petitions handled on time",
            group=IndicatorGroup.SATISFACTION,
            max_score=2,
            full_score_ratio=1.0,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source=(
                "Per-dossier indicator 8 (PAKN handled: 2 if 100 % on time), "
                "vn-rules-research §2; HCMC Plan 3372 target 100 %, scorecard-and-2025-rules §2"
            ),
            confidence=Confidence.UNCONFIRMED,
            basis="answered in the period, or overdue and unanswered at its end",
        ),
        IndicatorDefinition(
            code=COMPLAINT_SATISFACTION,
            name_vi="Mức độ hài lòng với việc trả lời phản ánh, kiến nghị",
            name_en="Applicants satisfied with the answer to their feedback",
            group=IndicatorGroup.SATISFACTION,
            max_score=2,
            full_score_ratio=0.95,
            rule=ScoringRule.PROPORTIONAL_TO_THRESHOLD,
            source="Satisfaction target 95 %: scorecard-and-2025-rules §2 (HCMC); points: local",
            confidence=Confidence.UNCONFIRMED,
            basis="answered in the period and judged by the applicant",
        ),
    ),
    group_max=(
        (IndicatorGroup.TRANSPARENCY, 18),
        (IndicatorGroup.PROGRESS, 20),
        (IndicatorGroup.ONLINE_SERVICES, 12),
        (IndicatorGroup.ONLINE_PAYMENT, 10),
        (IndicatorGroup.DIGITIZATION, 22),
        (IndicatorGroup.SATISFACTION, 18),
    ),
)
