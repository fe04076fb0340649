"""A bad configuration gets one clear message naming the key, never a traceback."""

import subprocess
import sys

import pytest
from builders import write_config

from drivebot.config import load
from drivebot.errors import ConfigError


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"poll_interval_seconds": 0}, "poll_interval_seconds: must be greater than 0"),
        (
            {"poll_interval_seconds": "sixty"},
            "poll_interval_seconds: write a whole number here, not 'sixty'",
        ),
        ({"backend": "dropbox"}, "backend: 'dropbox' is not one of local, google"),
        ({"language": "fr"}, "language: 'fr' is not one of id, en"),
        ({"digest_time": "7.30"}, "digest_time: '7.30' is not a time"),
        ({"registration_prefix": "hk/"}, "registration_prefix: use 1 to 8 capital letters"),
        (
            {"organization": {"name": "Bagian Hukum", "email": "bukan-alamat"}},
            "[organization] email: 'bukan-alamat' is not an e-mail address",
        ),
        ({"stamp": {"verify_url_base": "jdih.example/v"}}, "[stamp] verify_url_base: "),
        ({"web": {"base_url": "jdih.sbtkab.example"}}, "[web] base_url: "),
        (
            {"web": {"base_url": "https://sbtkab.example/hukum/"}},
            "[web] base_url: 'https://sbtkab.example/hukum/' must be a site's root",
        ),
        (
            {"stamp": {"verify_url_base": "https://jdih.sbtkab.example/v/", "qr_mm": 15}},
            "[stamp] qr_mm: must be at least 25",
        ),
        (
            {"numbering": {"perbub": 3}},
            "[numbering] perbub is not a setting drivebot knows; did you mean [numbering] perbup?",
        ),
        (
            {"folders": {"inbox": "01 Pemeriksaan"}},
            "[folders]: '01 Pemeriksaan' appears more than once",
        ),
    ],
)
def test_bad_values_name_their_key(tmp_path, change, message):
    write_config(tmp_path, change)
    with pytest.raises(ConfigError) as error:
        load(tmp_path)
    assert message in str(error.value)
    assert str(error.value).startswith("drivebot.toml: ")


def test_an_opd_without_addresses_is_named_by_position(tmp_path):
    write_config(tmp_path)
    path = tmp_path / "drivebot.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace(
            'emails = ["bpkad@sbtkab.example"]', "emails = []"
        ),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"\[\[opd\]\] #3 emails: list at least one address"):
        load(tmp_path)


def test_the_same_address_for_two_opds_is_refused(tmp_path):
    write_config(tmp_path)
    path = tmp_path / "drivebot.toml"
    path.write_text(
        path.read_text(encoding="utf-8").replace("bpkad@sbtkab.example", "dikbud@sbtkab.example"),
        encoding="utf-8",
    )
    with pytest.raises(ConfigError, match=r"dikbud@sbtkab\.example' appears more than once"):
        load(tmp_path)


def test_the_cli_reports_a_broken_file_in_one_line_with_exit_status_2(tmp_path):
    (tmp_path / "drivebot.toml").write_text("backend = \n", encoding="utf-8")
    run = subprocess.run(
        [sys.executable, "-m", "drivebot", "once", "-w", str(tmp_path)],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.startswith("drivebot.toml tidak dapat dibaca: isinya bukan TOML yang sah")
    assert "Traceback" not in run.stderr


def test_the_shipped_sample_is_valid_and_init_makes_a_working_workspace(tmp_path):
    workspace = tmp_path / "ruang-kerja"
    run = subprocess.run(
        [sys.executable, "-m", "drivebot", "init", str(workspace)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "Ruang kerja siap" in run.stdout
    config = load(workspace)
    assert config.backend == "local" and len(config.opds) == 5
    assert (workspace / "drive" / "00 Masuk" / "Dinas Kesehatan").is_dir()
    again = subprocess.run(
        [sys.executable, "-m", "drivebot", "init", str(workspace)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert "tidak diubah" in again.stdout
    status = subprocess.run(
        [sys.executable, "-m", "drivebot", "status", "--lang", "en", "-w", str(workspace)],
        capture_output=True,
        text=True,
        check=True,
    )
    assert status.stdout.strip() == "No drafts yet."


@pytest.mark.parametrize(
    ("toml", "message"),
    [
        (
            '[[reviwer]]\nname = "Analis"\nemail = "analis@sbtkab.example"\n',
            "drivebot.toml: [[reviwer]] is not a setting drivebot knows; "
            "did you mean [[reviewer]]?",
        ),
        ("poll_intervall_seconds = 30\n", "did you mean poll_interval_seconds?"),
        (
            '[organisation]\nname = "x"\n',
            "[organisation] is not a setting drivebot knows; did you mean [organization]?",
        ),
        ('[google]\ntokn_file = "t.json"\n', "did you mean [google] token_file?"),
        ("zzz = 1\n", "zzz is not a setting drivebot knows; known here: admin, "),
    ],
)
def test_an_unknown_name_is_refused_with_the_nearest_known_one(tmp_path, toml, message):
    write_config(tmp_path)
    path = tmp_path / "drivebot.toml"
    text = path.read_text(encoding="utf-8")
    # Top-level keys go before the first table, tables at the end, as TOML requires.
    path.write_text(text + toml if toml.startswith("[") else toml + text, encoding="utf-8")
    with pytest.raises(ConfigError) as error:
        load(tmp_path)
    assert message in str(error.value)


def test_errors_are_said_in_indonesian_and_english(tmp_path):
    write_config(tmp_path, {"poll_interval_seconds": "sixty"})
    with pytest.raises(ConfigError) as error:
        load(tmp_path)
    assert error.value.text("id") == (
        "drivebot.toml: poll_interval_seconds: isi dengan bilangan bulat, bukan 'sixty'."
    )
    assert error.value.text("en") == str(error.value)


def test_a_missing_workspace_is_not_called_a_configuration_error(tmp_path):
    run = subprocess.run(
        [sys.executable, "-m", "drivebot", "status", "-w", str(tmp_path / "nothing")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 2
    assert run.stderr.startswith("Tidak ada ruang kerja drivebot di ")
    assert "drivebot init" in run.stderr and "Konfigurasi" not in run.stderr


@pytest.mark.parametrize(
    ("web", "stamp", "base", "verify"),
    [
        # The shipped layout: the verification pages under the site's address.
        ({"base_url": "https://jdih.sbtkab.example"}, {}, "https://jdih.sbtkab.example/",
         "https://jdih.sbtkab.example/verifikasi/"),
        # A configuration from before [web]: its verification address keeps working (QR codes
        # already printed carry it); no site address is guessed, so e-mails link no pages.
        ({}, {"verify_url_base": "https://jdih.sbtkab.example/cek-produk"},
         None, "https://jdih.sbtkab.example/cek-produk/"),
        # The pages `drivebot publish` writes, served by the regency's own JDIH server.
        ({"base_url": "https://drivebot.sbtkab.example/"},
         {"verify_url_base": "https://jdih.sbtkab.example/v"},
         "https://drivebot.sbtkab.example/", "https://jdih.sbtkab.example/v/"),
    ],
)  # fmt: skip
def test_the_sites_address_and_the_verification_address(tmp_path, web, stamp, base, verify):
    write_config(tmp_path, {"web": web, "stamp": {"watermark": "SALINAN SAH", **stamp}})
    config = load(tmp_path)
    assert (config.base_url, config.verify_url_base) == (base, verify)


def test_without_any_address_the_site_is_asked_for(tmp_path):
    write_config(tmp_path, {"web": {}, "stamp": {"watermark": "SALINAN SAH"}})
    with pytest.raises(ConfigError, match=r"\[web\] base_url"):
        load(tmp_path)
