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
