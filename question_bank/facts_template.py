"""The Excel template HR fills in for the eligibility facts upload: the header, an example row and a 说明 sheet."""
from __future__ import annotations

import io
from datetime import date
from typing import Any, BinaryIO

from question_bank.facts_sheet import HELP_SHEET, SHEET, TEMPLATE_COLUMNS

_WIDTHS = {"工号": 14, "姓名": 10, "单位": 14, "上岗日期": 13, "中断起止": 46, "实习考核合格日期": 17,
           "培训完成日期": 14}
_DATE_COLUMNS = ("上岗日期", "实习考核合格日期", "培训完成日期")
#: the example row (replace it with real trainees before uploading)
EXAMPLE: dict[str, Any] = {
    "工号": "GZ000123", "姓名": "张三", "单位": "CT-GD-GZ", "上岗日期": date(2019, 9, 1),
    "中断起止": "2021-03-01~2021-09-01; 2023-01-01~2023-02-01", "实习考核合格日期": date(2019, 12, 1),
    "四级学时": 40, "三级学时": 48, "二级学时": None, "一级学时": None, "培训完成日期": date(2024, 6, 30),
}
_HELP_ROWS: tuple[tuple[str, str, str, str], ...] = (
    ("工号", "是", "员工编号, 用来找到平台上已有的学员。也可用一列“用户名”(平台登录名) 代替。同一工号只能出现一次。",
     "GZ000123"),
    ("姓名", "否", "填写时须与平台登记的姓名一致, 用来防止串行; 不一致时整个文件不导入。", "张三"),
    ("单位", "否", "单位代码或单位名称, 须是平台上已有的单位。", "CT-GD-GZ 或 广州分公司"),
    ("上岗日期", "否", "本职业上岗日期, 不能晚于今天。", "2019-09-01"),
    ("中断起止", "否", "离开本岗位的期间: 开始日期~复岗日期 (复岗日期为回到本岗位的第一天), 多段用 ; 分隔。"
     "填写后将替换该学员已登记的全部中断; 中断不能早于上岗日期, 不能互相重叠。", "2021-03-01~2021-09-01; 2023-01-01~2023-02-01"),
    ("实习考核合格日期", "否", "上岗实习考核期满并考核合格的日期 (四级申报途径B), 不能早于上岗日期。", "2019-12-01"),
    ("四级学时 … 一级学时", "否", "该等级岗位技能认证培训已完成的标准学时, 不小于 0 的整数。", "40"),
    ("培训完成日期", "否", "同一行所填各级学时的培训完成日期。", "2024-06-30"),
    ("", "", "", ""),
    ("空单元格", "", "保留平台上已登记的内容不变 (只想改某几项时, 其余单元格留空即可)。", ""),
    ("无", "", "清除已登记的内容: 单位、上岗日期、实习考核合格日期、培训完成日期清空; 中断起止填 无 表示没有任何中断; "
     "某级学时填 无 表示删除该级培训记录。", "无"),
    ("日期写法", "", "Excel 日期, 或文字 2024-07-01、2024/7/1、2024.7.1、2024年7月1日、20240701。", ""),
    ("整批导入", "", "任何一行有错误时整个文件都不写入, 页面会列出每个错误的行号和列名; 改正后重新上传即可。", ""),
    ("示例行", "", "第 2 行是示例, 上传前请替换为真实学员或删除。", ""),
)


def write_facts_template(target: BinaryIO) -> None:
    """The template: the header row, one example row, and a 说明 sheet explaining every column (openpyxl is imported
    here: with the numpy it loads, a fifth of a second that every other process would pay at start-up)."""
    from openpyxl import Workbook
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    header_font, header_fill = Font(bold=True), PatternFill("solid", fgColor="DDEBF7")
    center = Alignment(horizontal="center", vertical="center")
    wb = Workbook()
    ws = wb.active
    ws.title = SHEET
    for i, title in enumerate(TEMPLATE_COLUMNS, 1):
        cell = ws.cell(row=1, column=i, value=title)
        cell.font, cell.fill, cell.alignment = header_font, header_fill, center
        ws.column_dimensions[get_column_letter(i)].width = _WIDTHS.get(title, 10)
        example = ws.cell(row=2, column=i, value=EXAMPLE.get(title))
        if title in _DATE_COLUMNS:
            example.number_format = "yyyy-mm-dd"
        elif title in ("工号", "中断起止"):
            example.number_format = "@"
    ws.freeze_panes = "A2"
    help_ws = wb.create_sheet(HELP_SHEET)
    for letter, width in zip("ABCD", (20, 8, 90, 44), strict=True):
        help_ws.column_dimensions[letter].width = width
    help_ws.append(["申报资料模板说明: 在“申报资料”表中每行填写一名学员, 第 1 行列标题请勿修改。"])
    help_ws.append([])
    help_ws.append(["列", "必填", "怎么填", "示例"])
    for cell in help_ws[3]:
        cell.font = header_font
    for row in _HELP_ROWS:
        help_ws.append([v or None for v in row])
    for row in help_ws.iter_rows(min_row=4, min_col=3, max_col=3):
        for cell in row:
            cell.alignment = Alignment(wrap_text=True, vertical="top")
    wb.save(target)


def facts_template_bytes() -> bytes:
    out = io.BytesIO()
    write_facts_template(out)
    return out.getvalue()
