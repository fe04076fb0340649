"""The archive's commands: verify, revoke, stamp, import-archive, serve, publish."""

from __future__ import annotations

import argparse
import contextlib
import re
from collections.abc import Callable
from urllib.parse import urlparse

from drivebot.archive import archive_names
from drivebot.backlog import (
    IMPORT_ID_PATTERN,
    Product,
    archive_product,
    import_backlog,
    read_metadata,
)
from drivebot.console import Console, ExitStatus
from drivebot.errors import NotFound
from drivebot.outbox import product_label
from drivebot.service import Service
from drivebot.signing import ProductIdentity
from drivebot.verification import verify_archive, verify_file
from drivebot.workflow import ProductType


def _label(product) -> str:
    return product_label(ProductType(product.product_type), product.number, product.year)


def verify(service: Service, args: argparse.Namespace, console: Console) -> ExitStatus:
    ledger = service.archiver.ledger
    if args.archive:
        problems = verify_archive(ledger, service.drive,
                                  service.archiver.signer.public_key_pem())
        for problem in problems:
            console.say("archive_problem", where=problem.where, what=problem.what)
        if problems:
            console.say("archive_problems", n=len(problems))
            return ExitStatus.NOT_AUTHENTIC
        console.say("archive_ok", n=len(ledger.products()))
        return ExitStatus.OK
    if args.file is None:
        console.say("need_file")
        return ExitStatus.CONFIG
    if not args.file.is_file():
        raise NotFound(f"no file {args.file}")
    pattern = re.compile(rf"{service.id_pattern}|{IMPORT_ID_PATTERN}")
    versions = service.config.workspace / "versions"
    verdict = verify_file(
        args.file, ledger, lambda p: versions / p.final_sha256[:2] / f"{p.final_sha256}.pdf",
        pattern, service.config.watermark)
    product = verdict.product
    facts = {"id": product.id, "title": product.title, "label": _label(product),
             "at": product.archived_at} if product else {}
    console.say(f"verdict_{verdict.status}", detail=verdict.detail, **facts)
    if not verdict.authentic:
        return ExitStatus.NOT_AUTHENTIC
    if product.status != "berlaku":
        console.say("verdict_revoked", by=product.revoked_by)
        return ExitStatus.REVOKED_PRODUCT
    console.say("verdict_in_force")
    return ExitStatus.OK


def revoke(service: Service, args: argparse.Namespace, console: Console) -> ExitStatus:
    archiver = service.archiver
    product = archiver.ledger.product(args.product_id.upper())
    if product is None:
        raise NotFound(f"no archived product {args.product_id}")
    if product.status != "berlaku":
        console.say("already_revoked", id=product.id, by=product.revoked_by)
        return ExitStatus.OK
    with service.store.transaction():
        archiver.ledger.append("revoked", product.id, {"by": args.by})
    archiver.export_ledger()
    console.say("revoked", id=product.id, by=args.by)
    return ExitStatus.OK


def stamp(service: Service, args: argparse.Namespace, console: Console) -> ExitStatus:
    product = Product(args.file, ProductType(args.type), args.number, args.year, args.title,
                      args.date or f"{args.year}-01-01", args.subject)
    method = archive_product(service.archiver, product)
    if method is None:
        console.say("already_archived", id=product.id)
        return ExitStatus.OK
    record = service.archiver.ledger.product(product.id)
    identity = ProductIdentity(record.id, record.product_type, record.number, record.year,
                               record.title, record.date, record.final_sha256)
    console.say("stamped", id=product.id, method=method,
                url=service.config.workspace / "archive" / archive_names(identity)[0])
    return ExitStatus.OK


def import_archive(service: Service, args: argparse.Namespace, console: Console) -> ExitStatus:
    products, bad_rows = read_metadata(args.metadata, args.directory)

    def progress(index: int, total: int, product_id: str) -> None:
        width = 30
        done = width * index // max(total, 1)
        print(f"\r[{'#' * done}{'.' * (width - done)}] {index}/{total} {product_id:<20}",
              end="", file=console.err, flush=True)

    summary = import_backlog(service.archiver, products, progress)
    print(file=console.err)
    skipped = bad_rows + summary.skipped
    console.say("import_summary", archived=len(summary.archived), skipped=len(skipped))
    for what, why in skipped:
        console.say("skipped", what=what, why=why)
    return ExitStatus.OK


def _web_inputs(service: Service) -> tuple[bytes, str]:
    return (service.archiver.signer.public_key_pem(),
            urlparse(service.config.verify_url_base).path or "/")


def serve(service: Service, args: argparse.Namespace, console: Console) -> ExitStatus:
    from werkzeug.serving import make_server

    from drivebot.web import create_app

    public_key, path = _web_inputs(service)
    app = create_app(service.archiver.ledger, public_key, path, console.lang,
                     service.config.org_name, service.config.max_attachment_mb)
    # One thread: the state store's SQLite connection belongs to the thread that opened it,
    # and a verification page is light work.
    server = make_server(args.host, args.port, app, threaded=False)
    console.say("serving", host=args.host, port=server.server_port, path=path)
    with contextlib.suppress(KeyboardInterrupt):
        server.serve_forever()
    return ExitStatus.OK


def publish(service: Service, args: argparse.Namespace, console: Console) -> ExitStatus:
    from drivebot.web import publish as write_site

    public_key, _ = _web_inputs(service)
    count = write_site(service.archiver.ledger, public_key, args.directory,
                       service.config.verify_url_base, args.download_url, console.lang,
                       service.config.org_name)
    console.say("published", n=count, dir=args.directory)
    return ExitStatus.OK


ARCHIVE_COMMANDS: dict[str, Callable[[Service, argparse.Namespace, Console], ExitStatus]] = {
    "verify": verify, "revoke": revoke, "stamp": stamp, "import-archive": import_archive,
    "serve": serve, "publish": publish,
}

