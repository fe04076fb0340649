"""The whole review loop through the real CLI, on every backend (see tests/contract/worlds.py).

One draft goes from submission to the locked archive: acknowledgement, reviewers' feedback,
revision, approval, tracked stages, the signed final stamped and archived. Assertions are on
what people would see: the folders, the sent mailbox, and `status --json`.
"""

from __future__ import annotations

import io
import json
import subprocess
from datetime import datetime
from email import message_from_bytes, policy

import pytest
from builders import NoteSpec, draft_docx, final_pdf, write_config

from drivebot.cli import main
from drivebot.flows import Folder

YEAR = datetime.now().year
REG = f"HK-{YEAR}-0001"
OPD = ["dinkes@sbtkab.example", "sekretariat.dinkes@sbtkab.example"]
REVIEWERS = ["analis.hukum@sbtkab.example", "perancang@sbtkab.example"]
ADMINS = ["kabag.hukum@sbtkab.example"]


def cli(workspace, *args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    from drivebot.cli import Console

    status = main([*args, "--workspace", str(workspace)], Console(out, err))
    return status, out.getvalue(), err.getvalue()


def status_of(workspace) -> list[dict]:
    code, out, err = cli(workspace, "status", "--json")
    assert code == 0, err
    return json.loads(out)


class Mail:
    """The sent mailbox, parsed."""

    def __init__(self, world):
        self.messages = [
            message_from_bytes(raw, policy=policy.default) for raw in world.sent_messages()
        ]

    def about(self, reg: str) -> list:
        return [m for m in self.messages if f"[{reg}]" in m["Subject"]]

    def to(self, addresses: list[str], reg: str) -> list:
        return [
            m
            for m in self.about(reg)
            if sorted(a.addr_spec for a in m["To"].addresses) == sorted(addresses)
        ]


def text_of(message) -> str:
    return message.get_body(("plain",)).get_content()


@pytest.fixture
def workspace(world, tmp_path):
    write_config(tmp_path, world.config_overrides())
    return tmp_path


def test_the_whole_loop(world, workspace, tmp_path):
    notes = (
        NoteSpec(
            "Tarif retribusi rawat jalan",
            "Tarif belum sesuai Perda 5 Tahun 2023.",
            author="Analis Hukum A",
        ),
        NoteSpec("Ketentuan peralihan", "Sudah tepat.", resolved=True),
    )
    world.drop(
        "Dinas Kesehatan", "Ranperbup Retribusi Pelayanan Kesehatan.docx", draft_docx(notes=notes)
    )

    # 1. submission: registered, moved to review, OPD and reviewers told
    assert cli(workspace, "once")[0] == 0
    [draft] = status_of(workspace)
    assert (draft["reg"], draft["stage"], draft["version"], draft["opd"]) == (
        REG,
        "pemeriksaan",
        1,
        "Dinas Kesehatan",
    )
    assert draft["product_type"] == "perbup"
    assert draft["title"] == ("Rancangan Peraturan Bupati tentang Retribusi Pelayanan Kesehatan")
    assert f"{REG} v1 - Ranperbup Retribusi Pelayanan Kesehatan.docx" in world.names_in(
        Folder.REVIEW
    )
    assert world.names_in(Folder.INBOX) == []
    mail = Mail(world)
    [ack] = mail.to(OPD, REG)
    assert str(ack["Subject"]).startswith(f"[{REG}] Diterima: Rancangan Peraturan Bupati")
    assert len(mail.to(REVIEWERS, REG)) == 1

    # 2. a reviewer drags it to Perbaikan: the OPD gets the unresolved notes
    working = world.drive.find(
        Folder.REVIEW, f"{REG} v1 - Ranperbup Retribusi Pelayanan Kesehatan.docx"
    )
    world.reviewer_move(working, Folder.REVISION)
    assert cli(workspace, "once")[0] == 0
    assert status_of(workspace)[0]["stage"] == "perbaikan"
    feedback = Mail(world).to(OPD, REG)[-1]
    body = text_of(feedback)
    assert "Tarif belum sesuai Perda 5 Tahun 2023." in body
    assert "Tarif retribusi rawat jalan" in body
    assert "Sudah tepat." not in body  # resolved notes are left out

    # 3. the OPD drops the revision with the registration number in its name
    world.drop(
        "Dinas Kesehatan",
        f"{REG} Ranperbup revisi.docx",
        draft_docx(subject="Retribusi Pelayanan Kesehatan (revisi)"),
    )
    assert cli(workspace, "once")[0] == 0
    draft = status_of(workspace)[0]
    assert (draft["stage"], draft["version"]) == ("pemeriksaan", 2)
    assert f"{REG} v2 - Ranperbup revisi.docx" in world.names_in(Folder.REVIEW)
    assert any(name.startswith(f"{REG} v1") for name in world.names_in(Folder.SUPERSEDED))

    # 4. approved by moving it to Disetujui; tracked stages marked on the command line
    world.reviewer_move(
        world.drive.find(Folder.REVIEW, f"{REG} v2 - Ranperbup revisi.docx"), Folder.APPROVED
    )
    assert cli(workspace, "once")[0] == 0
    assert status_of(workspace)[0]["stage"] == "harmonisasi"
    assert any("disetujui" in m["Subject"].lower() for m in Mail(world).to(ADMINS, REG))
    code, out, _ = cli(workspace, "advance", REG, "harmonisasi")
    assert code == 0 and "Paraf koordinasi" in out

    # 5. the signed final: numbered, stamped, archived and locked
    signed = tmp_path / "signed.pdf"
    signed.write_bytes(final_pdf(pages=3))
    code, out, err = cli(workspace, "finalize", REG, str(signed))
    assert code == 0, err
    draft = status_of(workspace)[0]
    assert (draft["stage"], draft["number"]) == ("arsip", f"Nomor 1 Tahun {YEAR}")
    stamped_name = f"Peraturan Bupati Nomor 1 Tahun {YEAR} - {REG} (salinan sah).pdf"
    assert sorted(world.names_in(Folder.ARCHIVE)) == sorted(
        [stamped_name, f"Peraturan Bupati Nomor 1 Tahun {YEAR} - {REG} (asli).pdf", "ledger.jsonl"]
    )
    archived = world.drive.find(Folder.ARCHIVE, stamped_name)
    assert archived.locked
    stamped = tmp_path / "stamped.pdf"
    world.drive.download(archived.id, stamped)
    assert stamped.read_bytes().startswith(signed.read_bytes())  # an incremental update
    subprocess.run(["qpdf", "--check", str(stamped)], check=True, capture_output=True)
    qr = _decode_qr(stamped, tmp_path)
    assert qr.startswith(f"https://jdih.sbtkab.example/verifikasi/{REG}")
    archived_mail = [m for m in Mail(world).to(OPD, REG) if qr in text_of(m)]
    assert len(archived_mail) == 1

    # every e-mail about the draft threads under the first, and none was sent twice
    mail = Mail(world)
    ids = [m["Message-ID"] for m in mail.messages]
    assert len(ids) == len(set(ids))
    root = ack["Message-ID"]
    assert all(m["References"] == root for m in mail.about(REG) if m["Message-ID"] != root)

    # a cycle with nothing new sends nothing
    before = len(mail.messages)
    assert cli(workspace, "once")[0] == 0
    assert len(Mail(world).messages) == before


def _decode_qr(pdf, tmp_path) -> str:
    subprocess.run(
        ["pdftoppm", "-r", "150", "-png", "-f", "1", "-l", "1", str(pdf), str(tmp_path / "page")],
        check=True,
    )
    page = next(tmp_path.glob("page*.png"))
    out = subprocess.run(["zbarimg", "--raw", "-q", str(page)], capture_output=True, text=True)
    assert out.returncode == 0, "no QR code found on the rendered page"
    return out.stdout.strip()
