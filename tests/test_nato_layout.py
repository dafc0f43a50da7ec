"""Edition robustness: a workbook in the layout later NATO editions are reported to use (sheet
'Table 3', labels in column A, header in row 4, constant prices of 2021) parses to the same
numbers as the June 2024 file."""

from __future__ import annotations

import openpyxl

from analysis.etl import nato
from tests.conftest import RAW, need_raw


def test_shifted_layout_reads_the_same_numbers(tmp_path):
    need_raw()
    src = RAW / "nato-2024" / "240617-def-exp-2024-TABLES-en.xlsx"
    ref = nato.parse_table(
        src,
        "TABLE3",
        "share of (real )?gdp",
        source_id="nato-2024",
        edition="2024",
        variable="milex_gdp_nato",
    )
    years = sorted(ref.year.unique())
    est = dict(zip(ref.year, ref.estimate, strict=False))

    wb = openpyxl.Workbook()
    ws = wb.active
    ws.title = "Table 3"
    ws["A1"] = "Table 3: Defence expenditure as a share of GDP and annual real change"
    ws["A2"] = "Based on 2021 prices"
    ws.cell(row=4, column=1, value=None)
    for j, y in enumerate(years, start=2):
        ws.cell(row=4, column=j, value=f"{y}e" if est[y] else y)
    r = 5
    for label in ref.label.unique():  # first block right under the header, no subtitle
        ws.cell(row=r, column=1, value=label)
        vals = ref[ref.label == label].set_index("year").value
        for j, y in enumerate(years, start=2):
            ws.cell(row=r, column=j, value=vals.get(y))
        r += 1
    ws.cell(row=r, column=1, value="NATO Europe and Canada")
    for j in range(2, 2 + len(years)):
        ws.cell(row=r, column=j, value=1.5)
    ws.cell(row=r + 3, column=1, value="Annual real change (%)")
    ws.cell(row=r + 4, column=1, value="Poland")
    for j in range(2, 2 + len(years)):
        ws.cell(row=r + 4, column=j, value=3.0)
    path = tmp_path / "def-exp-2025-en.xlsx"
    wb.save(path)

    got = nato.parse_table(
        path,
        "TABLE3",
        "share of (real )?gdp",
        source_id="nato-2025",
        edition="2025",
        variable="milex_gdp_nato",
    )
    a = ref.set_index(["iso3", "year"]).sort_index()
    b = got.set_index(["iso3", "year"]).sort_index()
    assert list(a.index) == list(b.index)
    # openpyxl writes floats with 15-16 significant digits: equal to 1e-12
    assert ((a.value.fillna(-1) - b.value.fillna(-1)).abs() < 1e-12).all()
    assert (a.estimate == b.estimate).all()
    assert got.price_base.iloc[0] == 2021
    assert round(b.loc[("POL", 2019), "value"], 3) == 1.986
