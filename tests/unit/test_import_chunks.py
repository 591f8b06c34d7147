"""A large import's chunks: a number's rows stay together, in a fixed order."""

from volunteer_app.volunteers import imports


def test_phone_chunks_never_split_a_number():
    rows = imports.in_phone_order(
        [imports.Row(n, f"名{n}", f"1391234{p:04d}", 1) for n, p in enumerate([2, 1, 1, 1, 3, 2])]
    )
    chunks = list(imports.phone_chunks(rows, 2))
    assert [[row.phone[-1] for row in chunk] for chunk in chunks] == [
        ["1", "1", "1"],
        ["2", "2"],
        ["3"],
    ]
    assert [row.number for chunk in chunks for row in chunk] == [1, 2, 3, 0, 5, 4]
    assert list(imports.phone_chunks([], 3)) == []


def test_counts_of_two_chunks_add_up():
    total = imports.add_counts(imports.Counts(1, 2, 3, 4), imports.Counts(10, 20, 30, 40))
    assert total == imports.Counts(11, 22, 33, 44)
