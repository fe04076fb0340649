"""The review process as data, and the one pure function that moves a draft through it.

`decide(draft, event)` returns the draft's next state and the actions the shell must carry out
(move a file, send an e-mail, assign a product number, stamp, archive). It performs no I/O and
imports nothing else of drivebot, so the whole process can be read and tested as a table.

Stages follow the legal division's published flowchart (see DOMAIN.md): every product type has
its own flow, an ordered tuple of stage keys. Stages done outside the legal division
(harmonisasi, paraf koordinasi, penetapan, pengundangan, and a Perda's DPRD and governor steps)
are *tracked*: someone marks them done, and the arrival of the signed final closes whichever are
still open.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from enum import StrEnum


class ProductType(StrEnum):
    PERBUP = "perbup"
    KEPBUP = "kepbup"
    PERDA = "perda"


@dataclass(frozen=True)
class Stage:
    key: str
    label_id: str
    label_en: str
    actor_id: str
    actor_en: str
    tracked: bool = False

    def label(self, lang: str) -> str:
        return self.label_en if lang == "en" else self.label_id

    def actor(self, lang: str) -> str:
        return self.actor_en if lang == "en" else self.actor_id


_STAGE_LIST = (
    Stage("pengajuan", "Pengajuan", "Submission", "OPD", "Agency (OPD)"),
    Stage("pemeriksaan", "Pemeriksaan", "Examination", "Bagian Hukum", "Legal division"),
    Stage("perbaikan", "Perbaikan", "Revision", "OPD", "Agency (OPD)"),
    Stage("harmonisasi", "Harmonisasi", "Harmonisation",
          "Kanwil Kementerian Hukum", "Regional office, Ministry of Law", tracked=True),
    Stage("pembahasan_dprd", "Pembahasan DPRD", "DPRD deliberation", "DPRD", "DPRD", tracked=True),
    Stage("fasilitasi_gubernur", "Fasilitasi Gubernur", "Governor's review",
          "Gubernur", "Governor", tracked=True),
    Stage("persetujuan_bersama", "Persetujuan bersama", "Joint approval",
          "Bupati dan DPRD", "Regent and DPRD", tracked=True),
    Stage("paraf_koordinasi", "Paraf koordinasi", "Coordination initials",
          "Kepala OPD, Kabag Hukum, Asisten, Sekda",
          "Agency head, legal head, assistant, secretary",
          tracked=True),
    Stage("penetapan", "Penetapan", "Signing", "Bupati", "Regent", tracked=True),
    Stage("penomoran", "Penomoran", "Numbering", "Bagian Hukum", "Legal division"),
    Stage("pengundangan", "Pengundangan", "Promulgation", "Sekretaris Daerah", "Regional secretary",
          tracked=True),
    Stage("autentikasi", "Autentikasi", "Authentication", "Bagian Hukum", "Legal division"),
    Stage("arsip", "Arsip & publikasi", "Archive & publication", "Bagian Hukum", "Legal division"),
)
STAGES: dict[str, Stage] = {stage.key: stage for stage in _STAGE_LIST}

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
        "fasilitasi_gubernur", "persetujuan_bersama", "paraf_koordinasi", "penetapan",
        "penomoran", "pengundangan", "autentikasi", "arsip",
    ),
}

PRODUCT_NAMES: dict[ProductType, dict[str, str]] = {
    ProductType.PERBUP: {"id": "Peraturan Bupati", "en": "Regent Regulation",
                         "draft": "Ranperbup", "short": "Perbup"},
    ProductType.KEPBUP: {"id": "Keputusan Bupati", "en": "Regent Decree",
                         "draft": "Rankepbup", "short": "Kepbup"},
    ProductType.PERDA: {"id": "Peraturan Daerah", "en": "Regional Regulation",
                        "draft": "Ranperda", "short": "Perda"},
}

# Most specific patterns first: "Peraturan Bupati" must not be read as a bare "Peraturan".
_TYPE_PATTERNS = (
    (ProductType.KEPBUP, re.compile(r"\b(keputusan\s+bupati|ran\s*kepbup|kepbup)\b", re.I)),
    (ProductType.PERDA, re.compile(r"\b(peraturan\s+daerah|ran\s*perda|perda)\b", re.I)),
    (ProductType.PERBUP, re.compile(r"\b(peraturan\s+bupati|ran\s*perbup|perbup)\b", re.I)),
)


def detect_product_type(text: str) -> ProductType | None:
    """The product type named in a draft's title or file name, or None when none is named."""
    found = [(match.start(), kind) for kind, pattern in _TYPE_PATTERNS
             if (match := pattern.search(text))]
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


# --- actions: what the shell must do --------------------------------------------------------

@dataclass(frozen=True)
class MoveWorkingFile:
    to: Folder


@dataclass(frozen=True)
class SupersedePreviousVersion:
    """Move the version the revision replaces out of the reviewers' way (it stays on record)."""


@dataclass(frozen=True)
class Notify:
    template: str
    audience: Audience


@dataclass(frozen=True)
class AssignNumber:
    pass


@dataclass(frozen=True)
class StampAndArchive:
    """Stamp the signed final (watermark, QR, footer) and put it, locked, in the archive."""


Action = MoveWorkingFile | SupersedePreviousVersion | Notify | AssignNumber | StampAndArchive


# --- events: what happened ------------------------------------------------------------------

class EventKind(StrEnum):
    SUBMITTED = "submitted"
    REVISION_REQUESTED = "revision_requested"
    REVISION_RECEIVED = "revision_received"
    APPROVED = "approved"
    STAGE_DONE = "stage_done"
    FINAL_RECEIVED = "final_received"


@dataclass(frozen=True)
class Event:
    kind: EventKind
    actor: str = "drivebot"
    reason: str = ""
    stage: str | None = None  # for STAGE_DONE: which tracked stage was completed


@dataclass(frozen=True)
class DraftState:
    reg: str
    product_type: ProductType
    stage: str = "pengajuan"
    version: int = 0
    done: frozenset[str] = field(default_factory=frozenset)  # tracked stages marked done


@dataclass(frozen=True)
class Decision:
    state: DraftState
    actions: tuple[Action, ...]


class Rejected(Exception):
    """The event does not apply at the draft's current stage; `reason_key` says why."""

    def __init__(self, reason_key: str, stage: str, event: EventKind):
        super().__init__(f"{event.value} not allowed at stage {stage}: {reason_key}")
        self.reason_key = reason_key
        self.stage = stage
        self.event = event


# --- the transition table ---------------------------------------------------------------------
# Keyed by (stage group, event). A rule's target is either a stage key or NEXT_OPEN, the first
# tracked stage of the flow that is not yet done (or "penomoran" when all are).

NEXT_OPEN = "<next open tracked stage>"
REVIEW_STAGES = "review"      # pemeriksaan
REVISION_STAGES = "revision"  # perbaikan
AWAITING_FINAL = "awaiting_final"  # a tracked stage, or numbering (waiting for the signed final)


@dataclass(frozen=True)
class Rule:
    target: str
    actions: tuple[Action, ...]
    bump_version: bool = False


_NEW_VERSION = (
    SupersedePreviousVersion(),
    MoveWorkingFile(Folder.REVIEW),
    Notify("revision_received", Audience.OPD),
    Notify("revision_received_reviewers", Audience.REVIEWERS),
)

TRANSITIONS: dict[tuple[str, EventKind], Rule] = {
    ("pengajuan", EventKind.SUBMITTED): Rule(
        "pemeriksaan",
        (MoveWorkingFile(Folder.REVIEW), Notify("submitted", Audience.OPD),
         Notify("submitted_reviewers", Audience.REVIEWERS)),
        bump_version=True,
    ),
    (REVIEW_STAGES, EventKind.REVISION_REQUESTED): Rule(
        "perbaikan",
        (MoveWorkingFile(Folder.REVISION), Notify("revision_requested", Audience.OPD)),
    ),
    (REVISION_STAGES, EventKind.REVISION_RECEIVED): Rule(
        "pemeriksaan", _NEW_VERSION, bump_version=True),
    # An OPD may send a corrected file before the reviewers finish: it replaces the one in review.
    (REVIEW_STAGES, EventKind.REVISION_RECEIVED): Rule(
        "pemeriksaan", _NEW_VERSION, bump_version=True),
    (REVIEW_STAGES, EventKind.APPROVED): Rule(
        NEXT_OPEN,
        (MoveWorkingFile(Folder.APPROVED), Notify("approved", Audience.OPD),
         Notify("approved", Audience.ADMINS)),
    ),
    (AWAITING_FINAL, EventKind.STAGE_DONE): Rule(
        NEXT_OPEN, (Notify("stage_done", Audience.OPD), Notify("stage_done", Audience.ADMINS)),
    ),
    (AWAITING_FINAL, EventKind.FINAL_RECEIVED): Rule(
        "arsip",
        (AssignNumber(), StampAndArchive(), Notify("archived", Audience.OPD),
         Notify("archived", Audience.ADMINS)),
    ),
}

# Why an event is refused, by the stage group it arrived in (the key names a message for users).
_REFUSALS: dict[EventKind, str] = {
    EventKind.SUBMITTED: "already_registered",
    EventKind.REVISION_REQUESTED: "not_under_review",
    EventKind.REVISION_RECEIVED: "not_open_for_revision",
    EventKind.APPROVED: "not_under_review",
    EventKind.STAGE_DONE: "stage_not_open",
    EventKind.FINAL_RECEIVED: "not_yet_approved",
}


def _group(stage: str) -> str:
    if stage == "pemeriksaan":
        return REVIEW_STAGES
    if stage == "perbaikan":
        return REVISION_STAGES
    if STAGES[stage].tracked or stage == "penomoran":
        return AWAITING_FINAL
    return stage


def next_open_stage(flow: tuple[str, ...], done: frozenset[str]) -> str:
    for key in flow:
        if STAGES[key].tracked and key not in done and flow.index(key) < flow.index("penomoran"):
            return key
    return "penomoran"


def decide(draft: DraftState, event: Event) -> Decision:
    """The next state of `draft` after `event`, and the actions to carry it out.

    Raises `Rejected` when the event does not apply at the draft's stage (for instance a final
    for a draft the reviewers have not approved)."""
    rule = TRANSITIONS.get((_group(draft.stage), event.kind))
    flow = FLOWS[draft.product_type]
    if rule is None:
        raise Rejected(_REFUSALS[event.kind], draft.stage, event.kind)
    done = draft.done
    if event.kind is EventKind.STAGE_DONE:
        # Tracked stages may be reported out of order (paraf before harmonisasi closes).
        if event.stage not in flow or not STAGES[event.stage].tracked or event.stage in done:
            raise Rejected("stage_not_open", draft.stage, event.kind)
        done = done | {event.stage}
    if event.kind is EventKind.FINAL_RECEIVED:
        done = done | {key for key in flow if STAGES[key].tracked}
    target = next_open_stage(flow, done) if rule.target == NEXT_OPEN else rule.target
    state = replace(draft, stage=target, done=frozenset(done),
                    version=draft.version + 1 if rule.bump_version else draft.version)
    return Decision(state, rule.actions)


def awaits_final(stage: str) -> bool:
    """Approved, and waiting for the signed final (some tracked stages may still be open)."""
    return _group(stage) == AWAITING_FINAL


def is_open(stage: str) -> bool:
    """A draft still needs someone's work (it is not archived)."""
    return stage != "arsip"


def flowchart(product_type: ProductType, stage: str, done: frozenset[str] = frozenset()
              ) -> list[tuple[Stage, str]]:
    """The flow's stages, each with its state for display: "done", "current" or "todo".

    Review and revision form a loop: while a draft is in revision, examination counts as done
    once, and it is "current" again when the revision comes back."""
    flow = FLOWS[product_type]
    position = flow.index(stage)
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
