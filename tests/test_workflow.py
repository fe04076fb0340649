"""The workflow as a table: (type, stage, event) -> (stage, actions), and what is refused."""

import sys

import pytest

from drivebot.workflow import (
    FLOWS,
    STAGES,
    AssignNumber,
    Audience,
    DraftState,
    Event,
    EventKind,
    Folder,
    MoveWorkingFile,
    Notify,
    ProductType,
    Rejected,
    StampAndArchive,
    SupersedePreviousVersion,
    decide,
    detect_product_type,
    flowchart,
)

PERBUP, KEPBUP, PERDA = ProductType.PERBUP, ProductType.KEPBUP, ProductType.PERDA
E = EventKind

TABLE = [
    # type, stage, event, stage after, actions
    (PERBUP, "pengajuan", E.SUBMITTED, "pemeriksaan",
     (MoveWorkingFile(Folder.REVIEW), Notify("submitted", Audience.OPD),
      Notify("submitted_reviewers", Audience.REVIEWERS))),
    (PERBUP, "pemeriksaan", E.REVISION_REQUESTED, "perbaikan",
     (MoveWorkingFile(Folder.REVISION), Notify("revision_requested", Audience.OPD))),
    (PERBUP, "perbaikan", E.REVISION_RECEIVED, "pemeriksaan",
     (SupersedePreviousVersion(), MoveWorkingFile(Folder.REVIEW),
      Notify("revision_received", Audience.OPD),
      Notify("revision_received_reviewers", Audience.REVIEWERS))),
    (PERBUP, "pemeriksaan", E.REVISION_RECEIVED, "pemeriksaan",
     (SupersedePreviousVersion(), MoveWorkingFile(Folder.REVIEW),
      Notify("revision_received", Audience.OPD),
      Notify("revision_received_reviewers", Audience.REVIEWERS))),
    (PERBUP, "pemeriksaan", E.APPROVED, "harmonisasi",
     (MoveWorkingFile(Folder.APPROVED), Notify("approved", Audience.OPD),
      Notify("approved", Audience.ADMINS))),
    # a decree skips harmonisation; a Perda goes on to the DPRD after it
    (KEPBUP, "pemeriksaan", E.APPROVED, "paraf_koordinasi",
     (MoveWorkingFile(Folder.APPROVED), Notify("approved", Audience.OPD),
      Notify("approved", Audience.ADMINS))),
    (PERBUP, "harmonisasi", E.FINAL_RECEIVED, "arsip",
     (AssignNumber(), StampAndArchive(), Notify("archived", Audience.OPD),
      Notify("archived", Audience.ADMINS))),
    (PERBUP, "penomoran", E.FINAL_RECEIVED, "arsip",
     (AssignNumber(), StampAndArchive(), Notify("archived", Audience.OPD),
      Notify("archived", Audience.ADMINS))),
]


@pytest.mark.parametrize(("kind", "stage", "event", "after", "actions"), TABLE)
def test_transition_table(kind, stage, event, after, actions):
    decision = decide(DraftState("HK-2026-0001", kind, stage, 1), Event(event))
    assert decision.state.stage == after
    assert decision.actions == actions


def test_versions_count_submissions_and_revisions():
    state = DraftState("HK-2026-0001", PERBUP)
    for event in (E.SUBMITTED, E.REVISION_REQUESTED, E.REVISION_RECEIVED, E.REVISION_REQUESTED,
                  E.REVISION_RECEIVED):
        state = decide(state, Event(event)).state
    assert (state.stage, state.version) == ("pemeriksaan", 3)


@pytest.mark.parametrize(("kind", "done_in_order"), [
    (PERBUP, ["harmonisasi", "paraf_koordinasi", "penetapan"]),
    (KEPBUP, ["paraf_koordinasi", "penetapan"]),
    (PERDA, ["harmonisasi", "pembahasan_dprd", "fasilitasi_gubernur", "persetujuan_bersama",
             "paraf_koordinasi", "penetapan"]),
])
def test_tracked_stages_lead_to_numbering(kind, done_in_order):
    state = decide(DraftState("R", kind, "pemeriksaan", 1), Event(E.APPROVED)).state
    for stage in done_in_order:
        assert state.stage == stage
        decision = decide(state, Event(E.STAGE_DONE, stage=stage))
        assert decision.actions == (Notify("stage_done", Audience.OPD),
                                    Notify("stage_done", Audience.ADMINS))
        state = decision.state
    assert state.stage == "penomoran"


def test_tracked_stage_reported_out_of_order_is_remembered():
    state = DraftState("R", PERBUP, "harmonisasi", 1)
    state = decide(state, Event(E.STAGE_DONE, stage="paraf_koordinasi")).state
    assert state.stage == "harmonisasi" and "paraf_koordinasi" in state.done
    state = decide(state, Event(E.STAGE_DONE, stage="harmonisasi")).state
    assert state.stage == "penetapan"


def test_the_final_closes_every_tracked_stage():
    state = decide(DraftState("R", PERDA, "harmonisasi", 2), Event(E.FINAL_RECEIVED)).state
    assert state.stage == "arsip"
    assert state.done == {key for key in FLOWS[PERDA] if STAGES[key].tracked}
    assert all(row_state == "done" for _, row_state in flowchart(PERDA, "arsip", state.done)[:-1])


@pytest.mark.parametrize(("stage", "event", "reason"), [
    ("pemeriksaan", E.SUBMITTED, "already_registered"),
    ("pemeriksaan", E.FINAL_RECEIVED, "not_yet_approved"),
    ("perbaikan", E.FINAL_RECEIVED, "not_yet_approved"),
    ("perbaikan", E.APPROVED, "not_under_review"),
    ("harmonisasi", E.REVISION_RECEIVED, "not_open_for_revision"),
    ("harmonisasi", E.REVISION_REQUESTED, "not_under_review"),
    ("arsip", E.FINAL_RECEIVED, "not_yet_approved"),
    ("arsip", E.REVISION_RECEIVED, "not_open_for_revision"),
])
def test_refusals(stage, event, reason):
    with pytest.raises(Rejected) as refused:
        decide(DraftState("R", PERBUP, stage, 1), Event(event))
    assert refused.value.reason_key == reason


@pytest.mark.parametrize("stage", ["pengundangan", "pembahasan_dprd", "pemeriksaan", "nope"])
def test_a_decree_has_no_promulgation_or_dprd_stage(stage):
    with pytest.raises(Rejected):
        decide(DraftState("R", KEPBUP, "paraf_koordinasi", 1), Event(E.STAGE_DONE, stage=stage))


def test_a_stage_cannot_be_marked_done_twice():
    state = decide(DraftState("R", PERBUP, "harmonisasi", 1),
                   Event(E.STAGE_DONE, stage="harmonisasi")).state
    with pytest.raises(Rejected):
        decide(state, Event(E.STAGE_DONE, stage="harmonisasi"))


def test_flowchart_marks_the_loop_and_the_current_stage():
    rows = dict((stage.key, state) for stage, state in flowchart(PERBUP, "pemeriksaan"))
    assert rows["pengajuan"] == "done" and rows["pemeriksaan"] == "current"
    assert rows["perbaikan"] == "todo"
    rows = dict((stage.key, state) for stage, state in flowchart(PERBUP, "perbaikan"))
    assert rows["pemeriksaan"] == "done" and rows["perbaikan"] == "current"


@pytest.mark.parametrize(("text", "kind"), [
    ("RANCANGAN PERATURAN BUPATI SERAM BAGIAN TIMUR", PERBUP),
    ("Ranperbup Retribusi Kesehatan", PERBUP),
    ("RANCANGAN KEPUTUSAN BUPATI tentang Tim Percepatan", KEPBUP),
    ("Ranperda Pajak Daerah", PERDA),
    ("RANCANGAN PERATURAN DAERAH KABUPATEN", PERDA),
    ("Keputusan Bupati yang melaksanakan Peraturan Daerah", KEPBUP),  # the first named wins
    ("Surat undangan rapat", None),
])
def test_detect_product_type(text, kind):
    assert detect_product_type(text) == kind


def test_the_workflow_imports_no_backend():
    import subprocess
    code = ("import sys, drivebot.workflow; "
            "print(sorted(m for m in sys.modules if m.startswith(('googleapiclient', 'drivebot', "
            "'sqlite3', 'docx', 'pypdf'))))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    assert out.stdout.strip() == "['drivebot', 'drivebot.workflow']"
