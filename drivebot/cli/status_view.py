"""How `drivebot status` looks to a person: the table of drafts, and one draft with its
history and versions, in the office's language and time zone. `--json` prints the records
themselves (drivebot.app.status), which are language-neutral."""

from __future__ import annotations

from datetime import tzinfo
from typing import Any

from drivebot import i18n
from drivebot.cli.console import Console
from drivebot.i18n.history import cause, size, when


def left(console: Console, deadline: dict[str, Any]) -> str:
    """Days left, or late, in the limit's unit ("sisa 2 hari kerja", "TERLAMBAT 3 hari")."""
    unit = i18n.text(console.lang, f"deadline.{deadline['unit']}")
    if deadline["days_late"]:
        return console.text("deadline_late", n=deadline["days_late"], unit=unit)
    if deadline["days_left"]:
        return console.text("deadline_left", n=deadline["days_left"], unit=unit)
    return console.text("deadline_today")


def show_draft(record: dict[str, Any], console: Console, tz: tzinfo | None) -> None:
    lang = console.lang
    words = i18n.section(lang, "draft")
    fields = [
        (words["reg"], record["reg"]),
        (words["title"], record["title"]),
        (words["opd"], record["opd"]),
        (words["kind"], i18n.product_name(lang, record["product_type"])),
        (words["stage"], i18n.stage_label(lang, record["stage"])),
        (words["since"], when(lang, record["stage_since"], tz)),
        *(
            [(words["deadline"], f"{i18n.long_date(lang, d['due'])} ({left(console, d)})")]
            if (d := record.get("deadline"))
            else []
        ),
        *([(words["assignee"], a)] if (a := record.get("assignee")) else []),
        (words["version"], record["version"]),
        (words["number"], record["number"] or words["no_number"]),
        *(
            (words[key], i18n.long_date(lang, record[key]))
            for key in ("enacted_on", "promulgated_on")
            if record.get(key)
        ),
        *((words[key], record[key]) for key in ("gazette", "noreg") if record.get(key)),
        (words["received"], when(lang, record["created_at"], tz)),
    ]
    width = max(len(label) for label, _ in fields)
    for label, value in fields:
        print(f"{label:<{width}}  {value}", file=console.out)
    if record.get("final_held"):
        print(f"\n{words['final_held']}", file=console.out)
        for problem in record["final_held"]:
            print(
                f"  - {i18n.held_because(lang, problem['key'], problem['values'])}",
                file=console.out,
            )
    print(f"\n{words['history']}", file=console.out)
    for row in record["history"]:
        before, after = row["from_stage"], row["to_stage"]
        moved = (
            f"{i18n.stage_label(lang, before)} -> {i18n.stage_label(lang, after)}"
            if before and after and before != after
            else ""
        )
        parts = [
            when(lang, row["at"], tz),
            row["actor"],
            i18n.section(lang, "event").get(row["event"], row["event"]),
            moved,
            cause(lang, row["reason"]),
        ]
        print("  " + " · ".join(part for part in parts if part), file=console.out)
    if record["versions"]:
        print(f"\n{words['versions']}", file=console.out)
    for version in record["versions"]:
        print(
            i18n.text(
                lang,
                "draft.version_line",
                version=version["version"],
                kind=words[f"{version['kind']}_kind"],
                file=version["file_name"],
                size=size(version["size"]),
                at=when(lang, version["received_at"], tz),
            ),
            file=console.out,
        )


def show_table(records: list[dict[str, Any]], console: Console) -> None:
    rows = [tuple(console.words("headers"))] + [
        (
            r["reg"],
            r["opd"],
            i18n.product_short(r["product_type"]),
            i18n.stage_label(console.lang, r["stage"]),
            str(r["version"]),
            console.text("days", n=r["waiting_days"]),
            left(console, r["deadline"]) if r.get("deadline") else "-",
            r["title"] if len(r["title"]) <= 60 else r["title"][:59] + "…",
        )
        for r in records
    ]
    widths = [max(len(str(row[i])) for row in rows) for i in range(len(rows[0]) - 1)]
    for row in rows:
        cells = [str(cell).ljust(width) for cell, width in zip(row, widths, strict=False)]
        print("  ".join([*cells, row[-1]]), file=console.out)
