"""bench/generate.py stays in step with the schema: a tiny run loads and adds up."""

import importlib.util
from pathlib import Path

from sqlalchemy import create_engine, text

GENERATE = Path(__file__).resolve().parents[2] / "bench" / "generate.py"


def test_generator_fills_a_small_database(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = f"sqlite:///{tmp_path / 'bench.sqlite3'}"
    module.main(["--db", url, "--scale", "0.005"])
    out = capsys.readouterr().out
    made = int(out.split("generated ", 1)[1].split(" check-ins", 1)[0].replace(",", ""))
    assert 4000 <= made <= 5000  # at most scale × 1M; tiny volunteer pools cap some activities
    engine = create_engine(url)
    with engine.connect() as conn:
        count = lambda table: conn.execute(text(f"SELECT COUNT(*) FROM {table}")).scalar()  # noqa: E731
        assert (count("checkins"), count("activities"), count("volunteers")) == (made, 100, 250)
        assert count("units") == 1 + 10 + 20 and count("users") == 3
        # the triggers kept activity_stats equal to the check-ins during the bulk load
        assert conn.execute(text("SELECT SUM(checkins) FROM activity_stats")).scalar() == made
        assert (
            conn.execute(
                text("SELECT SUM(confirmed_minutes) + SUM(pending_minutes) FROM activity_stats")
            ).scalar()
            == conn.execute(text("SELECT SUM(minutes) FROM checkins")).scalar()
        )
    engine.dispose()


def test_generator_fills_a_city_of_districts_each_with_its_own_activities(tmp_path, capsys):
    spec = importlib.util.spec_from_file_location("bench_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    url = f"sqlite:///{tmp_path / 'city.sqlite3'}"
    module.main(["--db", url, "--scale", "0.005", "--districts", "3"])
    engine = create_engine(url)
    with engine.connect() as conn:
        scalar = lambda sql: conn.execute(text(sql)).scalar()  # noqa: E731
        assert scalar("SELECT COUNT(*) FROM units WHERE level = 'district'") == 3
        assert scalar("SELECT COUNT(*) FROM units") == 3 * (1 + 10 + 20)
        # every district holds about a third of the activities, at its own units
        per_district = conn.execute(
            text(
                "SELECT COALESCE(c.parent_id, u.parent_id), COUNT(*) FROM activities a "
                "JOIN units u ON u.id = a.unit_id LEFT JOIN units c ON c.id = u.parent_id "
                "AND c.level = 'centre' GROUP BY 1"
            )
        ).all()
        assert len(per_district) == 3 and all(30 <= n <= 37 for _d, n in per_district)
    engine.dispose()


def test_generator_on_postgresql_fills_activity_stats_as_the_triggers_would(capsys):
    """The PostgreSQL load turns the report triggers off for the check-ins' COPY and adds them
    up in one pass; the sums must be the triggers' sums, and the triggers on again after."""
    from tests.conftest import throwaway_postgres

    spec = importlib.util.spec_from_file_location("bench_generate", GENERATE)
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    module.COPY_CHUNK = 1000  # several COPY statements even at this size
    with throwaway_postgres() as url:
        module.main(["--db", url, "--scale", "0.005"])
        engine = create_engine(url)
        with engine.begin() as conn:
            rows = lambda sql: conn.execute(text(sql)).all()  # noqa: E731
            loaded = rows("SELECT * FROM activity_stats ORDER BY activity_id, shard")
            assert len(loaded) > 50
            # what the triggers make: every check-in deleted and inserted again through them
            conn.execute(text("CREATE TEMP TABLE c AS SELECT * FROM checkins"))
            conn.execute(text("DELETE FROM checkins"))
            assert rows("SELECT SUM(checkins) FROM activity_stats") == [(0,)]
            conn.execute(text("DELETE FROM activity_stats"))
            conn.execute(text("INSERT INTO checkins SELECT * FROM c"))
            assert rows("SELECT * FROM activity_stats ORDER BY activity_id, shard") == loaded
            enabled = rows(
                "SELECT DISTINCT tgenabled FROM pg_trigger "
                "WHERE tgrelid = 'checkins'::regclass AND NOT tgisinternal"
            )
            assert enabled == [("O",)]
        engine.dispose()
