"""The workflow as a table: (type, stage, event) -> (stage, actions), and what is refused."""

import ast
import sys
from datetime import date

import pytest

from drivebot.events import (
    Approved,
    AssignNumber,
    Closed,
    Declined,
    DraftState,
    DropHeldFinal,
    FinalReceived,
    MakeReviewCopy,
    MoveDraftFiles,
    NewFile,
    Note,
    Notice,
    Notify,
    NumberRequested,
    RecordProduct,
    Rejected,
    Reopened,
    RevisionReceived,
    RevisionRequested,
    SignedFinal,
    StageDone,
    StampAndArchive,
    Submitted,
    SupersedeOtherFiles,
    Withdrawn,
)
from drivebot.flows import (
    FLOWS,
    STAGES,
    Audience,
    Folder,
    ProductType,
    detect_product_type,
    flowchart,
    home_folder,
    working_folder,
)
from drivebot.placement import move_means, takes_final_from_inbox
from drivebot.record import LegalRecord
from drivebot.workflow import decide, refusal

PERBUP, KEPBUP, PERDA = ProductType.PERBUP, ProductType.KEPBUP, ProductType.PERDA
FILE = NewFile("f2", "revisi.docx")
FINAL = SignedFinal("f9", "versions/ab/ab.pdf", "ab" * 32)
RECORD = LegalRecord(number=12, year=2026, enacted_on=date(2026, 12, 1))
NOTES = (Note("Analis", "Tarif belum sesuai.", quoted="Pasal 3"),)
SUBMITTED = Submitted(file=NewFile("f1", "Ranperbup.docx"))
REVISION = RevisionReceived(file=FILE)
NEW_VERSION = (
    SupersedeOtherFiles(keep="f2"),
    MoveDraftFiles(Folder.REVIEW, FILE, 2),
    MakeReviewCopy("f2"),
    Notify(Notice.REVISION_RECEIVED, Audience.OPD),
    Notify(Notice.REVISION_RECEIVED_REVIEWERS, Audience.REVIEWERS),
)
APPROVED = (
    MoveDraftFiles(Folder.APPROVED),
    Notify(Notice.APPROVED, Audience.OPD),
    Notify(Notice.APPROVED, Audience.ADMINS),
)
ARCHIVED = (
    RecordProduct(RECORD, PERBUP),
    StampAndArchive(FINAL),
    Notify(Notice.ARCHIVED, Audience.OPD),
    Notify(Notice.ARCHIVED, Audience.ADMINS),
)

NUMBERING = (AssignNumber(), Notify(Notice.NUMBER_RESERVED, Audience.ADMINS))


def ended(why: str) -> tuple:
    return (
        MoveDraftFiles(Folder.ENDED),
        DropHeldFinal(),
        Notify(Notice.ENDED, Audience.OPD, why=why),
        Notify(Notice.ENDED, Audience.ADMINS, why=why),
    )


TABLE = [
    # type, stage, event, stage after, actions
    (
        PERBUP,
        "pengajuan",
        SUBMITTED,
        "pemeriksaan",
        (
            MoveDraftFiles(Folder.REVIEW, NewFile("f1", "Ranperbup.docx"), 2),
            MakeReviewCopy("f1"),
            Notify(Notice.SUBMITTED, Audience.OPD, batched=True),
            Notify(Notice.SUBMITTED_REVIEWERS, Audience.REVIEWERS, batched=True),
        ),
    ),
    (
        PERBUP,
        "pemeriksaan",
        RevisionRequested(notes=NOTES),
        "perbaikan",
        (MoveDraftFiles(Folder.REVISION), Notify(Notice.REVISION_REQUESTED, Audience.OPD, NOTES)),
    ),
    (PERBUP, "perbaikan", REVISION, "pemeriksaan", NEW_VERSION),
    (PERBUP, "pemeriksaan", REVISION, "pemeriksaan", NEW_VERSION),
    (PERBUP, "pemeriksaan", Approved(), "harmonisasi", APPROVED),
    # a decree skips harmonisation; a Perda goes on to the DPRD after it
    (KEPBUP, "pemeriksaan", Approved(), "paraf_koordinasi", APPROVED),
    (PERBUP, "harmonisasi", FinalReceived(final=FINAL, record=RECORD), "arsip", ARCHIVED),
    (PERBUP, "penomoran", FinalReceived(final=FINAL, record=RECORD), "arsip", ARCHIVED),
    # the number asked for before signing (electronic signing), at any stage after approval
    (PERBUP, "harmonisasi", NumberRequested(), "harmonisasi", NUMBERING),
    (PERBUP, "penomoran", NumberRequested(), "penomoran", NUMBERING),
    # a draft ends without becoming a product: its files leave the reviewers' folders
    (PERBUP, "pemeriksaan", Withdrawn(why="diganti"), "ditarik", ended("diganti")),
    (PERBUP, "perbaikan", Declined(why="bukan kewenangan"), "ditolak", ended("bukan kewenangan")),
    (PERBUP, "penomoran", Closed(why="lama"), "ditutup", ended("lama")),
]


@pytest.mark.parametrize(("kind", "stage", "event", "after", "actions"), TABLE)
def test_transition_table(kind, stage, event, after, actions):
    decision = decide(DraftState("HK-2026-0001", kind, stage, 1), event)
    assert decision.state.stage == after
    assert decision.actions == actions


def test_versions_count_submissions_and_revisions():
    state = DraftState("HK-2026-0001", PERBUP)
    for event in (SUBMITTED, RevisionRequested(), REVISION, RevisionRequested(), REVISION):
        state = decide(state, event).state
    assert (state.stage, state.version) == ("pemeriksaan", 3)


@pytest.mark.parametrize(
    ("kind", "done_in_order"),
    [
        (PERBUP, ["harmonisasi", "paraf_koordinasi", "penetapan"]),
        (KEPBUP, ["paraf_koordinasi", "penetapan"]),
        (
            PERDA,
            [
                "harmonisasi",
                "pembahasan_dprd",
                "fasilitasi_gubernur",
                "persetujuan_bersama",
                "noreg",
                "paraf_koordinasi",
                "penetapan",
            ],
        ),
    ],
)
def test_tracked_stages_lead_to_numbering(kind, done_in_order):
    state = decide(DraftState("R", kind, "pemeriksaan", 1), Approved()).state
    for stage in done_in_order:
        assert state.stage == stage
        decision = decide(state, StageDone(stage=stage))
        # The Regent's signature (penetapan) is when the division numbers the product.
        numbering = NUMBERING if stage == "penetapan" else ()
        assert decision.actions == (
            Notify(Notice.STAGE_DONE, Audience.OPD, stage=stage),
            Notify(Notice.STAGE_DONE, Audience.ADMINS, stage=stage),
            *numbering,
        )
        state = decision.state
    assert state.stage == "penomoran"


def test_tracked_stage_reported_out_of_order_is_remembered():
    state = DraftState("R", PERBUP, "harmonisasi", 1)
    state = decide(state, StageDone(stage="paraf_koordinasi")).state
    assert state.stage == "harmonisasi" and "paraf_koordinasi" in state.done
    state = decide(state, StageDone(stage="harmonisasi")).state
    assert state.stage == "penetapan"


def test_the_final_closes_every_tracked_stage():
    state = decide(
        DraftState("R", PERDA, "harmonisasi", 2), FinalReceived(final=FINAL, record=RECORD)
    ).state
    assert state.stage == "arsip"
    assert state.done == {key for key in FLOWS[PERDA] if STAGES[key].tracked}
    assert all(row_state == "done" for _, row_state in flowchart(PERDA, "arsip", state.done)[:-1])


@pytest.mark.parametrize(
    ("stage", "event", "reason"),
    [
        ("pemeriksaan", SUBMITTED, "already_registered"),
        ("pemeriksaan", FinalReceived(final=FINAL, record=RECORD), "not_yet_approved"),
        ("perbaikan", FinalReceived(final=FINAL, record=RECORD), "not_yet_approved"),
        ("perbaikan", Approved(), "not_under_review"),
        ("harmonisasi", REVISION, "not_open_for_revision"),
        ("harmonisasi", RevisionRequested(), "not_under_review"),
        ("arsip", FinalReceived(final=FINAL, record=RECORD), "not_yet_approved"),
        ("arsip", REVISION, "not_open_for_revision"),
        ("arsip", Withdrawn(why="x"), "not_open"),
        ("ditarik", Closed(why="x"), "not_open"),
        ("ditarik", Approved(), "not_under_review"),
        ("pemeriksaan", Reopened(), "not_ended"),
    ],
)
def test_refusals(stage, event, reason):
    state = DraftState("R", PERBUP, stage, 1)
    with pytest.raises(Rejected) as refused:
        decide(state, event)
    assert refused.value.reason == reason
    assert refusal(state, type(event)) == reason  # what a command checks before moving a file


@pytest.mark.parametrize("stage", ["pengundangan", "pembahasan_dprd", "pemeriksaan", "nope"])
def test_a_decree_has_no_promulgation_or_dprd_stage(stage):
    with pytest.raises(Rejected):
        decide(DraftState("R", KEPBUP, "paraf_koordinasi", 1), StageDone(stage=stage))


def test_a_stage_cannot_be_marked_done_twice():
    state = decide(DraftState("R", PERBUP, "harmonisasi", 1), StageDone(stage="harmonisasi")).state
    with pytest.raises(Rejected):
        decide(state, StageDone(stage="harmonisasi"))


def test_flowchart_marks_the_loop_and_the_current_stage():
    rows = dict((stage.key, state) for stage, state in flowchart(PERBUP, "pemeriksaan"))
    assert rows["pengajuan"] == "done" and rows["pemeriksaan"] == "current"
    assert rows["perbaikan"] == "todo"
    rows = dict((stage.key, state) for stage, state in flowchart(PERBUP, "perbaikan"))
    assert rows["pemeriksaan"] == "done" and rows["perbaikan"] == "current"


@pytest.mark.parametrize(
    ("text", "kind"),
    [
        ("RANCANGAN PERATURAN BUPATI SERAM BAGIAN TIMUR", PERBUP),
        ("Ranperbup Retribusi Kesehatan", PERBUP),
        ("RANCANGAN KEPUTUSAN BUPATI tentang Tim Percepatan", KEPBUP),
        ("Ranperda Pajak Daerah", PERDA),
        ("RANCANGAN PERATURAN DAERAH KABUPATEN", PERDA),
        ("Keputusan Bupati yang melaksanakan Peraturan Daerah", KEPBUP),  # the first named wins
        ("Surat undangan rapat", None),
    ],
)
def test_detect_product_type(text, kind):
    assert detect_product_type(text) == kind


def test_what_folders_mean():
    assert working_folder("pemeriksaan") is Folder.REVIEW
    assert working_folder("perbaikan") is Folder.REVISION
    assert working_folder("harmonisasi") is None
    assert move_means(Folder.REVISION) is RevisionRequested
    assert move_means(Folder.APPROVED) is Approved
    assert move_means(Folder.REVIEW) is None and move_means(Folder.SUPERSEDED) is None


@pytest.mark.parametrize(
    ("stage", "own_opd", "pdf", "final"),
    [
        ("harmonisasi", True, True, True),
        ("penomoran", True, True, True),
        ("harmonisasi", False, True, False),  # another OPD cannot send this draft's final
        ("harmonisasi", True, False, False),  # a .docx after approval is not a final
        ("pemeriksaan", True, True, False),  # not approved yet: a revision, not a final
        ("arsip", True, True, False),
    ],
)
def test_what_counts_as_a_final_in_the_inbox(stage, own_opd, pdf, final):
    assert takes_final_from_inbox(stage, own_opd, pdf) is final


def _loaded_after(module: str) -> list[str]:
    import subprocess

    code = (
        f"import sys, {module}; "
        "print(sorted(m for m in sys.modules if m.startswith(('googleapiclient', 'google.', "
        "'httplib2', 'drivebot', 'sqlite3', 'docx', 'pypdf'))))"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True)
    return ast.literal_eval(out.stdout)  # a printed list of module names


def test_the_workflow_imports_no_backend():
    # The stages as data and the legal record's pure rules, nothing else of drivebot.
    assert _loaded_after("drivebot.workflow") == [
        "drivebot",
        "drivebot.events",
        "drivebot.flows",
        "drivebot.legal_text",
        "drivebot.record",
        "drivebot.workflow",
    ]


@pytest.mark.parametrize(
    "module",
    [
        "drivebot.local",
        "drivebot.drive",
        "drivebot.gmail",
        "drivebot.app.application",
        "drivebot.cli.main",
    ],
)
def test_nothing_but_the_google_backend_loads_the_google_client(module):
    """Dependencies point one way: the local backend, the ports, the application and the CLI
    run without the Google client library (bootstrap imports it for backend "google" only)."""
    loaded = _loaded_after(module)
    assert not [m for m in loaded if m.startswith(("googleapiclient", "google.", "httplib2"))]


@pytest.mark.parametrize("stage", ["pemeriksaan", "perbaikan", "paraf_koordinasi"])
def test_an_ended_draft_reopens_where_it_ended(stage):
    state = DraftState("R", PERBUP, stage, 2, frozenset({"harmonisasi"}))
    ended_state = decide(state, Withdrawn(why="x")).state
    assert (ended_state.stage, ended_state.ended_from) == ("ditarik", stage)
    decision = decide(ended_state, Reopened())
    assert decision.state == state
    assert decision.actions[0] == MoveDraftFiles(home_folder(stage))
