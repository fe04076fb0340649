"""The signed QR code, the hash-chained ledger, `verify`, `revoke`, `stamp` and `import-archive`."""

from __future__ import annotations

import io
import json
import stat
from pathlib import Path

import pytest
from builders import draft_docx, final_pdf, write_config
from pypdf import PdfReader, PdfWriter
from pypdf.generic import ContentStream, NameObject

from drivebot import bootstrap
from drivebot.archive.signing import ProductIdentity, verify_signature
from drivebot.cli import main
from drivebot.cli.console import Console, ExitStatus
from drivebot.config import load
from drivebot.stamping import stamp_pdf


def cli(workspace: Path, *args: str) -> tuple[int, str]:
    out = io.StringIO()
    code = main([*args, "--workspace", str(workspace)], Console(out, io.StringIO()))
    return code, out.getvalue()


def approved(tmp_path: Path):
    """A workspace with one Peraturan Bupati submitted and approved."""
    write_config(tmp_path)
    service = bootstrap.app(load(tmp_path))
    service.drive.ensure_folders([opd.folder for opd in service.config.opds])
    inbox = tmp_path / "drive" / "00 Masuk" / "Dinas Kesehatan"
    (inbox / "Ranperbup Retribusi.docx").write_bytes(draft_docx())
    service.cycle()
    [draft] = service.store.drafts()
    service.commands.approve(draft.reg)
    return service, draft


@pytest.fixture
def archived(tmp_path):
    """A workspace with one Peraturan Bupati taken through to the archive."""
    service, draft = approved(tmp_path)
    signed = tmp_path / "ditandatangani.pdf"
    signed.write_bytes(final_pdf(pages=3, subject="RETRIBUSI"))
    service.commands.finalize(draft.reg, signed)
    [product] = service.archiver.ledger.products()
    stamped = tmp_path / "archive" / product.stamped_name
    return tmp_path, service, product, signed, stamped


def test_the_qr_signature_binds_the_product_identity(archived):
    _, service, product, _, _ = archived
    public = service.archiver.signer.public_key_pem()
    assert verify_signature(public, product, product.signature)
    for change in (
        {"number": product.number + 1},
        {"title": "Peraturan lain"},
        {"final_sha256": "0" * 64},
    ):
        forged = ProductIdentity(
            **{
                **{
                    k: getattr(product, k)
                    for k in (
                        "id",
                        "product_type",
                        "number",
                        "year",
                        "title",
                        "date",
                        "final_sha256",
                    )
                },
                **change,
            }
        )
        assert not verify_signature(public, forged, product.signature)


def test_the_signing_key_is_private_to_its_owner(archived):
    workspace = archived[0]
    key = workspace / "keys" / "signing-key.pem"
    assert stat.S_IMODE(key.stat().st_mode) == 0o600


def test_verify_accepts_the_stamped_copy_and_the_signed_original(archived):
    workspace, _, product, signed, stamped = archived
    code, out = cli(workspace, "verify", str(stamped))
    assert code == ExitStatus.OK and out.startswith("ASLI: berkas ini salinan sah")
    assert product.id in out and "berlaku" in out
    code, out = cli(workspace, "verify", str(signed))
    assert code == ExitStatus.OK and "naskah asli" in out


def _rewrite(source: Path, dest: Path, change) -> Path:
    writer = PdfWriter(clone_from=PdfReader(source))
    change(writer)
    with dest.open("wb") as handle:
        writer.write(handle)
    return dest


def _edit_second_page(writer: PdfWriter) -> None:
    page = writer.pages[1]
    content = ContentStream(None, writer)
    content.set_data(b"BT /F1 11 Tf 72 700 Td (Halaman 2: Pasal 2 tarif dinaikkan.) Tj ET")
    originals = page["/Contents"]
    streams = [originals[i] for i in range(len(originals))]
    streams[1] = writer._add_object(content)
    from pypdf.generic import ArrayObject

    page[NameObject("/Contents")] = ArrayObject(streams)


@pytest.mark.parametrize(
    ("change", "expected"),
    [
        (_edit_second_page, "diubah (page(s) 2 differ)"),
        (lambda writer: writer.remove_page(2), "ditambah atau dihapus (2 pages instead of 3)"),
    ],
)
def test_verify_detects_an_edited_or_removed_page(archived, tmp_path, change, expected):
    workspace, _, _, _, stamped = archived
    forged = _rewrite(stamped, tmp_path / "forged.pdf", change)
    code, out = cli(workspace, "verify", str(forged))
    assert code == ExitStatus.NOT_AUTHENTIC
    assert out.startswith("TIDAK ASLI") and expected in out


def test_verify_detects_a_qr_code_lifted_onto_another_document(archived, tmp_path):
    workspace, service, product, _, _ = archived
    other = tmp_path / "lain.pdf"
    other.write_bytes(
        final_pdf(pages=3, title="KEPUTUSAN BUPATI SERAM BAGIAN TIMUR", subject="TIM LAIN")
    )
    identity = ProductIdentity(
        product.id,
        product.product_type,
        product.number,
        product.year,
        product.title,
        product.date,
        product.final_sha256,
    )
    stamp_pdf(other, tmp_path / "palsu.pdf", service.archiver.stamp_spec(identity))
    code, out = cli(workspace, "verify", str(tmp_path / "palsu.pdf"))
    assert code == ExitStatus.NOT_AUTHENTIC
    assert "ditempelkan pada dokumen lain" in out


def test_an_unstamped_unknown_file_is_not_registered(archived, tmp_path):
    workspace = archived[0]
    (tmp_path / "x.pdf").write_bytes(final_pdf(pages=1, title="SURAT EDARAN"))
    code, out = cli(workspace, "verify", str(tmp_path / "x.pdf"))
    assert code == ExitStatus.NOT_AUTHENTIC and out.startswith("TIDAK TERDAFTAR")


def test_verify_archive_is_clean_then_catches_an_edited_ledger_line(archived):
    workspace = archived[0]
    code, out = cli(workspace, "verify", "--archive")
    assert code == ExitStatus.OK and out.startswith("Arsip utuh: 1 produk")
    mirror = workspace / "archive" / "ledger.jsonl"
    record = json.loads(mirror.read_text(encoding="utf-8"))
    record["number"] = 99
    mirror.write_text(json.dumps(record) + "\n", encoding="utf-8")
    code, out = cli(workspace, "verify", "--archive")
    assert code == ExitStatus.NOT_AUTHENTIC
    assert "ledger.jsonl:1: differs from the state store" in out


def test_verify_archive_catches_an_edited_record_in_the_store(archived):
    workspace, service, _, _, _ = archived
    row = service.store.db.execute("SELECT record FROM ledger WHERE seq = 1").fetchone()
    record = json.loads(row[0])
    record["title"] = "Peraturan Bupati tentang hal lain"
    service.store.db.execute("UPDATE ledger SET record = ? WHERE seq = 1", (json.dumps(record),))
    code, out = cli(workspace, "verify", "--archive")
    assert code == ExitStatus.NOT_AUTHENTIC
    assert "ledger record 1: was changed after it was written" in out


def test_verify_archive_catches_a_changed_archived_file(archived):
    workspace, _, product, _, _ = archived
    in_drive = workspace / "drive" / "05 Arsip" / product.stamped_name
    in_drive.chmod(0o644)
    in_drive.write_bytes(in_drive.read_bytes() + b"\n% appended\n")
    code, out = cli(workspace, "verify", "--archive")
    assert code == ExitStatus.NOT_AUTHENTIC
    assert "was changed after it was archived" in out and "is not locked" in out


def test_revoke_then_verify_says_so(archived):
    workspace, _, product, _, stamped = archived
    code, out = cli(workspace, "revoke", product.id, "--by", "Perbup Nomor 3 Tahun 2027")
    assert code == ExitStatus.OK
    code, out = cli(workspace, "verify", str(stamped))
    assert code == ExitStatus.REVOKED_PRODUCT
    assert "DICABUT/DIUBAH oleh Perbup Nomor 3 Tahun 2027" in out
    assert cli(workspace, "verify", "--archive")[0] == ExitStatus.OK  # revocation is chained


def test_stamp_and_import_archive_a_backlog(tmp_path):
    write_config(tmp_path)
    backlog = tmp_path / "lama"
    backlog.mkdir()
    (backlog / "perbup-12-2024.pdf").write_bytes(final_pdf(2, "PERATURAN BUPATI 12/2024"))
    (backlog / "kepbup-5-2023.pdf").write_bytes(final_pdf(1, "KEPUTUSAN BUPATI 5/2023"))
    (backlog / "rusak.pdf").write_bytes(b"not a pdf")
    (tmp_path / "meta.csv").write_text(
        "file,type,number,year,title,date,subject\n"
        "perbup-12-2024.pdf,perbup,12,2024,Peraturan Bupati tentang Pajak,2024-03-01,Pajak\n"
        "kepbup-5-2023.pdf,kepbup,5,2023,Keputusan Bupati tentang Tim,2023-07-10,\n"
        "rusak.pdf,perbup,13,2024,Rusak,2024-04-01,\n"
        "hilang.pdf,perbup,14,2024,Hilang,2024-05-01,\n"
        "x.pdf,perbub,1,2024,Salah jenis,2024-01-01,\n",
        encoding="utf-8",
    )
    code, out = cli(
        tmp_path, "import-archive", str(backlog), "--metadata", str(tmp_path / "meta.csv")
    )
    assert code == ExitStatus.OK
    assert out.splitlines()[0] == "Selesai: 2 diarsipkan, 3 dilewati."
    assert "meta.csv:6: type 'perbub' is not perbup, kepbup or perda" in out
    code, out = cli(
        tmp_path, "import-archive", str(backlog), "--metadata", str(tmp_path / "meta.csv")
    )
    assert out.splitlines()[0] == "Selesai: 0 diarsipkan, 5 dilewati."
    assert "PERBUP-2024-012 is already archived" in out
    code, out = cli(
        tmp_path,
        "verify",
        str(
            tmp_path
            / "archive"
            / "Peraturan Bupati Nomor 12 Tahun 2024 - PERBUP-2024-012 (salinan sah).pdf"
        ),
    )
    assert code == ExitStatus.OK and "PERBUP-2024-012" in out
    code, out = cli(
        tmp_path,
        "stamp",
        str(backlog / "perbup-12-2024.pdf"),
        "--type",
        "perbup",
        "--number",
        "12",
        "--year",
        "2024",
        "--title",
        "Peraturan Bupati tentang Pajak",
    )
    assert code == ExitStatus.OK and "sudah ada di arsip" in out
    assert cli(tmp_path, "verify", "--archive")[0] == ExitStatus.OK


def test_a_docx_final_is_converted_or_stamped_as_docx(tmp_path):
    import docx

    from drivebot.documents import pdf_converter

    service, draft = approved(tmp_path)
    final = tmp_path / "final.docx"
    final.write_bytes(
        draft_docx(
            subject="Retribusi (final)",
            kind="PERATURAN BUPATI SERAM BAGIAN TIMUR NOMOR 1 TAHUN 2026",
            articles=("Pasal 1", "Ditetapkan di Bula", "pada tanggal 1 Desember 2026"),
        )
    )
    service.commands.finalize(draft.reg, final)
    [product] = service.archiver.ledger.products()
    expected = "converted" if pdf_converter() else "docx"
    assert product.stamp_method == expected
    assert product.original_name.endswith("(asli).docx")
    stamped = tmp_path / "archive" / product.stamped_name
    if expected == "docx":
        footer_text = "\n".join(
            p.text for s in docx.Document(str(stamped)).sections for p in s.footer.paragraphs
        )
        assert product.id in footer_text
    assert cli(tmp_path, "verify", str(stamped))[0] == ExitStatus.OK
    assert cli(tmp_path, "verify", "--archive")[0] == ExitStatus.OK


def test_the_ledger_has_a_copy_in_the_archive_folder_and_edits_to_it_are_caught(archived):
    workspace = archived[0]
    copy = workspace / "drive" / "05 Arsip" / "ledger.jsonl"
    assert copy.read_bytes() == (workspace / "archive" / "ledger.jsonl").read_bytes()
    copy.write_text("", encoding="utf-8")
    code, out = cli(workspace, "verify", "--archive")
    assert code == ExitStatus.NOT_AUTHENTIC
    assert "archive folder: ledger.jsonl: differs from the ledger" in out


def test_publish_writes_pages_and_jdih_records(archived, tmp_path):
    workspace, _, product, _, _ = archived
    site = tmp_path / "situs"
    code, out = cli(
        workspace, "publish", str(site), "--download-url", "https://jdih.sbtkab.example/berkas/"
    )
    assert code == ExitStatus.OK and out.startswith("1 halaman produk ditulis")
    record = json.loads((site / product.id / "jdih.json").read_text(encoding="utf-8"))
    assert (record["nomor"], record["tahun"], record["status"]) == (
        product.number,
        product.year,
        "Berlaku",
    )
    assert record["url_download"].startswith("https://jdih.sbtkab.example/berkas/")
    assert product.title in (site / product.id / "index.html").read_text(encoding="utf-8")


def test_a_mirror_edited_to_the_same_size_is_not_extended(archived):
    workspace, _, product, _, _ = archived
    mirror = workspace / "archive" / "ledger.jsonl"
    altered = mirror.read_text(encoding="utf-8").replace('"number":1,', '"number":7,')
    mirror.write_text(altered, encoding="utf-8")  # same size: only the time tells
    cli(workspace, "revoke", product.id, "--by", "Perbup Nomor 3 Tahun 2027")
    assert mirror.read_text(encoding="utf-8") == altered


def test_a_cut_ledger_copy_is_not_overwritten_by_the_next_record(archived):
    workspace, _, product, _, _ = archived
    copy = workspace / "drive" / "05 Arsip" / "ledger.jsonl"
    altered = copy.read_text(encoding="utf-8").replace('"number":1,', '"number":7,')
    copy.write_text(altered, encoding="utf-8")  # someone edits the archive's copy
    cli(workspace, "revoke", product.id, "--by", "Perbup Nomor 3 Tahun 2027")
    assert copy.read_text(encoding="utf-8") == altered  # kept as evidence, not papered over
    code, out = cli(workspace, "verify", "--archive")
    assert code == ExitStatus.NOT_AUTHENTIC and "differs from the ledger" in out
    (workspace / "archive" / "ledger.jsonl").unlink()
    assert "ledger.jsonl: is missing" in cli(workspace, "verify", "--archive")[1]


def test_import_reads_a_windows_csv_and_refuses_conflicting_rows(tmp_path):
    write_config(tmp_path)
    backlog = tmp_path / "lama"
    backlog.mkdir()
    (backlog / "a.pdf").write_bytes(final_pdf(1, "PERATURAN BUPATI 2/2020"))
    (backlog / "b.pdf").write_bytes(final_pdf(1, "PERATURAN BUPATI LAIN"))
    (tmp_path / "meta.csv").write_bytes(
        "file,type,number,year,title,date,subject\n"
        "a.pdf,perbup,2,2020,Peraturan Bupati tentang Pajak Café,2020-02-01,\n"
        "b.pdf,perbup,2,2020,Peraturan Bupati tentang hal lain,2020-03-01,\n"
        "a.pdf,perbup,7,2021,Peraturan Bupati yang sama lagi,2021-01-01,\n".encode("cp1252")
    )
    code, out = cli(
        tmp_path, "import-archive", str(backlog), "--metadata", str(tmp_path / "meta.csv")
    )
    assert code == ExitStatus.OK
    assert out.splitlines()[0] == "Selesai: 1 diarsipkan, 2 dilewati."
    assert "PERBUP-2020-002 is already archived from another file" in out
    assert "this file is already archived as PERBUP-2020-002" in out
    [product] = bootstrap.app(load(tmp_path)).archiver.ledger.products()
    assert product.title.endswith("Pajak Café")  # read as Windows wrote it


def test_a_mirror_longer_than_the_ledger_is_reported_not_trusted(archived):
    _, service, _, _, _ = archived
    with service.store.transaction():  # as a state file restored from before the last record
        service.store.db.execute("DELETE FROM ledger")
    assert [p.what for p in service.archiver.ledger.export()] == ["has 1 line(s) the store lacks"]
