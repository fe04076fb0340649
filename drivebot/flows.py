"""The review process's stages as data: one flow per product type, and the folders it uses.

Stages follow the legal division's published flowchart (bagan alur): every product type has
its own flow, an ordered tuple of stage keys. Stages done outside the legal division
(harmonisasi, paraf koordinasi, penetapan, pengundangan, and a Perda's DPRD and governor steps)
are *tracked*: someone marks them done, and the arrival of the signed final closes whichever are
still open. What people read about a stage (its name, who acts) is in the message catalogue
(drivebot/i18n), keyed by the stage's key. Pure data and pure functions; drivebot.workflow
decides on top of it.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from enum import StrEnum


class ProductType(StrEnum):
    PERBUP = "perbup"
    KEPBUP = "kepbup"
    PERDA = "perda"


@dataclass(frozen=True)
class Stage:
    key: str
    tracked: bool = False  # done outside the legal division: someone marks it done


STAGES: dict[str, Stage] = {
    stage.key: stage
    for stage in (
        Stage("pengajuan"),
        Stage("pemeriksaan"),
        Stage("perbaikan"),
        Stage("harmonisasi", tracked=True),
        Stage("pembahasan_dprd", tracked=True),
        Stage("fasilitasi_gubernur", tracked=True),
        Stage("persetujuan_bersama", tracked=True),
        Stage("noreg", tracked=True),  # a Perda's register number from the governor
        Stage("paraf_koordinasi", tracked=True),
        Stage("penetapan", tracked=True),
        Stage("penomoran"),
        Stage("pengundangan", tracked=True),
        Stage("autentikasi"),
        Stage("arsip"),
        # Where a draft ends without becoming a product (drivebot.events.Ended).
        Stage("ditarik"),  # withdrawn by its OPD
        Stage("ditolak"),  # declined by the division
        Stage("ditutup"),  # closed: left untouched too long
    )
}
ENDED = ("ditarik", "ditolak", "ditutup")

FLOWS: dict[ProductType, tuple[str, ...]] = {
    ProductType.PERBUP: (
        "pengajuan", "pemeriksaan", "perbaikan", "harmonisasi", "paraf_koordinasi", "penetapan",
        "penomoran", "pengundangan", "autentikasi", "arsip",
    ),
    # A decree is not promulgated, and the 2022 harmonisation duty covers only regulations.
    ProductType.KEPBUP: (
        "pengajuan", "pemeriksaan", "perbaikan", "paraf_koordinasi", "penetapan",
        "penomoran", "autentikasi", "arsip",
    ),
    ProductType.PERDA: (
        "pengajuan", "pemeriksaan", "perbaikan", "harmonisasi", "pembahasan_dprd",
        "fasilitasi_gubernur", "persetujuan_bersama", "noreg", "paraf_koordinasi", "penetapan",
        "penomoran", "pengundangan", "autentikasi", "arsip",
    ),
}  # fmt: skip

# Most specific patterns first: "Peraturan Bupati" must not be read as a bare "Peraturan".
_TYPE_PATTERNS = (
    (ProductType.KEPBUP, re.compile(r"\b(keputusan\s+bupati|ran\s*kepbup|kepbup)\b", re.I)),
    (ProductType.PERDA, re.compile(r"\b(peraturan\s+daerah|ran\s*perda|perda)\b", re.I)),
    (ProductType.PERBUP, re.compile(r"\b(peraturan\s+bupati|ran\s*perbup|perbup)\b", re.I)),
)


def detect_product_type(text: str) -> ProductType | None:
    """The product type named in a draft's title or file name, or None when none is named."""
    found = [
        (match.start(), kind) for kind, pattern in _TYPE_PATTERNS if (match := pattern.search(text))
    ]
    return min(found)[1] if found else None


class Audience(StrEnum):
    OPD = "opd"
    REVIEWERS = "reviewers"
    ADMINS = "admins"


class Folder(StrEnum):
    """The roles of the shared folder's subfolders; each backend maps them to real folders."""

    INBOX = "inbox"
    REVIEW = "review"
    REVISION = "revision"
    APPROVED = "approved"
    FINAL = "final"
    ARCHIVE = "archive"
    QUARANTINE = "quarantine"
    SUPERSEDED = "superseded"
    ENDED = "ended"  # the files of drafts withdrawn, declined or closed


# The folders drivebot watches for input and for reviewers' moves.
WATCHED = (Folder.INBOX, Folder.REVIEW, Folder.REVISION, Folder.APPROVED, Folder.FINAL)


# Stage groups: the review and revision loop is one group each; every stage between approval
# and the final's arrival is one group (waiting for the final).
REVIEW = "review"  # pemeriksaan
REVISION = "revision"  # perbaikan
AWAITING_FINAL = "awaiting_final"  # a tracked stage, or numbering (waiting for the signed final)
ENDED_GROUP = "ended"  # withdrawn, declined or closed


def stage_group(stage: str) -> str:
    if stage == "pemeriksaan":
        return REVIEW
    if stage == "perbaikan":
        return REVISION
    if STAGES[stage].tracked or stage == "penomoran":
        return AWAITING_FINAL
    if stage in ENDED:
        return ENDED_GROUP
    return stage


def next_open_stage(flow: tuple[str, ...], done: frozenset[str]) -> str:
    """The first tracked stage before numbering that is not done, else numbering."""
    numbering = flow.index("penomoran")
    for key in flow[:numbering]:
        if STAGES[key].tracked and key not in done:
            return key
    return "penomoran"


def awaits_final(stage: str) -> bool:
    """Approved, and waiting for the signed final (some tracked stages may still be open)."""
    return stage_group(stage) == AWAITING_FINAL


def is_open(stage: str) -> bool:
    """A draft still needs someone's work (it is neither archived nor ended)."""
    return stage != "arsip" and stage not in ENDED


def flowchart(
    product_type: ProductType, stage: str, done: frozenset[str] = frozenset()
) -> list[tuple[Stage, str]]:
    """The flow's stages, each with its state for display: "done", "current" or "todo".

    Review and revision form a loop: while a draft is in revision, examination counts as done
    once, and it is "current" again when the revision comes back."""
    flow = FLOWS[product_type]
    # An ended draft stands at no stage: only the tracked stages it completed show as done.
    position = flow.index(stage) if stage in flow else -1
    rows = []
    for index, key in enumerate(flow):
        looped_back = key == "perbaikan" and stage == "pemeriksaan"
        if key == stage:
            state = "current"
        elif (STAGES[key].tracked and key in done) or (index < position and not looped_back):
            state = "done"
        else:
            state = "todo"
        rows.append((STAGES[key], state))
    return rows


# Where a draft's working file sits while it is being examined or revised.
_WORKING_FOLDER = {"pemeriksaan": Folder.REVIEW, "perbaikan": Folder.REVISION}


def working_folder(stage: str) -> Folder | None:
    """The folder a draft's working file belongs in at `stage`, when it has one."""
    return _WORKING_FOLDER.get(stage)


def home_folder(stage: str) -> Folder | None:
    """Where a draft's own file belongs at `stage`: its working folder, or once approved the
    approved folder (None once archived or ended). A file moved back there decides nothing."""
    if awaits_final(stage):
        return Folder.APPROVED
    return working_folder(stage)
