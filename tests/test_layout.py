"""Page geometry (ingest/readers/layout.py): glyph boxes and ruling lines in, tables and lines out."""

from ingest.readers.layout import Glyph, Segment, Table, layout_page


def text(s: str, x: float, top: float, size: float = 10.0) -> list[Glyph]:
    return [Glyph(ch, x + k * size, x + (k + 1) * size, top, top + size) for k, ch in enumerate(s)]


def grid(xs, ys, dashed: bool = False) -> list[Segment]:
    """The rules of a grid; dashed lines are drawn as 2-point dashes 2 points apart."""
    out = []
    for horizontal, positions, a, b in ((True, ys, xs[0], xs[-1]), (False, xs, ys[0], ys[-1])):
        for pos in positions:
            if not dashed:
                out.append(Segment(horizontal, pos, a, b))
                continue
            x = a
            while x < b:
                out.append(Segment(horizontal, pos, x, min(x + 2, b)))
                x += 4
    return out


def rows_of(layout):
    table = next(b for b in layout.blocks if isinstance(b, Table))
    return table.rows()


def test_a_ruled_table_with_a_cell_merged_over_two_rows():
    xs, ys = [0, 100, 200, 300], [0, 20, 40, 60]
    segs = [s for s in grid(xs, ys) if not (s.horizontal and s.pos == 40 and s.a == 0)]
    segs.append(Segment(True, 40, 100, 300))  # the rule under row 2 stops at the first column: merged
    glyphs = text("一级指标", 5, 5) + text("三级指标", 105, 5) + text("指标值", 205, 5)
    glyphs += text("产出指标", 5, 35) + text("培训人次", 105, 25) + text("≥500", 205, 25)
    glyphs += text("覆盖乡镇", 105, 45) + text("12个", 205, 45)
    rows = rows_of(layout_page(glyphs, segs, 300, 60))
    assert rows == [[(0, "一级指标"), (1, "三级指标"), (2, "指标值")],
                    [(0, "产出指标"), (1, "培训人次"), (2, "≥500")],
                    [(0, "产出指标"), (1, "覆盖乡镇"), (2, "12个")]]


def test_a_dashed_grid_is_a_table():
    xs, ys = [0, 100, 200], [0, 20, 40]
    glyphs = text("项目名称", 5, 5) + text("农田建设", 105, 5) + text("资金总额", 5, 25) + text("500", 105, 25)
    rows = rows_of(layout_page(glyphs, grid(xs, ys, dashed=True), 200, 40))
    assert rows == [[(0, "项目名称"), (1, "农田建设")], [(0, "资金总额"), (1, "500")]]


def test_a_table_ruled_between_columns_only_keeps_wrapped_cells_whole():
    """Rules between the columns and under the header only (a key-project list): each project is a
    row, a name or goal wrapped over lines one cell."""
    segs = [Segment(False, x, 0, 100) for x in (0, 100, 200, 260, 460)] + [Segment(True, y, 0, 460)
                                                                             for y in (0, 20)]
    glyphs = text("单位名称", 5, 5) + text("项目名称", 105, 5) + text("预算数", 205, 5) + text("绩效目标", 265, 5)
    glyphs += text("深圳市交通", 5, 25) + text("管养维护项目", 105, 25) + text("25.4", 205, 25)
    glyphs += text("保持高速公路联网", 265, 25) + text("运输局", 5, 38) + text("收费功能正常", 265, 38)
    glyphs += text("深圳市信访局", 5, 60) + text("信访业务", 105, 60) + text("3.0", 205, 60)
    glyphs += text("保障信访工作", 265, 60)
    rows = rows_of(layout_page(glyphs, segs, 460, 100))
    assert rows == [[(0, "单位名称"), (1, "项目名称"), (2, "预算数"), (3, "绩效目标")],
                    [(0, "深圳市交通运输局"), (1, "管养维护项目"), (2, "25.4"), (3, "保持高速公路联网收费功能正常")],
                    [(0, "深圳市信访局"), (1, "信访业务"), (2, "3.0"), (3, "保障信访工作")]]
    # a name wrapped over two lines beside a wrapped goal, and no column with one line a row: one row
    glyphs = text("单位名称", 5, 5) + text("项目名称", 105, 5) + text("预算数", 205, 5) + text("绩效目标", 265, 5)
    glyphs += text("市属城市交通", 105, 25) + text("开展造价审核", 265, 25)
    glyphs += text("建设项目造价", 105, 38) + text("及咨询工作，", 265, 38) + text("加强投资控制", 265, 51)
    rows = rows_of(layout_page(glyphs, segs, 460, 100))
    assert rows[1] == [(1, "市属城市交通建设项目造价"), (3, "开展造价审核及咨询工作，加强投资控制")]


def test_text_outside_tables_is_cut_at_wide_gaps():
    glyphs = text("部门名称：某市民政局", 0, 0) + text("单位：万元", 300, 0)
    layout = layout_page(glyphs, [], 400, 20)
    assert [t for _, t in layout.blocks[0].cells] == ["部门名称：某市民政局", "单位：万元"]


# ------------------------------------------------------------------ tables printed without rules

def unruled_form(centred: bool = True, footer: bool = True) -> list[Glyph]:
    """A grid without a single rule: 一级 and 二级 labels printed once for the rows they cover
    (centred on them, or at the top of the first), rows 18 points apart, one name wrapped."""
    rows = [("培训人次", "500人次"), ("覆盖乡镇", "12个"), ("完成率", "100%"), ("按时完成率", "100%"),
            ("受训人员满意度", "≥95%")]
    ys = [60 + 18 * k for k in range(len(rows))]
    glyphs = text("项目名称", 0, 0) + text("基层干部培训", 120, 0) + text("一级指标", 0, 40) + \
        text("二级指标", 90, 40) + text("三级指标", 180, 40) + text("指标值", 330, 40)
    for (name, value), y in zip(rows, ys):
        glyphs += text(name, 180, y) + text(value, 330, y)
    spans = [("产出指标", 0, 0, 3), ("数量指标", 90, 0, 1), ("质量指标", 90, 2, 3),
             ("满意度指标", 0, 4, 4), ("服务对象满意度", 90, 4, 4)]
    for label, x, a, b in spans:
        y = (ys[a] + ys[b]) / 2 if centred else ys[a]
        glyphs += text(label, x, y, size=8.0) if len(label) > 6 else text(label, x, y)
    return glyphs + (text("填表人：张三", 0, 200) + text("（单位盖章）", 200, 260) if footer else [])


def test_a_grid_printed_without_rules_keeps_its_columns_rows_and_centred_labels():
    layout = layout_page(unruled_form(), [], 600, 300)
    rows = rows_of(layout)
    assert rows[0] == [(0, "一级指标"), (1, "二级指标"), (2, "三级指标"), (3, "指标值")]
    assert rows[1] == [(0, "产出指标"), (1, "数量指标"), (2, "培训人次"), (3, "500人次")]
    assert rows[2] == [(0, "产出指标"), (1, "数量指标"), (2, "覆盖乡镇"), (3, "12个")]
    assert rows[3] == [(0, "产出指标"), (1, "质量指标"), (2, "完成率"), (3, "100%")]
    assert rows[4] == [(0, "产出指标"), (1, "质量指标"), (2, "按时完成率"), (3, "100%")]
    assert rows[5] == [(0, "满意度指标"), (1, "服务对象满意度"), (2, "受训人员满意度"), (3, "≥95%")]
    assert len(rows) == 6  # the footer and the stamp line far below are not rows of the grid
    lines = [b.text for b in layout.blocks if not isinstance(b, Table)]
    assert any("项目名称" in t for t in lines) and any("填表人" in t for t in lines)


def test_labels_printed_at_the_top_of_their_rows_are_left_where_they_are():
    rows = rows_of(layout_page(unruled_form(centred=False), [], 600, 300))
    assert rows[1][:2] == [(0, "产出指标"), (1, "数量指标")]
    assert rows[2][0][0] == 2  # nothing invented: the row below a top label has no label of its own
    assert rows[3][:1] == [(1, "质量指标")]


def test_a_paragraph_is_not_a_table_even_when_it_names_indicators():
    para = text("本项目的一级指标和二级指标按照要求设置，指标值见下表。", 0, 0) + \
        text("绩效目标：完成培训任务，三级指标详见附件。", 0, 14)
    layout = layout_page(para, [], 600, 100)
    assert not any(isinstance(b, Table) for b in layout.blocks)


def test_an_unruled_table_continued_on_the_next_page_is_one_table():
    from ingest.readers.pdf import PageInput, assemble

    first = PageInput.laid_out(unruled_form(footer=False) + text("— 2 —", 280, 285), [], 600, 300)
    assert first.carry is not None  # the page ends in a table printed without rules
    rest = text("第3页续", 250, 2) + text("时效指标", 90, 40) + text("按时完成率", 180, 40) + \
        text("100%", 330, 40) + text("成本指标", 90, 58) + text("人均培训成本", 180, 58) + text("≤800元", 330, 58)
    second = PageInput.laid_out(rest, [], 600, 300, carry=first.carry)
    doc = assemble([first, second], "pdf/layout")
    grid = [r for r in doc.rows if r.grid]
    assert {r.table for r in grid} == {1}  # one table over both pages
    assert [c for c in grid[-2].cells if c[0] >= 1] == [(1, "时效指标"), (2, "按时完成率"), (3, "100%")]
    assert [c for c in grid[-1].cells if c[0] >= 1] == [(1, "成本指标"), (2, "人均培训成本"), (3, "≤800元")]
    # without the page before, the same lines are no table
    alone = PageInput.laid_out(rest, [], 600, 300)
    assert all(b.table is None for b in alone.blocks)
