"""Stamping a signed final and putting it, locked, in the archive, with its ledger record.

The stamped copy (salinan sah) and the signed original both go to the archive folder, both
locked; a copy of the stamped file is kept in the workspace's `archive/` folder, where the
ledger's mirror file lives too. Every step is idempotent (an upload looks for its file first,
the ledger record is written once), because the outbox may run this again after a crash, and an
import may be run again over the same backlog.
"""

from __future__ import annotations

import logging
from dataclasses import replace
from pathlib import Path
from tempfile import TemporaryDirectory

from drivebot.archive.ledger import (
    AUTHENTICATION,
    LEDGER_FILE,
    NOT_PROMULGATED,
    Ledger,
    LedgerEvent,
    Problem,
    Promulgation,
)
from drivebot.archive.signing import ProductIdentity, Signer
from drivebot.clock import local_date
from drivebot.config import Config
from drivebot.documents import convert_to_pdf, pdf_converter
from drivebot.drive import DrivePort
from drivebot.files import copy_whole, sha256_of
from drivebot.flows import Folder
from drivebot.i18n import product_label
from drivebot.stamping import StampSpec, stamp_docx, stamp_pdf
from drivebot.state.outbox import StampArchive
from drivebot.state.rows import Draft, FileRole
from drivebot.state.store import Store

log = logging.getLogger(__name__)


def archive_names(
    identity: ProductIdentity, stamped_suffix: str = ".pdf", original_suffix: str = ".pdf"
) -> tuple[str, str]:
    """(stamped copy, signed original) file names in the archive."""
    label = product_label(identity.product_type, identity.number, identity.year)
    base = f"{label} - {identity.id}"
    return f"{base} (salinan sah){stamped_suffix}", f"{base} (asli){original_suffix}"


def stamping_plan(source: Path) -> str:
    """How a final is stamped: "pdf"; a .docx "converted" to PDF where LibreOffice is
    installed; otherwise the .docx itself ("docx": QR and footer in its footer)."""
    if source.suffix.lower() != ".docx":
        return "pdf"
    return "converted" if pdf_converter() else "docx"


def _stamp(plan: str, source: Path, dest: Path, spec: StampSpec) -> str:
    """Write the stamped copy to `dest`; returns the method for the ledger."""
    if plan == "docx":
        stamp_docx(source, dest, spec)
        return "docx"
    if plan == "converted":
        with TemporaryDirectory(prefix="drivebot-convert-") as tmp:
            stamp_pdf(convert_to_pdf(source, Path(tmp)), dest, spec)
        return "converted"
    return stamp_pdf(source, dest, spec).method


class Archiver:
    """Stamps and archives products; `drive` is needed only to archive, not to sign a URL."""

    def __init__(self, config: Config, store: Store, drive: DrivePort | None = None):
        self.config = config
        self.store = store
        self._drive = drive
        self.ledger = Ledger(store, config.workspace / "archive" / LEDGER_FILE)
        # Until something is signed a lost key costs nothing, so it may be made then.
        self.signer = Signer.load(config.workspace, create=not self.ledger.has_records())

    @property
    def drive(self) -> DrivePort:
        if self._drive is None:
            raise RuntimeError("this archiver was built without a Drive")
        return self._drive

    # --- a draft's final ---------------------------------------------------------------------

    def identity(self, draft: Draft) -> ProductIdentity | None:
        """The product a numbered draft with a signed final becomes; None before that."""
        final = self.store.final_version(draft.reg)
        if final is None:
            return None
        # The document's own date of enactment (drivebot.record); products archived before
        # drivebot read it carry the day their final arrived, as they were signed then.
        date = draft.enacted_on or local_date(final.received_at, self.config.tz)
        return _identity(draft, date, final.sha256)

    def qr_identity(self, draft: Draft) -> ProductIdentity | None:
        """What the draft's QR code is signed over: its identity, and for a product signed
        electronically the hash of the text it was stamped from before signing."""
        identity = self.identity(draft)
        if identity is None or not draft.tte_source_sha256:
            return identity
        return replace(identity, final_sha256=draft.tte_source_sha256)

    def verify_url(self, draft: Draft) -> str | None:
        identity = self.qr_identity(draft)
        return self.url_for(identity) if identity else None

    def presign(self, draft: Draft, source: Path, enacted_on: str, dest: Path) -> None:
        """Stamp the text to be signed electronically ("naskah untuk ditandatangani"): the QR
        code, signed over the product's identity and the text's hash, and the footer, with
        no watermark; signing then appends to it, so the signature covers the stamp."""
        identity = _identity(draft, enacted_on, sha256_of(source))
        if identity is None:
            raise RuntimeError(f"{draft.reg}: reserve the number before stamping for signing")
        stamp_pdf(source, dest, replace(self.stamp_spec(identity), watermark=""))

    def stamp_and_archive(self, effect: StampArchive) -> None:
        """The outbox effect queued when a draft's signed final was taken in."""
        draft = self.store.draft(effect.reg)
        identity = self.identity(draft) if draft else None
        if draft is None or identity is None:
            raise RuntimeError(f"{effect.reg} has no numbered final to archive")
        stored = self.config.workspace / effect.stored
        ids = effect.ids or tuple(self.drive.reserve_ids(4))
        self.archive(
            identity,
            stored,
            reg=draft.reg,
            ids=ids,
            promulgation=promulgation(draft),
            qr_sha256=draft.tte_source_sha256 or "",
        )
        if effect.exported:
            # A Google Doc final: its exported PDF is the original on record (an export is not
            # byte-stable, so the Doc itself could never be checked against the ledger's
            # hash); a copy of the Doc goes to the archive beside it, locked.
            base = archive_names(identity)[1].removesuffix(" (asli).pdf")
            doc = self.drive.copy(
                effect.file_id, Folder.ARCHIVE, f"{base} (dokumen Google)", ids[2]
            )
            self.drive.lock(doc.id)
        # The file as someone dropped it is theirs (drivebot may not lock it): it leaves the
        # final folder for the old versions, and the archive keeps drivebot's own copies.
        moved = self.drive.move(effect.file_id, Folder.SUPERSEDED)
        with self.store.transaction():
            self.store.set_file_place(moved.id, moved.folder.value, name=moved.name)

    # --- any product -------------------------------------------------------------------------

    def authentication(self) -> str:
        """The line that makes the stamped copy the division's authenticated copy (always in
        Indonesian: it is on the legal document): "Salinan sesuai dengan aslinya · Kepala
        Bagian Hukum · <name> · <rank> · NIP. <nip>", with what the configuration gives."""
        title, name, rank, nip = self.config.authenticator
        parts = [title or "Bagian Hukum", name, rank, f"NIP. {nip}" if nip else ""]
        if not name:
            parts.append(self.config.org_short_name)
        return " · ".join([AUTHENTICATION, *(p for p in parts if p)])

    def url_for(self, identity: ProductIdentity) -> str:
        return f"{self.config.verify_url_base}{identity.id}?s={self.signer.sign(identity)}"

    def stamp_spec(self, identity: ProductIdentity) -> StampSpec:
        label = product_label(identity.product_type, identity.number, identity.year)
        footer = (
            f"{self.authentication()}\n"
            f"{identity.id} · {label} · SHA-256 {identity.final_sha256[:12]} · "
            f"{self.config.org_short_name}"
        )
        return StampSpec(
            watermark=self.config.watermark,
            qr_payload=self.url_for(identity),
            footer=footer,
            qr_mm=self.config.qr_mm,
        )

    def archive(
        self,
        identity: ProductIdentity,
        source: Path,
        reg: str | None = None,
        subject: str = "",
        ids: tuple[str, ...] = (),
        promulgation: Promulgation = NOT_PROMULGATED,
        qr_sha256: str = "",
    ) -> str:
        """Stamp `source`, archive the stamped copy and the signed original as files drivebot
        owns, locked, record the product; returns the stamping method. `ids` are the Drive ids
        reserved for the two files and the ledger's copy (reserved now when not given)."""
        stamped_id, original_id, _, ledger_id = ids or tuple(self.drive.reserve_ids(4))
        plan = stamping_plan(source)
        stamped_name, original_name = archive_names(
            identity, ".docx" if plan == "docx" else ".pdf", source.suffix.lower()
        )
        if qr_sha256:  # signed electronically over drivebot's stamp: one file is both
            stamped_name = original_name = original_name.replace(" (asli)", " (asli, TTE)")
        local_copy = self.config.workspace / "archive" / stamped_name
        archived = self.drive.find(Folder.ARCHIVE, stamped_name)
        method = None
        if archived is None or not local_copy.exists():
            local_copy.parent.mkdir(parents=True, exist_ok=True)
            # The stamping writes through a temporary file and a rename: never half a file.
            if qr_sha256:
                copy_whole(source, local_copy)
                method = "tte"
            else:
                method = _stamp(plan, source, local_copy, self.stamp_spec(identity))
            log.info("%s stamped (%s)", identity.id, method)
        if archived is None:
            archived = self.drive.upload(
                local_copy, stamped_name, Folder.ARCHIVE, file_id=stamped_id
            )
        self.drive.lock(archived.id)
        original = self.drive.find(Folder.ARCHIVE, original_name) or self.drive.upload(
            source, original_name, Folder.ARCHIVE, file_id=original_id
        )
        self.drive.lock(original.id)
        with self.store.transaction():
            self.store.track_file(
                archived.id,
                reg,
                FileRole.ARCHIVE,
                Folder.ARCHIVE.value,
                archived.name,
                archived.link,
            )
            self.store.track_file(
                original.id,
                reg,
                FileRole.ARCHIVE,
                Folder.ARCHIVE.value,
                original.name,
                original.link,
            )
            if self.store.get(COPY_ID) is None:  # the id the ledger's copy is created under
                self.store.put(COPY_ID, ledger_id)
            if self.ledger.product(identity.id) is None:
                if reg is not None:  # autentikasi, a step of the draft's record
                    self.store.audit(reg, "drivebot", "authenticated", "arsip", "arsip", "")
                self._record(
                    identity,
                    local_copy,
                    source,
                    original.name,
                    subject,
                    method,
                    promulgation,
                    qr_sha256,
                )
        _report(self.ledger.export())  # the copy in the archive folder follows per batch
        recorded = self.ledger.product(identity.id)
        return recorded.stamp_method if recorded else (method or "")

    def _record(
        self,
        identity: ProductIdentity,
        stamped: Path,
        source: Path,
        original_name: str,
        subject: str,
        method: str | None,
        promulgation: Promulgation,
        qr_sha256: str = "",
    ) -> None:
        size = source.stat().st_size
        if qr_sha256:
            method = "tte"
        if method is None:  # stamped before a crash: tell an incremental update by its prefix
            incremental = sha256_of(stamped, size) == identity.final_sha256
            method = "incremental" if incremental else "rewrite"
        self.ledger.append(
            LedgerEvent.ARCHIVED,
            identity.id,
            {
                "product_type": identity.product_type,
                "number": identity.number,
                "year": identity.year,
                "title": identity.title,
                "date": identity.date,
                "final_sha256": identity.final_sha256,
                "final_size": size,
                "stamped_sha256": sha256_of(stamped),
                "stamped_size": stamped.stat().st_size,
                "stamped_name": stamped.name,
                # A TTE product's QR was drawn before signing, over the text's hash.
                "signature": self.signer.sign(
                    replace(identity, final_sha256=qr_sha256) if qr_sha256 else identity
                ),
                "qr_sha256": qr_sha256,
                "original_name": original_name,
                "stamp_method": method,
                "subject": subject,
                "promulgated_on": promulgation.on,
                "gazette": promulgation.gazette,
                "noreg": promulgation.noreg,
                "authenticated_by": self.authentication(),
            },
        )

    def export_ledger(self) -> None:
        """Bring the mirror file, and its copy in the archive folder, up to date."""
        _report(self.ledger.export())
        self.sync_ledger_copy()

    def sync_ledger_copy(self) -> None:
        """Extend the ledger's copy in the archive folder to the mirror file, when the mirror
        has grown since the last time (once per cycle or import, not once per product: the
        copy is uploaded whole). Like the mirror, the copy is only ever extended: one that is
        not a prefix of the mirror was altered, and is left as evidence and reported."""
        mirror = self.ledger.mirror
        size = str(mirror.stat().st_size) if mirror.exists() else None
        if size is None or self.store.get(COPY_SYNCED) == size:
            return
        _report(self._extend_copy(mirror.read_bytes(), self.store.get(COPY_ID)))
        with self.store.transaction():  # tried at this size: again when the ledger grows
            self.store.put(COPY_SYNCED, size)

    def _extend_copy(self, mirror: bytes, file_id: str | None) -> list[Problem]:
        copy = self.drive.find(Folder.ARCHIVE, LEDGER_FILE)
        if copy is not None:
            with TemporaryDirectory(prefix="drivebot-ledger-") as tmp:
                self.drive.download(copy.id, Path(tmp) / LEDGER_FILE)
                current = (Path(tmp) / LEDGER_FILE).read_bytes()
            if not mirror.startswith(current):
                return [Problem(f"archive folder: {LEDGER_FILE}", "differs from the ledger")]
            if current == mirror:
                return []
        self.drive.put(self.ledger.mirror, LEDGER_FILE, Folder.ARCHIVE, file_id=file_id)
        return []


# The Drive id reserved for the ledger's copy in the archive folder (with a product's files:
# a retried first upload finds the copy it made), and the mirror's size it was last synced at.
COPY_ID, COPY_SYNCED = "ledger_copy_id", "ledger_copy_synced"


def _report(problems: list[Problem]) -> None:
    for problem in problems:
        log.error("archive ledger: %s %s", problem.where, problem.what)


def _identity(draft: Draft, date: str, sha256: str) -> ProductIdentity | None:
    """The identity a numbered draft's QR code and ledger record carry; None unnumbered."""
    if draft.number is None or draft.number_year is None:
        return None
    return ProductIdentity(
        id=draft.reg,
        product_type=draft.product_type.value,
        number=draft.number,
        year=draft.number_year,
        title=draft.title.removeprefix("Rancangan ").strip(),
        date=date,
        final_sha256=sha256,
    )


def promulgation(draft: Draft) -> Promulgation:
    """A draft's promulgation as its record holds it (drivebot.record)."""
    gazette = ""
    if draft.gazette_kind and draft.gazette_number is not None:
        name = "Berita Daerah" if draft.gazette_kind == "berita" else "Lembaran Daerah"
        gazette = f"{name} Tahun {draft.gazette_year} Nomor {draft.gazette_number}"
    return Promulgation(draft.promulgated_on or "", gazette, draft.noreg or "")
