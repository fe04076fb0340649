"""The archive's commands: verify, revoke, stamp, import-archive, serve, publish.

`verify FILE`, `serve` and `publish` read the archive on a read-only store with the public key
only (no lock, no network); `verify --archive` adds the Drive, to read the archived files. The
others change the archive and run on the whole application, holding the workspace lock.
"""

from __future__ import annotations

import argparse
import contextlib
from urllib.parse import urlparse

from drivebot import bootstrap
from drivebot.app.archive_commands import ArchiveCommands
from drivebot.archive.backlog import Product, read_metadata
from drivebot.archive.ledger import ProductRecord, ProductStatus
from drivebot.archive.reader import ArchiveReader
from drivebot.cli.console import Console, ExitStatus, configured
from drivebot.config import Config
from drivebot.errors import NotFound
from drivebot.flows import ProductType
from drivebot.i18n import product_label

# The application (daemon, mail, templates) is not imported here (bootstrap.app is not used):
# `drivebot stamp` loads the archive and the stamping, and runs once per backlog file.


def _reader(config: Config) -> ArchiveReader:
    return ArchiveReader.open(config, bootstrap.store(config, readonly=True))


def _writer(config: Config, console: Console) -> ArchiveCommands:
    return bootstrap.archive_commands(config, lambda: console.warn("waiting_for_lock"))


def _label(product: ProductRecord) -> str:
    return product_label(product.product_type, product.number, product.year)


def verify(args: argparse.Namespace, console: Console) -> ExitStatus:
    from drivebot.archive.verification import verify_archive

    config = configured(args, console)
    reader = _reader(config)
    if args.archive:
        problems = verify_archive(reader.ledger, bootstrap.drive(config), reader.public_key)
        for problem in problems:
            console.say("archive_problem", where=problem.where, what=problem.what)
        if problems:
            console.say("archive_problems", n=len(problems))
            return ExitStatus.NOT_AUTHENTIC
        console.say("archive_ok", n=len(reader.ledger.products()))
        return ExitStatus.OK
    if args.file is None:
        console.say("need_file")
        return ExitStatus.CONFIG
    if not args.file.is_file():
        raise NotFound("no_file", path=args.file)
    verdict = reader.verify(args.file)
    product = verdict.product
    facts = (
        {
            "id": product.id,
            "title": product.title,
            "label": _label(product),
            "at": product.archived_at,
        }
        if product
        else {}
    )
    console.say(f"verdict_{verdict.status}", detail=verdict.detail, **facts)
    if product is None or not verdict.authentic:
        return ExitStatus.NOT_AUTHENTIC
    if product.status is not ProductStatus.IN_FORCE:
        console.say("verdict_revoked", by=product.revoked_by)
        return ExitStatus.REVOKED_PRODUCT
    console.say("verdict_in_force")
    return ExitStatus.OK


def revoke(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    product, revoked = _writer(config, console).revoke(args.product_id, args.by)
    if not revoked:
        console.say("already_revoked", id=product.id, by=product.revoked_by)
        return ExitStatus.OK
    console.say("revoked", id=product.id, by=args.by)
    return ExitStatus.OK


def stamp(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    archive = _writer(config, console)
    product = Product(
        args.file,
        ProductType(args.type),
        args.number,
        args.year,
        args.title,
        args.date or f"{args.year}-01-01",
        args.subject,
    )
    record, method = archive.stamp(product)
    if method is None:
        console.say("already_archived", id=product.id)
        return ExitStatus.OK
    console.say(
        "stamped",
        id=product.id,
        method=method,
        url=config.workspace / "archive" / record.stamped_name,
    )
    return ExitStatus.OK


def import_archive(args: argparse.Namespace, console: Console) -> ExitStatus:
    config = configured(args, console)
    products, bad_rows = read_metadata(args.metadata, args.directory)

    def progress(index: int, total: int, product_id: str) -> None:
        width = 30
        done = width * index // max(total, 1)
        print(
            f"\r[{'#' * done}{'.' * (width - done)}] {index}/{total} {product_id:<20}",
            end="",
            file=console.err,
            flush=True,
        )

    summary = _writer(config, console).import_backlog(products, progress)
    print(file=console.err)
    skipped = bad_rows + summary.skipped
    console.say("import_summary", archived=len(summary.archived), skipped=len(skipped))
    for what, why in skipped:
        console.say("skipped", what=what, why=why)
    return ExitStatus.OK


def serve(args: argparse.Namespace, console: Console) -> ExitStatus:
    """The verification page on waitress, a production WSGI server: several threads, socket
    timeouts, bounded requests. Each thread reads the archive through its own read-only
    connection to the state store."""
    from waitress.server import create_server

    config = configured(args, console)
    app = bootstrap.web(config, console.lang)  # fails here, before serving, if it cannot work
    path = urlparse(config.verify_url_base).path or "/"
    # X-Forwarded-* is believed only from the proxy named (waitress drops it from anyone else).
    proxy = (
        {
            "trusted_proxy": args.trust_proxy,
            "trusted_proxy_count": 1,
            "trusted_proxy_headers": {"x-forwarded-for", "x-forwarded-host", "x-forwarded-proto"},
        }
        if args.trust_proxy
        else {}
    )
    server = create_server(
        app,
        host=args.host,
        port=args.port,
        threads=args.threads,
        channel_timeout=30,  # an idle or slow client is dropped, never holding a thread
        connection_limit=200,
        max_request_body_size=(config.max_attachment_mb + 1) * 1024 * 1024,
        max_request_header_size=64 * 1024,
        clear_untrusted_proxy_headers=True,
        ident="drivebot",
        **proxy,
    )
    console.say("serving", host=args.host, port=server.effective_port, path=path)
    with contextlib.suppress(KeyboardInterrupt):
        server.run()
    return ExitStatus.OK


def publish(args: argparse.Namespace, console: Console) -> ExitStatus:
    from drivebot.web.publish import publish as write_site

    config = configured(args, console)
    reader = _reader(config)
    count = write_site(
        reader.ledger,
        reader.public_key,
        args.directory,
        config.verify_url_base,
        args.download_url,
        console.lang,
        config.org_name,
    )
    console.say("published", n=count, dir=args.directory)
    return ExitStatus.OK
