"""Everything a person reads is in the office's language: every message of the catalogue that
the CLI, the notes and the reports use, rendered with sample values, and the real output of
the CLI in a real workspace, hold no English words, no internal keys and no "None"."""

from __future__ import annotations

import contextlib
import io
import re
import string
from contextlib import redirect_stderr, redirect_stdout
from pathlib import Path

import pytest
from builders import draft_docx, write_config
from test_i18n import _flatten

from drivebot import i18n
from drivebot.cli import main
from drivebot.cli.console import Console
from drivebot.config import SETTINGS
from drivebot.flows import STAGES

# Words that are English and never Indonesian (nor part of a command, a path or a name).
ENGLISH = {
    "the", "and", "of", "is", "not", "with", "for", "this", "that", "was", "has", "have",
    "been", "are", "please", "cannot", "must", "should", "could", "which", "when", "there",
    "your", "you", "we", "none", "null", "error", "file", "files", "draft", "drafts", "stage",
    "missing", "found", "failed", "usage", "options", "arguments", "required", "invalid",
    "choice", "show", "help", "exit", "run", "given", "refused", "submitted", "approved",
}  # fmt: skip
# What the text names rather than says: commands, options, paths, addresses, quoted names.
NAMED = re.compile(
    r"`[^`]*`|--[\w-]+|\"[^\"]*\"|'[^']*'|\S+@\S+|\S*/\S*|https?://\S+|\[[^\]]*\]|\{[^}]*\}"
    r"|\b\w+_\w+\b"  # a setting's name
    r"|^ {4}[\w-]+(?= )",  # a command, as --help lists them
    re.MULTILINE,
)
# Sections of the catalogue that people read in the CLI, in notes and in reports.
READ = ("cli", "error", "health", "report", "reason", "refusal", "event", "history", "draft",
        "note", "help", "argparse")  # fmt: skip


def english_in(text: str) -> set[str]:
    words = re.findall(r"[A-Za-z]+", NAMED.sub(" ", text))
    return {word for word in words if word.lower() in ENGLISH}


def _filled(text: str) -> str:
    names = {name for _, name, _, _ in string.Formatter().parse(text) if name}
    return text.format(**{name: "X" for name in names}) if names else text


@pytest.mark.parametrize("section", READ)
def test_the_indonesian_catalogue_says_nothing_in_english(section: str):
    messages = _flatten(i18n.section("id", section))
    said = {
        key: english_in(_filled(text) if section != "argparse" else text)
        for key, value in messages.items()
        for text in (value if isinstance(value, list) else [value])
        if isinstance(text, str)
    }
    assert {key: words for key, words in said.items() if words} == {}


def _cli(workspace: Path, *args: str) -> str:
    out, err = io.StringIO(), io.StringIO()
    # argparse writes --help and usage errors to sys.stdout and sys.stderr, then exits.
    with redirect_stdout(out), redirect_stderr(err), contextlib.suppress(SystemExit):
        main([*args, "--workspace", str(workspace)], Console(out, err))
    return out.getvalue() + err.getvalue()


# Names with an underscore that people do type: settings, and stages for `drivebot advance`.
TYPED = {key for keys in SETTINGS.values() for key in keys} | set(STAGES)


def _looks_internal(text: str) -> set[str]:
    """Catalogue keys, enum values and Python's words that leaked into a message."""
    bare = re.sub(r"`[^`]*`|\S+@\S+|\S*/\S*|\{[^}]*\}", " ", text)  # commands, paths, choices
    found = set(re.findall(r"\b[a-z]+_[a-z_]+\b|\bNone\b|\bTrue\b|\bFalse\b|[{}]", bare))
    return found - TYPED


@pytest.fixture
def workspace(tmp_path: Path) -> Path:
    write_config(tmp_path)
    from drivebot import bootstrap
    from drivebot.config import load

    app = bootstrap.app(load(tmp_path))
    app.drive.ensure_folders([opd.folder for opd in app.config.opds])
    inbox = tmp_path / "drive" / "00 Masuk"
    (inbox / "Dinas Kesehatan" / "Ranperbup Retribusi.docx").write_bytes(draft_docx())
    (inbox / "lepas.docx").write_bytes(draft_docx())  # outside every OPD's folder
    (inbox / "Dinas Kesehatan" / "rusak.pdf").write_bytes(b"%PDF-1.4 rusak")
    app.cycle()
    app.store.close()
    return tmp_path


def test_what_the_cli_says_is_indonesian(workspace: Path):
    [reg] = re.findall(r"HK-\d{4}-\d{4}", _cli(workspace, "status"))
    outputs = {
        "status": _cli(workspace, "status"),
        "status REG": _cli(workspace, "status", reg),
        "health": _cli(workspace, "health"),
        "advance refused": _cli(workspace, "advance", reg, "penetapan"),
        "no such draft": _cli(workspace, "approve", "HK-2026-0999"),
        "no workspace": _cli(workspace / "tidak-ada", "status"),
        "verify unknown": _cli(workspace, "verify", str(workspace / "drivebot.toml")),
        "verify nothing": _cli(workspace, "verify"),
        "usage error": _cli(workspace, "advance", reg),
        "help": _cli(workspace, "--help"),
        **{f"help {c}": _cli(workspace, c, "--help") for c in ("status", "stamp", "serve")},
    }
    assert {name: english_in(text) for name, text in outputs.items() if english_in(text)} == {}
    leaked = {name: _looks_internal(text) for name, text in outputs.items()}
    assert {name: keys for name, keys in leaked.items() if keys} == {}
    assert "Pemeriksaan" in outputs["status REG"] and "diajukan" in outputs["status REG"]


def test_quarantine_notes_and_admin_reports_are_indonesian(workspace: Path):
    from email import message_from_bytes, policy

    notes = list((workspace / "drive" / "99 Karantina").glob("*.catatan.txt"))
    assert len(notes) == 2
    sent = workspace / "mail" / "sent"
    mails = [
        message_from_bytes(p.read_bytes(), policy=policy.default)
        for sub in ("new", "cur")
        if (sent / sub).is_dir()
        for p in (sent / sub).iterdir()
    ]
    reports = [m for m in mails if "kabag.hukum" in str(m["To"])]
    assert reports
    for text in [n.read_text(encoding="utf-8").split("Rincian teknis")[0] for n in notes] + [
        str(m["Subject"]) + m.get_body(("plain",)).get_content().split("RINCIAN TEKNIS")[0]
        for m in reports
    ]:
        assert english_in(text) == set(), text
        assert _looks_internal(text) == set(), text
