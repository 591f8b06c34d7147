"""Every path that writes an attendance record or changes its hours leaves an audit entry.

Two halves, so that a writing path added later without an audit entry fails here:

1. **The inventory** (``test_every_writing_path_is_listed``) reads the app's source and
   finds every function that writes ``checkins`` rows, directly (a ``CheckIn(...)``, an
   INSERT or UPDATE of the table, a record's column assigned) or by calling such a
   function, through the imports. That set must be exactly ``PATHS``, where each function
   names the step of the second half that exercises it. A new writer fails until it is
   listed, and it can only be listed with a step that proves its audit entry.
2. **The steps** (``test_each_path_writes_its_audit_entry``) run each path as it is used
   (a request where there is one, the cron command, a service for the request half of a
   correction). A ``Watch`` diffs the ``checkins`` table around each step, collects the
   audit entries added, and logs in which database transaction each statement ran. Each
   changed record must have an entry of the step's action, naming the organizer (or no one
   for the cron job), with the record's origin as the action makes it, written in the same
   transaction as the change.

Self-scans are not audited, by decision: the volunteer's own check-in and check-out (the
scan page, the API's self-scan) write the record of the very person who acts, and the
record is their trace (``self_made``, origin ``scan``, no ``recorded_by``, its times and
minutes). Every later change by anyone else is audited with the old values, so each
record's history can be read back. An entry per scan would double the writes of the
busiest path. The steps check that a self-scan's record says so (origin scan, self-made,
recorded by no one), so an organizer's path cannot pass as one.

The demo seed (``flask seed``, ``seeding.load_demo``) writes records into an empty
database through ``checkins.services``; it changes no one's record and is not audited.
"""

from __future__ import annotations

import ast
import re
from dataclasses import dataclass, field
from datetime import timedelta
from pathlib import Path

from sqlalchemy import event, func, select

import volunteer_app
from volunteer_app.audit.models import AuditEntry
from volunteer_app.checkins import corrections
from volunteer_app.checkins.models import CheckIn, Correction
from volunteer_app.checkins.tokens import issue_token
from volunteer_app.database import utcnow
from volunteer_app.volunteers.cards import issue_card

from ..conftest import csrf_token
from .test_corrections import local
from .test_identity import PIN, with_pin

JSON = {"Accept": "application/json"}

# --- 1. the inventory -----------------------------------------------------------------------

#: Every function that writes checkins rows, and the step below that exercises it.
PATHS = {
    # the services that write; each caller below decides whether it is audited
    "checkins.services:check_in": "self check-in",
    "checkins.services:_insert_statement": "self check-in",
    "checkins.services:check_out": "self check-out",
    "checkins.services:apply_correction": "correction accepted",
    # a check-in elsewhere checks the person out here (one person, one place at a time)
    "checkins.services:_close_elsewhere": "check-in elsewhere",
    # the volunteer's own scan: the record is the trace (module docstring)
    "checkins.identify:record": "self check-in",
    "checkins.identify:identify_and_record": "self check-in",
    "checkins.routes:scan_submit": "self check-in",
    "checkins.routes:_record_each": "self check-in",
    "checkins.routes:_record_identified": "self check-in",
    "api.scan:_scan": "API self check-in",
    "api.scan:self_check_in": "API self check-in",
    "api.scan:self_check_out": "API self check-out",
    # an organizer checks someone in or out
    "checkins.organizer:record_for": "desk check-in",
    "checkins.organizer:check_one": "desk check-in",
    "checkins.organizer:check_group": "desk check-in",
    "checkins.manage_desk:group_checkin": "desk check-out",
    "checkins.manage_desk:walk_in": "walk-in",
    "checkins.organizer:scan_card": "card scan",
    "checkins.organizer:record_on_behalf": "desk check-in",
    "checkins.organizer:check_one_on_behalf": "desk check-in",
    "checkins.organizer:check_group_within": "desk check-in",
    "checkins.organizer:scan_card_within": "card scan",
    "checkins.offline:record_queued_by": "queued scan",
    "checkins.offline:record_queued_scan_within": "queued scan",
    "checkins.manage_scanner:scan_card": "card scan",
    "checkins.offline:record_queued": "queued scan",
    "checkins.offline:record_queued_scan": "queued scan",
    "checkins.offline:record_queued_tick": "queued tick",
    "checkins.manage_desk:_queued_tick": "queued tick",
    # a team leader checks a member in or out at the team's activity (teams/lead.py)
    "teams.leading:check_group": "leader check-in",
    "teams.lead:group_checkin": "leader check-out",
    "teams.leading:scan_card": "leader card scan",
    "teams.lead:scan_card": "leader card scan",
    "teams.leading:record_queued_scan": "leader queued scan",
    "api.routes:create_checkin": "API check-in",
    "api.routes:create_checkout": "API check-out",
    # corrections and the review of hours
    "checkins.corrections:accept": "correction accepted",
    "checkins.manage_corrections:correction_decide": "correction accepted",
    "checkins.review:adjust_hours": "adjust",
    "checkins.manage_hours:adjust": "adjust",
    "api.hours:adjust_hours": "API adjust",
    "checkins.review:keep_hours": "keep",
    "checkins.manage_hours:keep": "keep",
    "api.hours:keep_hours": "API keep",
    "checkins.organizer:check_in_proven": "walk-in",
    "checkins.review:_close": "close at end",
    "checkins.review:close_open_checkins": "close at end",
    "checkins.manage_hours:close_checkins": "close at end",
    "api.hours:close_open": "API close at end",
    "checkins.review:close_all_due": "cron close",
    "cli:close_checkins_command": "cron close",
    "jobs.periodic:close_forgotten_checkouts": "periodic close",
    "jobs.periodic:close_checkins_task": "periodic close",
    "checkins.review:confirm_hours": "confirm",
    "checkins.manage_hours:confirm": "confirm",
    "api.hours:confirm_hours": "API confirm",
    "checkins.review:add_hours": "add hours",
    "checkins.manage_hours:add_hours": "add hours",
    "checkins.sheets:enter": "paper sheet",
    "checkins.manage_sheet:sheet_confirm": "paper sheet",
    # two records of one person merged from the roster: each record moves, audited
    "volunteers.roster_services:merge": "merge",
    "volunteers.roster:roster_merge": "merge",
    # junk and test records voided with a reason, and restored
    "checkins.voids:void_record": "void",
    "checkins.manage_hours:void": "void",
    "checkins.voids:void_registration": "void registration",
    "checkins.manage_hours:void_registration": "void registration",
    "checkins.voids:restore_record": "restore",
    "checkins.manage_hours:restore": "restore",
    # demo data into an empty database (module docstring)
    "seeding:load_demo": "not audited: demo seed",
    # an account's deletion blanks the reasons typed for voiding its records, under the
    # deletion's own entry (volunteer.deleted; tests/routes/test_privacy_erasure.py)
    "volunteers.privacy:erase_person": "not audited: erased with the account",
    "volunteers.privacy:delete_account": "not audited: erased with the account",
    "volunteers.routes:delete_account": "not audited: erased with the account",
    "cli:seed_command": "not audited: demo seed",
}

ROOT = Path(volunteer_app.__file__).parent
COLUMNS = {c.name for c in CheckIn.__table__.columns} - {"id"}
Key = tuple[str, str]


def _modules() -> dict[str, ast.Module]:
    """The app's modules by dotted name (migrations apart: they build the schema)."""
    found = {}
    for path in sorted(ROOT.rglob("*.py")):
        relative = path.relative_to(ROOT.parent).with_suffix("")
        if "migrations" not in relative.parts:
            found[".".join(relative.parts).removesuffix(".__init__")] = ast.parse(path.read_text())
    return found


def _functions(tree: ast.Module):
    """(qualified name, node) of the module's functions and methods; nested ones count as
    part of the function they are in."""
    for node in tree.body:
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield node.name, node
        elif isinstance(node, ast.ClassDef):
            for item in node.body:
                if isinstance(item, ast.FunctionDef | ast.AsyncFunctionDef):
                    yield f"{node.name}.{item.name}", item


def _imports(tree: ast.Module, modules) -> tuple[dict[str, str], dict[str, Key]]:
    """Names bound to the app's modules, and names bound to functions of other modules."""
    aliases, functions = {}, {}
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if alias.asname:
                    aliases[alias.asname] = alias.name
        elif isinstance(node, ast.ImportFrom) and node.module:
            for alias in node.names:
                bound, full = alias.asname or alias.name, f"{node.module}.{alias.name}"
                if full in modules:
                    aliases[bound] = full
                else:
                    functions[bound] = (node.module, alias.name)
    return aliases, functions


def _is_checkin_table(node: ast.AST, tables: set[str]) -> bool:
    if isinstance(node, ast.Name):
        return node.id in tables
    return (
        isinstance(node, ast.Attribute)
        and node.attr == "__table__"
        and isinstance(node.value, ast.Name)
        and node.value.id == "CheckIn"
    )


def _writes_directly(function: ast.AST) -> bool:
    """Whether the function makes, inserts, updates or deletes checkins rows itself."""
    tables = {"CheckIn"} | {
        target.id
        for node in ast.walk(function)
        if isinstance(node, ast.Assign) and _is_checkin_table(node.value, set())
        for target in node.targets
        if isinstance(target, ast.Name)
    }
    for node in ast.walk(function):
        if isinstance(node, ast.Call):
            called = node.func
            if isinstance(called, ast.Name) and called.id == "CheckIn":
                return True
            if (
                isinstance(called, ast.Name)
                and called.id in ("insert", "update", "delete")
                and node.args
                and _is_checkin_table(node.args[0], tables)
            ):
                return True
            if (
                isinstance(called, ast.Attribute)
                and called.attr in ("insert", "update", "delete")
                and _is_checkin_table(called.value, tables - {"CheckIn"})
            ):
                return True
        if isinstance(node, ast.Assign | ast.AugAssign | ast.AnnAssign):
            targets = node.targets if isinstance(node, ast.Assign) else [node.target]
            for target in targets:
                for element in target.elts if isinstance(target, ast.Tuple) else [target]:
                    if (
                        isinstance(element, ast.Attribute)
                        and element.attr in COLUMNS
                        and isinstance(element.value, ast.Name)
                        and "record" in element.value.id
                    ):
                        return True
    return False


def _calls(function: ast.AST, module: str, local: set[str], aliases, imported):
    """The app's functions this one calls, as (module, name)."""
    for node in ast.walk(function):
        if not isinstance(node, ast.Call):
            continue
        called = node.func
        if (
            isinstance(called, ast.Attribute)
            and isinstance(called.value, ast.Name)
            and called.value.id in aliases
        ):
            yield aliases[called.value.id], called.attr
        elif isinstance(called, ast.Name):
            if called.id in local:
                yield module, called.id
            elif called.id in imported:
                yield imported[called.id]


def writing_paths() -> set[str]:
    """Every function of the app that writes checkins rows, directly or through others."""
    modules = _modules()
    calls: dict[Key, set[Key]] = {}
    writers: set[Key] = set()
    for module, tree in modules.items():
        aliases, imported = _imports(tree, modules)
        functions = dict(_functions(tree))
        for name, function in functions.items():
            key = (module, name)
            calls[key] = set(_calls(function, module, set(functions), aliases, imported))
            if _writes_directly(function):
                writers.add(key)
    while more := {
        key for key, callees in calls.items() if key not in writers and callees & writers
    }:
        writers |= more
    return {f"{module.removeprefix('volunteer_app.')}:{name}" for module, name in writers}


def test_every_writing_path_is_listed():
    """A function that writes records and is not in PATHS: list it with the step that
    proves its audit entry (or, for a self-scan, that its record says so)."""
    found = writing_paths()
    assert found - PATHS.keys() == set(), "new writing paths: list them in PATHS"
    assert PATHS.keys() - found == set(), "listed paths that no longer write: remove them"


def test_the_inventory_sees_a_writer_it_was_not_told_about():
    """The scan would notice a new path: a function setting a record's minutes."""
    tree = ast.parse("def sneaky(record):\n    record.minutes = 600\n")
    assert _writes_directly(tree.body[0])
    tree = ast.parse("def sneaky(i):\n    db.session.execute(update(CheckIn).values(minutes=i))\n")
    assert _writes_directly(tree.body[0])
    tree = ast.parse("def reader(record):\n    return record.minutes\n")
    assert not _writes_directly(tree.body[0])


def test_every_listed_step_is_run():
    assert {s for s in PATHS.values() if not s.startswith("not audited")} == set(STEPS)


# --- 2. the steps ---------------------------------------------------------------------------

#: What each step must leave: per changed record, (action, actor, origin after); ``SELF`` for
#: a self-scan (no entry; the record says it is the volunteer's own).
SELF = "self"
STEPS = {
    "self check-in": SELF,
    "self check-out": SELF,
    "API self check-in": SELF,
    "API self check-out": SELF,
    "desk check-in": ("checkin.by_organizer", "organizer", "organizer"),
    "desk check-out": ("checkout.by_organizer", "organizer", "organizer"),
    "walk-in": ("checkin.by_organizer", "organizer", "organizer"),
    "card scan": ("checkin.by_organizer", "organizer", "organizer"),
    "queued scan": ("checkin.by_organizer", "organizer", "organizer"),
    "queued tick": ("checkin.by_organizer", "organizer", "organizer"),
    "API check-in": ("checkin.by_organizer", "organizer", "organizer"),
    "leader check-in": ("checkin.by_leader", "leader", "organizer"),
    "leader check-out": ("checkout.by_leader", "leader", "organizer"),
    "leader card scan": ("checkin.by_leader", "leader", "organizer"),
    "leader queued scan": ("checkin.by_leader", "leader", "organizer"),
    "API check-out": ("checkout.by_organizer", "organizer", "organizer"),
    "correction accepted": ("correction.accept", "organizer", "organizer"),
    "adjust": ("hours.adjust", "organizer", "organizer"),
    "API adjust": ("hours.adjust", "organizer", "organizer"),
    "keep": ("hours.review_keep", "organizer", None),
    "API keep": ("hours.review_keep", "organizer", None),
    "close at end": ("checkin.close_at_end", "organizer", None),
    "API close at end": ("checkin.close_at_end", "organizer", None),
    "cron close": ("checkin.close_at_end", None, None),
    "periodic close": ("checkin.close_at_end", None, None),
    "confirm": ("hours.confirm", "organizer", None),
    "API confirm": ("hours.confirm", "organizer", None),
    "add hours": ("hours.add", "organizer", "organizer"),
    "paper sheet": ("hours.add", "organizer", "organizer"),
    "merge": ("checkin.merge", "organizer", None),
    "check-in elsewhere": ("checkout.auto", "organizer", None),
    "void": ("checkin.void", "organizer", None),
    "void registration": ("checkin.void", "organizer", None),
    "restore": ("checkin.restore", "organizer", None),
}
#: A step's action for the records it creates, where it differs from the one it changes.
NEW_ROWS = {"check-in elsewhere": "checkin.by_organizer"}
#: Other entries a step writes besides the one per record.
ALSO = {
    "walk-in": {"volunteer.walk_in"},
    "queued scan": {"scan.queued"},
    "leader queued scan": {"scan.queued"},
    "queued tick": {"manual.queued"},
    "confirm": {"activity.status"},  # a published activity becomes finished
    "API confirm": {"activity.status"},
    "merge": {"volunteer.merge"},
    "void registration": {"volunteer.void_registration"},
    "check-in elsewhere": {"checkin.by_organizer"},
    "paper sheet": {"volunteer.walk_in", "hours.sheet"},
}


@dataclass
class Watch:
    """What one step changed: records, audit entries, and the transaction of each write."""

    db: object
    before: dict = field(default_factory=dict)
    last_entry: int = 0
    statements: list[tuple[int, str]] = field(default_factory=list)
    changed: list[dict] = field(default_factory=list)
    entries: list[AuditEntry] = field(default_factory=list)

    def rows(self) -> dict[int, dict]:
        self.db.session.commit()
        table = CheckIn.__table__
        return {row.id: dict(row._mapping) for row in self.db.session.execute(select(table)).all()}

    def __enter__(self) -> Watch:
        self.before = self.rows()
        self.last_entry = self.db.session.scalar(select(func.max(AuditEntry.id))) or 0
        self._transaction: dict[int, int] = {}
        self._count = 0

        def begin(conn):
            self._count += 1
            self._transaction[id(conn)] = self._count

        def execute(conn, cursor, statement, parameters, context, executemany):
            text = " ".join(statement.split()).upper()
            self.statements.append((self._transaction.get(id(conn), 0), text))

        self._listeners = {"begin": begin, "before_cursor_execute": execute}
        for name, fn in self._listeners.items():
            event.listen(self.db.engine, name, fn)
        return self

    def __exit__(self, *exc) -> None:
        for name, fn in self._listeners.items():
            event.remove(self.db.engine, name, fn)
        after = self.rows()
        self.changed = [row for key, row in after.items() if self.before.get(key) != row]
        self.db.session.expire_all()
        self.entries = list(
            self.db.session.scalars(
                select(AuditEntry).where(AuditEntry.id > self.last_entry).order_by(AuditEntry.id)
            )
        )

    def transactions(self, prefixes: tuple[str, ...]) -> set[int]:
        return {n for n, text in self.statements if text.startswith(prefixes)}


def check(step: str, watch: Watch, organizer, leader=None) -> None:
    """The step changed at least one record, and each change is audited as it must be: by
    the organizer, or by the team ``leader`` (a volunteer; no organizer records it then)."""
    assert watch.changed, f"{step}: changed no record"
    expected = STEPS[step]
    if expected == SELF:
        for row in watch.changed:
            assert row["self_made"] and row["origin"] == "scan", step
            assert row["recorded_by_id"] is None, step
        return
    action, actor, origin = expected
    actor_id = organizer.id if actor == "organizer" else None
    leader_id = leader.id if actor == "leader" else None
    for row in watch.changed:
        wanted = NEW_ROWS.get(step, action) if row["id"] not in watch.before else action
        matching = [
            e
            for e in watch.entries
            if e.checkin_id == row["id"]
            and e.action == wanted
            and e.actor_user_id == actor_id
            and e.actor_volunteer_id == leader_id
        ]
        assert len(matching) == 1, (step, row, [(e.action, e.checkin_id) for e in watch.entries])
        assert matching[0].volunteer_id == row["volunteer_id"], step
        if origin is not None:
            assert row["origin"] == origin, step
            assert row["recorded_by_id"] == actor_id, step
            assert not row["self_made"], step
    unexpected = {e.action for e in watch.entries} - {action} - ALSO.get(step, set())
    assert not unexpected, (step, unexpected)
    assert ALSO.get(step, set()) <= {e.action for e in watch.entries}, step
    # In the same database transaction as the change it records.
    wrote = watch.transactions(("INSERT INTO CHECKINS", "UPDATE CHECKINS"))
    audited = watch.transactions(("INSERT INTO AUDIT_ENTRIES",))
    assert wrote and wrote <= audited, (step, watch.statements)


def test_each_path_writes_its_audit_entry(app, db, client, make, login_as, runner):
    now = utcnow().replace(microsecond=0)
    station = make.unit(name="万福社区新时代文明实践站")
    organizer = make.user(unit=station)
    running = make.activity(station, title="进行中")
    ended = make.activity(station, title="已结束", starts_at=now - timedelta(hours=4))
    long_ago = make.activity(station, title="昨天", starts_at=now - timedelta(days=1))
    elsewhere = make.activity(station, title="别处")

    def person(name: str, phone: str):
        """A volunteer registered through the station (the organizer may act for them)."""
        return with_pin(make.volunteer(name, phone=phone, registered_unit_id=station.id))

    def record(volunteer, activity, **fields):
        row = CheckIn(
            activity=activity, volunteer=volunteer, checked_in_at=activity.starts_at, **fields
        )
        db.session.add(row)
        db.session.flush()
        return row

    people = {n: person(n, f"1381234{i:04d}") for i, n in enumerate("甲乙丙丁戊己庚辛壬癸子丑寅")}
    db.session.commit()
    secret = app.config["SECRET_KEY"]
    scan_path = "/c/" + issue_token(secret, running.checkin_key)
    done = set()

    def step(name):
        done.add(name)
        return Watch(db)

    # The volunteer's own scan, on the page and over the API.
    phone = app.test_client()
    with step("self check-in") as watch:
        token = csrf_token(phone, scan_path)
        data = {"csrf_token": token, "action": "check_in", "phone": "13812340000", "pin": PIN}
        assert phone.post(scan_path, data=data).status_code == 200
    check("self check-in", watch, organizer)
    with step("self check-out") as watch:
        token = csrf_token(phone, scan_path)
        data = {"csrf_token": token, "action": "check_out", "confirmed": "1"}  # 0 h: asked
        response = phone.post(scan_path, data=data)
        assert response.status_code == 200
    check("self check-out", watch, organizer)
    kiosk = {"token": issue_token(secret, running.checkin_key), "phone": "13812340001", "pin": PIN}
    with step("API self check-in") as watch:
        assert client.post("/api/v1/checkin", json=kiosk).status_code == 201
    check("API self check-in", watch, organizer)
    with step("API self check-out") as watch:
        assert client.post("/api/v1/checkout", json=kiosk).status_code == 200
    check("API self check-out", watch, organizer)

    # An organizer at the desk, at the scanner, offline, and over the API.
    login_as(organizer)
    desk = f"/activities/{running.id}/checkin"
    token = csrf_token(client, desk)
    with step("desk check-in") as watch:
        ids = [str(people["丙"].id), str(people["丁"].id)]
        data = {"csrf_token": token, "action": "check_in", "volunteer_ids": ids}
        assert client.post(desk, data=data).status_code == 302
    check("desk check-in", watch, organizer)
    with step("desk check-out") as watch:
        data = {"csrf_token": token, "action": "check_out", "volunteer_ids": ids}
        assert client.post(desk, data=data).status_code == 302
    check("desk check-out", watch, organizer)
    record(people["寅"], elsewhere)
    db.session.commit()
    with step("check-in elsewhere") as watch:
        data = {"csrf_token": token, "action": "check_in", "volunteer_ids": [people["寅"].id]}
        assert client.post(desk, data=data).status_code == 302
    check("check-in elsewhere", watch, organizer)
    assert len(watch.changed) == 2
    with step("walk-in") as watch:
        data = {"csrf_token": token, "name": "新来的", "phone": "13912340000", "consent": "y"}
        data["check_in_now"] = "y"
        response = client.post(f"/activities/{running.id}/walk-in", data=data)
        assert response.status_code == 302
    check("walk-in", watch, organizer)
    scanner = f"/activities/{running.id}/scanner"
    with step("card scan") as watch:
        code = issue_card(secret, people["戊"].card_key)
        data = {"csrf_token": token, "code": code}
        assert client.post(scanner, data=data, headers=JSON).json["ok"]
    check("card scan", watch, organizer)
    with step("queued scan") as watch:
        data = {"csrf_token": token, "code": issue_card(secret, people["己"].card_key)}
        data |= {"action": "check_in", "scanned_at": now.isoformat()}
        assert client.post(scanner, data=data, headers=JSON).json["ok"]
    check("queued scan", watch, organizer)
    with step("queued tick") as watch:
        data = {"csrf_token": token, "volunteer_ids": str(people["庚"].id)}
        data |= {"action": "check_in", "ticked_at": now.isoformat()}
        assert client.post(desk, data=data, headers=JSON).json["ok"]
    check("queued tick", watch, organizer)

    from volunteer_app.api.services import create_token

    _, raw = create_token(organizer, "kiosk", now=now)
    db.session.commit()
    bearer = {"Authorization": f"Bearer {raw}"}
    api = f"/api/v1/activities/{running.id}"
    with step("API check-in") as watch:
        body = {"phone": people["辛"].phone}
        assert client.post(f"{api}/checkins", json=body, headers=bearer).status_code == 201
    check("API check-in", watch, organizer)
    with step("API check-out") as watch:
        assert client.post(f"{api}/checkouts", json=body, headers=bearer).status_code == 200
    check("API check-out", watch, organizer)

    # A team leader, signed in on their phone, at the team's activity.
    from .test_races import phone as leader_phone
    from .test_races import remembered

    team = make.team(station)
    leader = make.volunteer("队长", phone="13812349999")
    make.member(team, leader, leader=True)
    members = [make.member(team, people[n]).volunteer for n in "子丑"]
    led = make.activity(station, title="队伍的活动", team_id=team.id)
    led_phone = leader_phone(app, remembered(app, db, leader))
    db.session.commit()
    lead = f"/lead/activities/{led.id}"
    token = csrf_token(led_phone, lead)
    with step("leader check-in") as watch:
        data = {"csrf_token": token, "action": "check_in", "volunteer_ids": [str(members[0].id)]}
        assert led_phone.post(f"{lead}/checkin", data=data).status_code == 302
    check("leader check-in", watch, organizer, leader)
    with step("leader check-out") as watch:
        data = {"csrf_token": token, "action": "check_out", "volunteer_ids": [str(members[0].id)]}
        assert led_phone.post(f"{lead}/checkin", data=data).status_code == 302
    check("leader check-out", watch, organizer, leader)
    with step("leader card scan") as watch:
        data = {"csrf_token": token, "code": issue_card(secret, members[1].card_key)}
        assert led_phone.post(f"{lead}/scanner", data=data, headers=JSON).json["ok"]
    check("leader card scan", watch, organizer, leader)
    with step("leader queued scan") as watch:
        data = {"csrf_token": token, "code": issue_card(secret, leader.card_key)}
        data |= {"action": "check_in", "scanned_at": now.isoformat()}
        assert led_phone.post(f"{lead}/scanner", data=data, headers=JSON).json["ok"]
    check("leader queued scan", watch, organizer, leader)

    # Corrections and the review of an ended activity's hours.
    asked = record(people["壬"], ended, checked_out_at=ended.starts_at + timedelta(hours=1))
    corrections.request_correction(
        people["壬"], asked, proposed_in_at=None, proposed_out_at=ended.ends_at,
        reason="一直服务到结束", now=now,
    )  # fmt: skip
    open_ = record(people["癸"], ended)
    short = record(people["子"], ended, checked_out_at=ended.starts_at, needs_review=True)
    db.session.commit()
    correction = db.session.scalar(select(Correction))
    with step("correction accepted") as watch:
        url = f"/manage/corrections/{correction.id}"
        data = {"csrf_token": csrf_token(client, url), "decision": "accept", "reason": "已核实"}
        data |= {"checked_in_at": local(ended.starts_at), "checked_out_at": local(ended.ends_at)}
        assert client.post(url, data=data).status_code == 302
    check("correction accepted", watch, organizer)
    page = f"/activities/{ended.id}"
    token = csrf_token(client, page)
    with step("close at end") as watch:
        assert client.post(f"{page}/close-checkins", data={"csrf_token": token}).status_code == 302
    check("close at end", watch, organizer)
    with step("adjust") as watch:
        url = f"{page}/checkins/{open_.id}/adjust"
        data = {"csrf_token": token, "hours": "2.5", "reason": "十一点离开，忘记签退"}
        assert client.post(url, data=data).status_code == 302
    check("adjust", watch, organizer)
    with step("keep") as watch:
        url = f"{page}/checkins/{short.id}/keep"
        assert client.post(url, data={"csrf_token": token}).status_code == 302
    check("keep", watch, organizer)
    with step("add hours") as watch:
        url = f"{page}/volunteers/{people['丑'].id}/add-hours"
        data = {"csrf_token": token, "hours": "2", "reason": "无智能手机，队长确认"}
        assert client.post(url, data=data).status_code == 302
    check("add hours", watch, organizer)
    with step("confirm") as watch:
        assert client.post(f"{page}/confirm", data={"csrf_token": token}).status_code == 302
    check("confirm", watch, organizer)
    with step("void") as watch:
        url = f"{page}/checkins/{short.id}/void"
        data = {"csrf_token": token, "reason": "布置现场时的测试签到"}
        assert client.post(url, data=data).status_code == 302
    check("void", watch, organizer)
    with step("restore") as watch:
        url = f"{page}/checkins/{short.id}/restore"
        assert client.post(url, data={"csrf_token": token}).status_code == 302
    check("restore", watch, organizer)
    sheet = f"{page}/sheet"
    data = {"csrf_token": csrf_token(client, sheet), "reason": "纸质签到表，现场无网络"}
    data |= {"name": ["甲", "纸上的人"], "phone": ["0000", "13912345670"], "hours": ["1.5", ""]}
    checked = client.post(sheet, data=data).get_data(as_text=True)
    with step("paper sheet") as watch:
        data = {"csrf_token": token, "consent": "y"}
        data["token"] = re.search(r'name="token" type="hidden" value="([^"]+)"', checked)[1]
        assert client.post(f"{sheet}/confirm", data=data).status_code == 302
    check("paper sheet", watch, organizer)
    assert len(watch.changed) == 2

    # The same review over the API, on another ended activity; then the cron job.
    other = make.activity(station, title="也结束了", starts_at=now - timedelta(hours=5))
    left_open = record(people["甲"], other)
    marked = record(people["乙"], other, checked_out_at=other.starts_at, needs_review=True)
    late = record(people["丙"], long_ago)
    db.session.commit()
    api = f"/api/v1/activities/{other.id}/hours"
    with step("API close at end") as watch:
        assert client.post(f"{api}/close", json={}, headers=bearer).json["closed"] == 1
    check("API close at end", watch, organizer)
    with step("API adjust") as watch:
        body = {"hours": 1.5, "reason": "提前离开"}
        response = client.post(f"{api}/{left_open.id}", json=body, headers=bearer)
        assert response.status_code == 200 and response.json["changed"]
    check("API adjust", watch, organizer)
    with step("API keep") as watch:
        response = client.post(f"{api}/{marked.id}/keep", json={}, headers=bearer)
        assert response.json["changed"]
    check("API keep", watch, organizer)
    with step("API confirm") as watch:
        assert client.post(f"{api}/confirm", json={}, headers=bearer).json["confirmed"] == 2
    check("API confirm", watch, organizer)
    with step("cron close") as watch:
        result = runner.invoke(args=["close-checkins"])
        assert result.exit_code == 0 and "Closed 1" in result.output, result.output
    check("cron close", watch, organizer)
    assert db.session.get(CheckIn, late.id).checked_out_at is not None
    later = record(people["丁"], long_ago)
    db.session.commit()
    with step("periodic close") as watch:
        from volunteer_app.jobs.periodic import close_checkins_task

        close_checkins_task()  # the consumer's periodic task (the queue is immediate here)
    check("periodic close", watch, organizer)
    assert db.session.get(CheckIn, later.id).checked_out_at is not None

    # Two records of one person merged on the roster: the other's records move.
    kept, twice = person("寅", "13912349998"), person("寅", "13912349999")
    record(twice, long_ago, checked_out_at=long_ago.ends_at, minutes=180)
    record(twice, other, checked_out_at=other.ends_at, minutes=60)
    db.session.commit()
    with step("merge") as watch:
        url = f"/volunteers/{kept.id}"
        data = {"csrf_token": csrf_token(client, url), "other": twice.id, "confirm": "y"}
        data["reason"] = "同一人登记两次"
        assert client.post(f"{url}/merge", data=data).status_code == 302
    check("merge", watch, organizer)
    assert len(watch.changed) == 2

    # A test person registered at the desk, voided: erased, the records voided and kept.
    test_person = make.volunteer("测试", phone="13912349997", registered_unit_id=station.id)
    test_person.registered_by_id = organizer.id
    record(test_person, long_ago, checked_out_at=long_ago.ends_at, minutes=60)
    db.session.commit()
    with step("void registration") as watch:
        url = f"/volunteers/{test_person.id}/void"
        data = {"csrf_token": csrf_token(client, url), "reason": "布置时的测试登记", "confirm": "y"}
        assert client.post(url, data=data).status_code == 302
    check("void registration", watch, organizer)
    assert len(watch.changed) == 1

    assert done == set(STEPS)
