"""A person moves a registered draft's own file in Drive: decisions, refusals, misplacements."""

from __future__ import annotations

import shutil
from pathlib import Path

from builders import draft_docx
from test_faults import drop, sent_to, service

REVIEWER = "analis.hukum@sbtkab.example"


def _subjects(tmp_path: Path) -> list[str]:
    return sorted(" ".join(str(m["Subject"]).split()) for m in sent_to(tmp_path, REVIEWER))


def _move(tmp_path: Path, file: Path, folder: str) -> Path:
    target = tmp_path / "drive" / folder / file.name
    shutil.move(file, target)
    return target


def test_a_draft_moved_to_final_under_examination_is_reported_once_and_kept(tmp_path):
    app = service(tmp_path)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    [working] = list((tmp_path / "drive" / "01 Pemeriksaan").iterdir())
    before = _subjects(tmp_path)

    misplaced = _move(tmp_path, working, "04 Final")
    app.cycle()
    app.cycle()
    assert app.store.draft(draft.reg).stage == "pemeriksaan"
    assert misplaced.exists(), "the draft's own file is not quarantined"
    assert list((tmp_path / "drive" / "99 Karantina").iterdir()) == []
    [told] = [s for s in _subjects(tmp_path) if s not in before]
    assert told.startswith(f"[{draft.reg}] Berkas di folder yang tidak sesuai")
    [mail] = [m for m in sent_to(tmp_path, REVIEWER) if "tidak sesuai" in str(m["Subject"])]
    text = mail.get_body(("plain",)).get_content()
    assert 'Mohon pindahkan kembali berkas ke folder "01 Pemeriksaan".' in text

    home = _move(tmp_path, misplaced, "01 Pemeriksaan")
    app.cycle()
    assert len(_subjects(tmp_path)) == len(before) + 1  # moved back: nothing more to say
    _move(tmp_path, home, "03 Disetujui")
    app.cycle()
    assert app.store.draft(draft.reg).stage == "harmonisasi"  # decisions work as before


def test_a_refused_move_says_which_folder_to_put_the_file_back_in(tmp_path):
    app = service(tmp_path)
    drop(tmp_path, "Ranperbup.docx", draft_docx())
    app.cycle()
    [draft] = app.store.drafts()
    app.commands.revise(draft.reg)
    app.cycle()
    [working] = list((tmp_path / "drive" / "02 Perbaikan").iterdir())
    before = _subjects(tmp_path)

    approved = _move(tmp_path, working, "03 Disetujui")  # waiting for the OPD's revision
    app.cycle()
    assert app.store.draft(draft.reg).stage == "perbaikan"
    [told] = [s for s in _subjects(tmp_path) if s not in before]
    assert told.startswith(f"[{draft.reg}] Pemindahan tidak dicatat")
    [mail] = [m for m in sent_to(tmp_path, REVIEWER) if "tidak dicatat" in str(m["Subject"])]
    text = mail.get_body(("plain",)).get_content()
    assert 'Mohon pindahkan kembali berkas ke folder "02 Perbaikan".' in text
    assert "balas" not in text

    _move(tmp_path, approved, "02 Perbaikan")
    app.cycle()
    assert len(_subjects(tmp_path)) == len(before) + 1
    assert app.store.draft(draft.reg).stage == "perbaikan"
