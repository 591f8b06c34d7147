"""The unit-tree import's rules without a database: headers, phones, names, the tree."""

from __future__ import annotations

import pytest

from volunteer_app.stations.imports import (
    Tree,
    UnitImportError,
    check_rows,
    clean_phone,
    count,
)

HEADER = ["所", "站", "地址", "联系人", "联系电话"]


def table(*rows, header=HEADER):
    return list(enumerate([header, *rows], start=1))


def codes(checked):
    return {number: [p.code for p in problems] for number, problems in checked.refused}


@pytest.mark.parametrize(
    "phone", ["13912345678", "0530-5551234", "05305551234", "010-12345678", "139 1234 5678", ""]
)
def test_mobiles_and_landlines_with_their_area_code_are_taken(phone):
    assert clean_phone(phone) == phone.replace(" ", "")


@pytest.mark.parametrize(
    "phone", ["1391234", "12912345678", "5551234", "0530-55", "+8613912345678x"]
)
def test_other_numbers_are_refused(phone):
    with pytest.raises(ValueError):
        clean_phone(phone)


def test_only_the_station_column_is_required():
    with pytest.raises(UnitImportError) as error:
        check_rows(table(["甲所"], header=["所"]), tree=Tree())
    assert error.value.code == "missing_columns"
    checked = check_rows(table(["甲站"], header=["站名称"]), tree=Tree())
    assert [(r.centre, r.station) for r in checked.rows] == [("", "甲站")]


def test_names_are_trimmed_and_duplicates_refer_to_the_first_row():
    checked = check_rows(
        table(["  甲所 ", "一 站", "", "", ""], ["甲所", "一  站", "", "", ""]), tree=Tree()
    )
    assert checked.rows[0].centre == "甲所" and checked.rows[0].station == "一 站"
    assert codes(checked) == {3: ["duplicate"]} and checked.refused[0][1][0].row == 2


def test_the_tree_decides_existing_archived_and_clashing_names():
    tree = Tree(
        top={"甲所": ("centre", False), "旧所": ("centre", True), "直属站": ("station", False)},
        below={"甲所": {"一站": False, "旧站": True}},
    )
    checked = check_rows(
        table(
            ["甲所", "一站"],  # 2: exists, left as is
            ["甲所", "二站"],  # 3: new
            ["甲所", "旧站"],  # 4: archived
            ["旧所", "三站"],  # 5: archived centre
            ["直属站", "四站"],  # 6: a station where a centre is meant
            ["", "甲所"],  # 7: a centre where a station is meant
            ["乙所", "五站"],  # 8: a new centre
        ),
        tree=tree,
    )
    assert codes(checked) == {
        4: ["station_archived"],
        5: ["centre_archived"],
        6: ["centre_is_station"],
        7: ["station_is_centre"],
    }
    counts = count(checked.rows, tree)
    assert (counts.new_centres, counts.new_stations, counts.existing_stations) == (1, 2, 1)


def test_a_centre_organizer_names_only_their_own_centre():
    tree = Tree(below={"": {"一站": False}}, own_centre="甲所")
    checked = check_rows(table(["甲所", "一站"], ["", "二站"], ["乙所", "三站"]), tree=tree)
    assert codes(checked) == {4: ["centre_not_yours"]}
    assert [r.centre for r in checked.rows] == ["", ""]
    assert count(checked.rows, tree).existing_stations == 1


def test_too_many_rows_are_refused():
    with pytest.raises(UnitImportError) as error:
        check_rows(table(["甲所", "一站"], ["甲所", "二站"]), tree=Tree(), max_rows=1)
    assert error.value.code == "too_many_rows"
