"""The state store as one unit of work: every write inside a transaction, all or nothing."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from drivebot.errors import ConfigError
from drivebot.flows import ProductType
from drivebot.state.outbox import MoveFile, SendEmail
from drivebot.state.rows import FileRole, InputStatus, VersionKind
from drivebot.state.store import Store

MOMENT = datetime(2026, 12, 1, 2, 30, tzinfo=UTC)


class Crash(Exception):
    pass


def _write_everything(store: Store) -> None:
    store.add_draft("HK-2026-0001", "Dinas Kesehatan", "Judul", ProductType.PERBUP)
    store.track_file("f1", "HK-2026-0001", FileRole.WORKING, "review", "a.docx")
    store.mark_processed("drive:f1:abc", InputStatus.DONE, "HK-2026-0001")
    store.enqueue("HK-2026-0001", MoveFile("f1", "review"))
    store.audit("HK-2026-0001", "test", "submitted", "pengajuan", "pemeriksaan")
    store.next_value("reg:2026")
    store.put("drive_cursor", "42")


def _nothing_in(store: Store) -> None:
    assert store.drafts() == []
    assert store.file("f1") is None
    assert store.processed("drive:f1:abc") is None
    assert store.pending() == []
    assert store.history("HK-2026-0001") == []
    assert store.get("drive_cursor") is None


def test_a_failed_transaction_leaves_nothing_behind(tmp_path):
    path = tmp_path / "state.sqlite3"
    store = Store(path)
    with pytest.raises(Crash), store.transaction():
        _write_everything(store)
        raise Crash
    _nothing_in(store)
    _nothing_in(Store(path))  # nor on disk, for the next process
    with store.transaction():  # and the store still works afterwards
        _write_everything(store)
    assert [d.reg for d in Store(path).drafts()] == ["HK-2026-0001"]


def test_a_nested_failure_undoes_the_outer_transaction_too(tmp_path):
    store = Store(tmp_path / "state.sqlite3")
    with pytest.raises(Crash), store.transaction():
        store.put("a", "1")
        with store.transaction():
            _write_everything(store)
        raise Crash
    assert store.get("a") is None
    _nothing_in(store)


def test_a_write_outside_a_transaction_is_refused(tmp_path):
    store = Store(tmp_path / "state.sqlite3")
    with pytest.raises(RuntimeError, match="outside a transaction"):
        store.put("drive_cursor", "1")
    with pytest.raises(RuntimeError, match="outside a transaction"):
        store.enqueue(None, SendEmail("<m@x>", "digest", ("a@x.example",)), b"raw")
    assert store.get("drive_cursor") is None and store.pending() == []


def test_a_read_only_store_sees_what_others_commit_and_cannot_write(tmp_path):
    path = tmp_path / "state.sqlite3"
    writer = Store(path)
    reader = Store(path, readonly=True)
    assert reader.drafts() == []
    with writer.transaction():
        _write_everything(writer)
    assert [d.reg for d in reader.drafts()] == ["HK-2026-0001"]
    with pytest.raises(RuntimeError, match="read-only"), reader.transaction():
        pass


def test_a_read_only_store_needs_an_existing_state_file(tmp_path):
    with pytest.raises(ConfigError, match="drivebot init"):
        Store(tmp_path / "nope.sqlite3", readonly=True)
    assert not (tmp_path / "nope.sqlite3").exists()


def test_times_come_from_the_injected_clock(tmp_path):
    store = Store(tmp_path / "state.sqlite3", clock=lambda: MOMENT)
    with store.transaction():
        _write_everything(store)
    [draft] = store.drafts()
    assert draft.created_at == draft.stage_since == "2026-12-01T02:30:00+00:00"
    assert store.history("HK-2026-0001")[0].at == "2026-12-01T02:30:00+00:00"
    assert store.processed("drive:f1:abc").at == "2026-12-01T02:30:00+00:00"
    assert store.outbox_rows()[0].created_at == "2026-12-01T02:30:00+00:00"


def test_rows_are_typed(tmp_path):
    store = Store(tmp_path / "state.sqlite3")
    with store.transaction():
        _write_everything(store)
    assert store.file("f1").role is FileRole.WORKING
    assert store.processed("drive:f1:abc").status is InputStatus.DONE
    [item] = store.pending()
    assert item.effect == MoveFile("f1", "review")


def test_a_resubmission_is_found_by_its_hash_through_an_index(tmp_path):
    """Every new input is looked up by its SHA-256 among all versions ever received: without
    an index that read every version, 2.6 ms per draft at 10,000 and growing."""
    store = Store(tmp_path / "state.db")
    with store.transaction():
        for n in range(3):
            store.add_draft(f"R{n}", "dinkes", "Ranperbup", ProductType.PERBUP)
            store.add_version(f"R{n}", 1, VersionKind.DRAFT, "a.docx", f"{n:064x}", 1, "a")
    found, plan = planned(store, lambda: store.draft_with_version(f"{1:064x}", "dinkes"))
    assert found is not None and found.reg == "R1"
    assert any("USING INDEX versions_by_sha256" in step for step in plan), plan


def planned(store, read):
    """What `read` returns, and the query plan of the one statement it ran."""
    statements: list[str] = []
    store.db.set_trace_callback(statements.append)
    found = read()
    store.db.set_trace_callback(None)
    (lookup,) = statements  # the store's own statement, its parameters filled in
    return found, [row[3] for row in store.db.execute(f"EXPLAIN QUERY PLAN {lookup}")]


def test_a_drafts_history_is_read_through_an_index(tmp_path):
    """The reminders' daily pass and the board read every open draft's history: without an
    index each read the whole audit log (3 ms a draft at 10,000)."""
    store = Store(tmp_path / "state.db")
    with store.transaction():
        for n in range(3):
            store.add_draft(f"R{n}", "dinkes", "Ranperbup", ProductType.PERBUP)
            store.audit(f"R{n}", "OPD", "submitted", "pengajuan", "pemeriksaan")
    history, plan = planned(store, lambda: store.history("R1"))
    assert [entry.reg for entry in history] == ["R1"]
    assert any("USING INDEX audit_by_reg" in step for step in plan), plan
