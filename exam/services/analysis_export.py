"""An item analysis as an .xlsx workbook: 概况 (with the score distribution and its chart), 试卷, 试题 (with the
p–D chart) and 选项, the same figures the page shows."""
from __future__ import annotations

from typing import Any, BinaryIO

from exam.services.item_analysis import FLAG_LABELS
from question_bank import QuestionType
from question_bank.cells import looks_like_formula

# openpyxl (and the numpy it loads) is imported by the functions that write: a fifth of a second at start-up otherwise


def _put(ws: Any, row: int, col: int, value: Any) -> None:
    from openpyxl.cell.cell import ILLEGAL_CHARACTERS_RE

    if isinstance(value, str):
        value = ILLEGAL_CHARACTERS_RE.sub("", value)
    cell = ws.cell(row=row, column=col, value=value)
    if isinstance(value, str) and looks_like_formula(value):
        cell.data_type, cell.quotePrefix = "s", True  # a name typed as "=…" stays text


def _table(ws: Any, first_row: int, header: list[str], rows: list[list[Any]]) -> None:
    from openpyxl.styles import Font, PatternFill

    bold, fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    for c, h in enumerate(header, start=1):
        _put(ws, first_row, c, h)
        ws.cell(row=first_row, column=c).font = bold
        ws.cell(row=first_row, column=c).fill = fill
    for r, values in enumerate(rows, start=first_row + 1):
        for c, v in enumerate(values, start=1):
            _put(ws, r, c, v)


def _flags(names: list[str]) -> str:
    return "、".join(FLAG_LABELS.get(n, n) for n in names)


def write_analysis_xlsx(report: dict[str, Any], title: str, target: BinaryIO) -> None:
    from openpyxl import Workbook
    from openpyxl.chart import BarChart, Reference, ScatterChart, Series

    wb = Workbook()
    ws = wb.active
    ws.title = "概况"
    s = report["settings"]
    _table(ws, 1, ["项目", "数值"], [
        ["范围", title], ["作答人次", report["attempts"]], ["平均分", report["mean"]], ["标准差", report["sd"]],
        ["合格率", report["pass_rate"]], ["合格线", report["pass_mark"]], ["满分", report["total_points"]],
        ["计算时间", report.get("computed_at", "")],
        ["阈值: 通过率 p 低于", s["min_p"]], ["阈值: 通过率 p 高于", s["max_p"]],
        ["阈值: 区分度 D 低于", s["min_discrimination"]], ["阈值: 信度 α 低于", s["min_alpha"]],
        ["判定所需最少作答数", s["min_responses"]], ["干扰项无人选: 选择率低于", s["unused_distractor_rate"]]])
    edges, counts = report["histogram"]["edges"], report["histogram"]["counts"]
    first = 18
    _table(ws, first, ["分数段", "人数"], [[f"{edges[i]:g}–{edges[i + 1]:g}", c] for i, c in enumerate(counts)])
    chart = BarChart()
    chart.title, chart.y_axis.title, chart.x_axis.title = "成绩分布", "人数", "分数"
    chart.add_data(Reference(ws, min_col=2, min_row=first, max_row=first + len(counts)), titles_from_data=True)
    chart.set_categories(Reference(ws, min_col=1, min_row=first + 1, max_row=first + len(counts)))
    chart.legend = None
    ws.add_chart(chart, "D2")
    ws.column_dimensions["A"].width = 26

    forms = wb.create_sheet("试卷")
    _table(forms, 1, ["试卷", "人次", "题数", "平均分", "标准差", "信度", "信度系数", "测量标准误", "合格率", "标记"],
           [[f["label"], f["attempts"], f["items"], f["mean"], f["sd"], f["alpha_kind"], f["alpha"], f["sem"],
             f["pass_rate"], _flags(f["flags"])] for f in report["forms"]])
    forms.column_dimensions["A"].width = 24

    items = wb.create_sheet("试题")
    _table(items, 1, ["编号", "版本", "题型", "知识领域", "分值", "作答数", "通过率 p", "平均得分", "得分标准差",
                      "校正题总相关 r", "区分度 D", "高分组 p", "低分组 p", "未作答", "标记"],
           [[i["key"], i["version"], QuestionType(i["type"]).label, i["area"], i["points"], i["responses"], i["p"],
             i["mean_score"], i["sd"], i["r_corrected"], i["d_index"], i["p_upper"], i["p_lower"], i["unanswered"],
             _flags(i["flags"])] for i in report["items"]])
    with_d = [n for n, i in enumerate(report["items"], start=2) if i["d_index"] is not None]
    if with_d:
        scatter = ScatterChart()
        scatter.title, scatter.x_axis.title, scatter.y_axis.title = "难度与区分度", "通过率 p", "区分度 D"
        scatter.style = 13
        series = Series(Reference(items, min_col=11, min_row=2, max_row=len(report["items"]) + 1),
                        Reference(items, min_col=7, min_row=2, max_row=len(report["items"]) + 1), title="试题")
        series.marker.symbol, series.graphicalProperties.line.noFill = "circle", True
        scatter.series.append(series)
        scatter.legend = None
        items.add_chart(scatter, "Q2")

    options = wb.create_sheet("选项")
    _table(options, 1, ["编号", "版本", "选项", "是否答案", "全体选择率", "高分组选择率", "低分组选择率"],
           [[i["key"], i["version"], o["label"], "是" if o["key"] else "", o["rate"], o["upper"], o["lower"]]
            for i in report["items"] for o in i["options"]])
    wb.save(target)
