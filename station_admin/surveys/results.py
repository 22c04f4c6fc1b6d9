"""A survey version's results: per question the counts and shares, cross-tabs by worker group and by
district, suppressed as every report is (station_admin.core.privacy), a chart, and the CSV and .xlsx
exports made from the very tables the page shows.

The two cross-tabs of a question share their row totals, so they are suppressed together
(`suppress_linked`): a count hidden in one is hidden in the other. A share is shown only when its
count is and at least MIN_CELL respondents answered the question. Free texts are listed only for the
survey's owner scope (builder.reads_free_text).
"""

from __future__ import annotations

import io
import statistics
from dataclasses import dataclass, field

from station_admin.core.models import District
from station_admin.core.privacy import HIDDEN, MIN_CELL, SuppressedTable, suppress, suppress_linked
from station_admin.core.protect import DataProtector
from station_admin.members.models import WORKER_GROUPS
from station_admin.reports import charts
from station_admin.reports.exports import csv_text, safe_cell
from station_admin.surveys.models import RATINGS, QuestionSpec, SurveyAnswer, SurveyResponse, SurveyVersion

EXPORT_HEADER = ["version", "question_id", "question", "answer", "breakdown", "breakdown_value", "count", "share"]


@dataclass
class QuestionResult:
    """What the page and the exports show for one question."""

    question: QuestionSpec
    answered: int | str  # respondents who answered it, as shown
    labels: list[str] = field(default_factory=list)  # rows: choices or ratings
    by_group: SuppressedTable | None = None
    by_district: SuppressedTable | None = None
    shares: list[str] = field(default_factory=list)
    chart: object | None = None
    mean: str = ""
    median: str = ""
    texts: list[str] | None = None  # None: not readable by this user


@dataclass
class Results:
    version: SurveyVersion
    respondents: int | str
    group_names: list[str]
    district_names: list[str]
    questions: list[QuestionResult]
    lang: str = "zh"


def _shown(n: int) -> int | str:
    return HIDDEN if 0 < n < MIN_CELL else n


def _share(count: int | str, answered: int) -> str:
    if isinstance(count, str) or answered < MIN_CELL:
        return "—"
    return f"{round(100 * count / answered)}%"


def version_results(version: SurveyVersion, lang: str, translate, protector: DataProtector | None) -> Results:
    """Every question's figures for one version; free texts decrypted only when `protector` is given."""
    responses = list(SurveyResponse.select(SurveyResponse.id, SurveyResponse.worker_group, SurveyResponse.district)
                     .where(SurveyResponse.version == version.id))
    group_of = {r.id: r.worker_group for r in responses}
    district_of = {r.id: r.district_id for r in responses}
    groups = [g for g in WORKER_GROUPS if g in set(group_of.values())]
    district_rows = {d.id: d for d in District.select().where(District.id.in_(set(district_of.values()) or {0}))
                     .order_by(District.code)}
    district_ids = list(district_rows)
    answers: dict[str, list] = {}
    for a in SurveyAnswer.select().where(SurveyAnswer.response.in_(list(group_of) or [0])):
        answers.setdefault(a.question, []).append(a)
    out = []
    for q in version.questions:
        rows = answers.get(q.question_id, [])
        answered = len({a.response_id for a in rows})
        result = QuestionResult(q, _shown(answered))
        if q.kind in ("single", "multiple", "rating"):
            keys = [c[0] for c in q.choices] if q.kind != "rating" else [str(r) for r in RATINGS]
            result.labels = [q.choice_text(k, lang) for k in keys] if q.kind != "rating" else ["★" * r for r in RATINGS]
            index = {k: i for i, k in enumerate(keys)}
            by_g = [[0] * len(groups) for _ in keys]
            by_d = [[0] * len(district_ids) for _ in keys]
            for a in rows:
                key = a.choice if q.kind != "rating" else str(a.number)
                if key not in index:
                    continue
                by_g[index[key]][groups.index(group_of[a.response_id])] += 1
                by_d[index[key]][district_ids.index(district_of[a.response_id])] += 1
            result.by_group, result.by_district = _linked(keys, groups, district_ids, by_g, by_d)
            result.shares = [_share(result.by_group.row_total(r), answered) for r in range(len(keys))]
            totals = [result.by_group.row_total(r) for r in range(len(keys))]
            result.chart = charts.category_chart(result.labels, totals)
        elif q.kind == "number":
            numbers = [a.number for a in rows]
            by_g = [[sum(1 for a in rows if group_of[a.response_id] == g) for g in groups]]
            by_d = [[sum(1 for a in rows if district_of[a.response_id] == d) for d in district_ids]]
            result.labels = [translate("surveys.results.answered")]
            result.by_group, result.by_district = _linked(["answered"], groups, district_ids, by_g, by_d)
            if len(numbers) >= MIN_CELL:
                result.mean = f"{statistics.fmean(numbers):.1f}"
                result.median = f"{statistics.median(numbers):g}"
        else:
            result.texts = sorted(protector.decrypt(a.text_enc) for a in rows) if protector else None
        out.append(result)
    names = [lang_name(district_rows[d], lang) for d in district_ids]
    return Results(version, _shown(len(responses)), [translate(f"surveys.groups.{g}") for g in groups], names, out,
                   lang)


def _linked(keys, groups, districts, by_g, by_d) -> tuple[SuppressedTable, SuppressedTable]:
    """The two cross-tabs of one question, suppressed together (they show the same row totals)."""
    n = len(keys)
    links = [[(0, r, len(groups)), (1, r, len(districts))] for r in range(n + 1)]
    if not groups:  # no respondents: two empty tables
        return suppress(keys, groups, by_g), suppress(keys, districts, by_d)
    first, second = suppress_linked([(keys, groups, by_g), (keys, districts, by_d)], links)
    return first, second


def lang_name(thing, lang: str) -> str:
    return thing.name_zh if lang == "zh" else thing.name_en


def export_rows(results: Results, translate) -> list[list]:
    """The results as rows of the export (docs/data-dictionary.md, "Survey results"), exactly as shown."""
    rows = []
    number = results.version.number
    rows.append([number, "", translate("surveys.results.respondents"), "", "all", "", results.respondents, ""])
    for qr in results.questions:
        q = qr.question
        text = q.text(results.lang)
        rows.append([number, q.question_id, text, translate("surveys.results.answered"), "all", "", qr.answered, ""])
        if qr.by_group is None:
            continue
        for r, label in enumerate(qr.labels):
            share = qr.shares[r] if qr.shares else ""
            rows.append([number, q.question_id, text, label, "all", "", qr.by_group.row_total(r), share])
            for c, name in enumerate(results.group_names):
                rows.append([number, q.question_id, text, label, "worker_group", name, qr.by_group.cell(r, c), ""])
            for c, name in enumerate(results.district_names):
                rows.append([number, q.question_id, text, label, "district", name, qr.by_district.cell(r, c), ""])
        if qr.mean:
            rows.append([number, q.question_id, text, translate("surveys.results.mean"), "all", "", qr.mean, ""])
            rows.append([number, q.question_id, text, translate("surveys.results.median"), "all", "", qr.median, ""])
    return rows


def export_csv(results: Results, translate) -> bytes:
    """The results as CSV (UTF-8 with BOM, formula-safe cells)."""
    return csv_text(EXPORT_HEADER, export_rows(results, translate)).encode("utf-8")


def export_xlsx(results: Results, translate) -> bytes:
    """The results as an .xlsx workbook: the same rows as the CSV, and the free texts for the owner."""
    from openpyxl import Workbook

    book = Workbook()
    sheet = book.active
    sheet.title = "results"
    sheet.append(EXPORT_HEADER)
    for row in export_rows(results, translate):
        sheet.append([safe_cell(v) for v in row])
    texts = [(qr.question.question_id, t) for qr in results.questions if qr.texts for t in qr.texts]
    if texts:
        free = book.create_sheet("free_text")
        free.append(["question_id", "text"])
        for qid, text in texts:
            free.append([qid, safe_cell(text)])
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
