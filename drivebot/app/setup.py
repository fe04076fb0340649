"""Setting a workspace up: a new one (`drivebot init`) and its Google folders (`setup-google`).

Kept apart from the running application: neither needs the daemon's parts, and both are safe to
run again (init keeps an existing configuration and key; setup-google finds folders it made).
"""

from __future__ import annotations

import json
import re
import tomllib
from dataclasses import replace
from importlib.resources import files
from pathlib import Path

from drivebot import bootstrap
from drivebot.archive.signing import Signer
from drivebot.config import CONFIG_NAME, Config, load


def init_workspace(directory: Path) -> bool:
    """Create the workspace (configuration, state, signing key, local folders) where missing;
    returns whether the configuration was written now (False: an existing one was kept).
    Opening the state file also brings it up to date after an upgrade."""
    directory.mkdir(parents=True, exist_ok=True)
    config_path = directory / CONFIG_NAME
    created = not config_path.exists()
    if created:
        sample = files("drivebot").joinpath("sample_config.toml").read_text(encoding="utf-8")
        config_path.write_text(sample, encoding="utf-8")
    config = load(directory)
    bootstrap.store(config).close()
    Signer.load(directory, create=True)
    if config.backend == "local":
        bootstrap.drive(config).ensure_folders([opd.folder for opd in config.opds])
    return created


def setup_google(config: Config, root: str, shared_drive: str) -> int:
    """Create (or find) the folder tree on Drive under `root` and switch the configuration to
    the Google backend with its folder ids; returns how many folders there are."""
    from drivebot.drive import setup_google_folders
    from drivebot.google_api import drive_client

    settings = replace(config.google, root_folder_id=root, shared_drive_id=shared_drive)
    ids = setup_google_folders(
        drive_client(settings, config.workspace),
        settings,
        config.folders,
        [opd.folder for opd in config.opds],
    )
    write_google_settings(config.workspace, root, shared_drive, ids)
    return len(ids)


def write_google_settings(
    workspace: Path, root_folder_id: str, shared_drive_id: str, folder_ids: dict[str, str]
) -> None:
    """Switch drivebot.toml to the Google backend with these folders, keeping everything else
    (comments included) as it is: the [google] tables are written anew at the end."""
    path = workspace / CONFIG_NAME
    text = path.read_text(encoding="utf-8")
    google = tomllib.loads(text).get("google", {})
    keep = {
        k: v
        for k, v in google.items()
        if k not in ("root_folder_id", "shared_drive_id", "folder_ids") and isinstance(v, str)
    }
    text = re.sub(r"(?ms)^\[google(\.folder_ids)?\]\n.*?(?=^\[|\Z)", "", text)
    text = re.sub(r"(?m)^backend = .*$", 'backend = "google"', text)
    lines = [
        "",
        "[google]",
        f"root_folder_id = {json.dumps(root_folder_id)}",
        f"shared_drive_id = {json.dumps(shared_drive_id)}",
        *(f"{k} = {json.dumps(v)}" for k, v in keep.items()),
        "",
        "[google.folder_ids]",
        *(f"{json.dumps(k)} = {json.dumps(v)}" for k, v in sorted(folder_ids.items())),
    ]
    path.write_text(text.rstrip("\n") + "\n" + "\n".join(lines) + "\n", encoding="utf-8")
