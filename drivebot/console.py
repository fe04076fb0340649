"""How the CLI talks to people: its exit statuses, and its messages in Indonesian or English."""

from __future__ import annotations

import sys
from enum import IntEnum
from typing import TextIO


class ExitStatus(IntEnum):
    OK = 0
    ERROR = 1
    CONFIG = 2
    NOT_FOUND = 3
    REFUSED = 4
    BAD_DOCUMENT = 65  # EX_DATAERR: the file given cannot be used
    REVOKED_PRODUCT = 5  # verify: authentic, but no longer in force
    NOT_AUTHENTIC = 6    # verify: the file or the archive does not check out
    TRANSIENT = 75  # EX_TEMPFAIL: cron may simply try again
    INTERRUPTED = 130


TEXTS = {
    "id": {
        "init_done": "Ruang kerja siap di {ws}.\nUbah {cfg} (OPD, pemeriksa, admin), lalu "
                     "jalankan: drivebot run --workspace {ws}",
        "init_kept": "{cfg} sudah ada di {ws}; konfigurasi tidak diubah.",
        "drop_here": "Letakkan rancangan (.docx atau .pdf) di folder OPD-nya, misalnya:\n"
                     "  {path}\nE-mail yang dikirim drivebot tersimpan di {sent}",
        "running": "drivebot berjalan: memeriksa setiap {n} detik. Tekan Ctrl-C untuk berhenti.",
        "cycle": "[{time}] berkas: {files}, e-mail: {messages}{problems}",
        "problems": ", tertunda: {transient}, gagal: {failed}, kiriman tertunda: {outbox}",
        "stopped": "drivebot berhenti.",
        "moved_to": "{reg}: tahap sekarang {stage}.",
        "no_drafts": "Belum ada rancangan.",
        "config_error": "Konfigurasi salah: {msg}",
        "not_found": "Tidak ditemukan: {msg}",
        "refused": "Ditolak: rancangan ini sedang pada tahap {stage}; perintah ini tidak "
                   "berlaku ({why}).",
        "transient": "Layanan belum dapat dihubungi ({msg}); coba lagi nanti.",
        "interrupted": "Dihentikan.",
        "error": "Terjadi kesalahan: {msg}",
        "headers": ("Nomor registrasi", "OPD", "Jenis", "Tahap", "Versi", "Menunggu", "Judul"),
        "days": "{n} hari",
        "verdict_stamped": "ASLI: berkas ini salinan sah {label} ({id}) tentang {title}, "
                           "diarsipkan {at}.",
        "verdict_original": "ASLI: berkas ini naskah asli bertanda tangan dari {label} ({id}) "
                            "tentang {title}, diarsipkan {at}.",
        "verdict_in_force": "Status: berlaku.",
        "verdict_revoked": "Status: DICABUT/DIUBAH oleh {by}.",
        "verdict_edited": "TIDAK ASLI: berkas ini memuat stempel {id}, tetapi isinya telah "
                          "diubah ({detail}).",
        "verdict_pages_changed": "TIDAK ASLI: berkas ini memuat stempel {id}, tetapi halamannya "
                                 "ditambah atau dihapus ({detail}).",
        "verdict_foreign_stamp": "TIDAK ASLI: stempel atau kode QR milik {id} ({title}) "
                                 "ditempelkan pada dokumen lain.",
        "verdict_unregistered": "TIDAK ASLI: stempel menyebut {id}, yang tidak terdaftar di arsip.",
        "verdict_unknown": "TIDAK TERDAFTAR: berkas ini tidak ada di arsip dan tidak memuat "
                           "stempel drivebot.",
        "archive_ok": "Arsip utuh: {n} produk, buku besar (ledger) dan semua berkas cocok.",
        "archive_problem": "MASALAH: {where}: {what}",
        "archive_problems": "{n} masalah ditemukan di arsip.",
        "revoked": "{id} dicatat sebagai dicabut/diubah oleh {by}.",
        "already_revoked": "{id} sudah tercatat dicabut oleh {by}.",
        "stamped": "{id} distempel dan diarsipkan ({method}): {url}",
        "already_archived": "{id} sudah ada di arsip; tidak diubah.",
        "progress": "[{i}/{n}] {id}",
        "import_summary": "Selesai: {archived} diarsipkan, {skipped} dilewati.",
        "skipped": "  dilewati: {what}: {why}",
        "serving": "Halaman verifikasi berjalan di http://{host}:{port}{path} (Ctrl-C berhenti).",
        "published": "{n} halaman produk ditulis ke {dir}.",
        "need_file": "Sebutkan berkas PDF yang akan diperiksa, atau gunakan --archive.",
        "retrying": "{n} pekerjaan yang tertunda akan dicoba lagi pada siklus berikutnya.",
        "bad_document": "Berkas tidak dapat dipakai: {msg}",
        "token_saved": "Masuk ke Google berhasil; token disimpan di {path} (hanya pemilik yang "
                       "dapat membacanya).",
        "google_ready": "Folder Drive siap ({n} folder); id-nya ditulis ke {cfg} dan backend "
                        "diubah ke \"google\".",
    },
    "en": {
        "init_done": "Workspace ready in {ws}.\nEdit {cfg} (agencies, reviewers, admins), then "
                     "run: drivebot run --workspace {ws}",
        "init_kept": "{cfg} already exists in {ws}; the configuration was left as it is.",
        "drop_here": "Drop a draft (.docx or .pdf) into its agency's folder, for example:\n"
                     "  {path}\nE-mails drivebot sends are kept in {sent}",
        "running": "drivebot is running: polling every {n} seconds. Press Ctrl-C to stop.",
        "cycle": "[{time}] files: {files}, e-mails: {messages}{problems}",
        "problems": ", postponed: {transient}, failed: {failed}, effects waiting: {outbox}",
        "stopped": "drivebot stopped.",
        "moved_to": "{reg}: now at stage {stage}.",
        "no_drafts": "No drafts yet.",
        "config_error": "Configuration error: {msg}",
        "not_found": "Not found: {msg}",
        "refused": "Refused: the draft is at stage {stage}; this command does not apply ({why}).",
        "transient": "The service could not be reached ({msg}); try again later.",
        "interrupted": "Interrupted.",
        "error": "Error: {msg}",
        "headers": ("Registration", "Agency", "Type", "Stage", "Version", "Waiting", "Title"),
        "days": "{n} days",
        "verdict_stamped": "AUTHENTIC: this file is the authenticated copy of {label} ({id}) on "
                           "{title}, archived {at}.",
        "verdict_original": "AUTHENTIC: this file is the signed original of {label} ({id}) on "
                            "{title}, archived {at}.",
        "verdict_in_force": "Status: in force.",
        "verdict_revoked": "Status: REVOKED/AMENDED by {by}.",
        "verdict_edited": "NOT AUTHENTIC: this file carries the stamp of {id}, but its content "
                          "was changed ({detail}).",
        "verdict_pages_changed": "NOT AUTHENTIC: this file carries the stamp of {id}, but pages "
                                 "were added or removed ({detail}).",
        "verdict_foreign_stamp": "NOT AUTHENTIC: the stamp or QR code of {id} ({title}) was put "
                                 "on another document.",
        "verdict_unregistered": "NOT AUTHENTIC: the stamp names {id}, which is not in the archive.",
        "verdict_unknown": "NOT REGISTERED: this file is not in the archive and carries no "
                           "drivebot stamp.",
        "archive_ok": "Archive intact: {n} products, the ledger and every file match.",
        "archive_problem": "PROBLEM: {where}: {what}",
        "archive_problems": "{n} problems found in the archive.",
        "revoked": "{id} recorded as revoked/amended by {by}.",
        "already_revoked": "{id} is already recorded as revoked by {by}.",
        "stamped": "{id} stamped and archived ({method}): {url}",
        "already_archived": "{id} is already archived; left as it is.",
        "progress": "[{i}/{n}] {id}",
        "import_summary": "Done: {archived} archived, {skipped} skipped.",
        "skipped": "  skipped: {what}: {why}",
        "serving": "Verification page at http://{host}:{port}{path} (Ctrl-C stops).",
        "published": "{n} product pages written to {dir}.",
        "need_file": "Name the PDF to check, or use --archive.",
        "retrying": "{n} postponed items will be tried again in the next cycle.",
        "bad_document": "The file cannot be used: {msg}",
        "token_saved": "Signed in to Google; the token is saved in {path} (readable by its "
                       "owner only).",
        "google_ready": "Drive folders ready ({n} folders); their ids are written to {cfg} and "
                        "the backend set to \"google\".",
    },
}


class Console:
    """Where the CLI writes, and in which language (tests pass their own streams)."""

    def __init__(self, out: TextIO = sys.stdout, err: TextIO = sys.stderr, lang: str = "id"):
        self.out, self.err, self.lang = out, err, lang

    def say(self, key: str, **values: object) -> None:
        print(TEXTS[self.lang][key].format(**values), file=self.out, flush=True)

    def text(self, key: str) -> object:
        return TEXTS[self.lang][key]


