"""The shared folder tree on Google Drive: which folder plays which role.

`drivebot setup-google` creates the tree under the shared folder (or shared drive) and writes
its ids to drivebot.toml as `[google.folder_ids]`: role keys ("review", "inbox/<OPD folder>")
to folder ids. The Drive adapter tells a file's role from its parent folder with this table.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from drivebot.config import CONFIG_NAME
from drivebot.errors import ConfigError
from drivebot.flows import WATCHED, Folder

FOLDER_MIME = "application/vnd.google-apps.folder"
NEEDED_CAPABILITIES = ("canAddChildren", "canListChildren", "canRemoveChildren")


class FolderTree:
    def __init__(self, ids: dict[str, str]):
        self.ids = dict(ids)
        known = {f.value for f in Folder}
        for key in self.ids:
            role, _, opd_folder = key.partition("/")
            if role not in known or (opd_folder and role != Folder.INBOX):
                raise ConfigError(
                    "folder_key", file=CONFIG_NAME, value=key, known=", ".join(sorted(known))
                )

    def places(self, watched_only: bool) -> dict[str, tuple[Folder, str | None]]:
        """Folder id -> (role, OPD folder). Files directly in the inbox belong to no OPD and,
        as in the local backend, are not watched."""
        places: dict[str, tuple[Folder, str | None]] = {}
        for key, folder_id in self.ids.items():
            role, _, opd_folder = key.partition("/")
            watched = Folder(role) in WATCHED and (opd_folder or role != Folder.INBOX)
            if watched or not watched_only:
                places[folder_id] = (Folder(role), opd_folder or None)
        return places

    def folder_id(self, folder: Folder, opd_folder: str | None = None) -> str:
        key = (
            f"{folder.value}/{opd_folder}"
            if folder is Folder.INBOX and opd_folder
            else folder.value
        )
        if key not in self.ids:
            raise ConfigError("folder_id_missing", file=CONFIG_NAME, value=key)
        return self.ids[key]

    def ensure(
        self,
        parent: str,
        names: dict[Folder, str],
        opd_folders: list[str],
        folder: Callable[[str, str], str],
    ) -> None:
        """Fill in every role still missing; `folder(name, parent)` finds or creates one."""
        if not parent:
            raise ConfigError("root_missing", file=CONFIG_NAME)
        for role in Folder:
            if role.value not in self.ids:
                self.ids[role.value] = folder(names[role], parent)
        for opd_folder in opd_folders:
            if f"inbox/{opd_folder}" not in self.ids:
                self.ids[f"inbox/{opd_folder}"] = folder(opd_folder, self.ids["inbox"])


def check_root(item: dict[str, Any], root: str) -> None:
    """Raise ConfigError unless the root folder (files.get with capabilities) lets the bot
    list, add and move files."""
    if item.get("mimeType") != FOLDER_MIME:
        raise ConfigError("root_not_folder", file=CONFIG_NAME, value=root)
    missing = [c for c in NEEDED_CAPABILITIES if not item.get("capabilities", {}).get(c)]
    if missing:
        raise ConfigError("root_not_shared", folder=item.get("name", root), what=", ".join(missing))
