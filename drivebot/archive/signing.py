"""The archive's Ed25519 key, and signatures over a product's identity for its QR code.

The signature binds the QR code to one product (its type, number, year, title, date and the
SHA-256 of the signed final), so a code lifted from one product and pasted on another does not
verify. The private key never leaves the workspace: `keys/signing-key.pem`, mode 0600; the
public key beside it may be published.
"""

from __future__ import annotations

import base64
import json
import os
from dataclasses import dataclass
from pathlib import Path

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from drivebot.errors import ConfigError

KEY_DIR = "keys"
PRIVATE_NAME = "signing-key.pem"
PUBLIC_NAME = "signing-key.pub.pem"


@dataclass(frozen=True)
class ProductIdentity:
    id: str
    product_type: str
    number: int
    year: int
    title: str
    date: str
    final_sha256: str


def identity(record: ProductIdentity) -> bytes:
    """The canonical bytes signed for a product."""
    return json.dumps(
        {
            "id": record.id,
            "type": record.product_type,
            "number": record.number,
            "year": record.year,
            "title": record.title,
            "date": record.date,
            "sha256": record.final_sha256,
        },
        ensure_ascii=False,
        sort_keys=True,
        separators=(",", ":"),
    ).encode("utf-8")


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


def verify_signature(public_key_pem: bytes, record: ProductIdentity, signature: str) -> bool:
    key = serialization.load_pem_public_key(public_key_pem)
    if not isinstance(key, Ed25519PublicKey):
        return False
    try:
        key.verify(_unb64(signature), identity(record))
    except (InvalidSignature, ValueError):
        return False
    return True


def public_key_pem(workspace: Path) -> bytes:
    """The archive's public key, for checking signatures without the private key: the published
    copy beside the key, or derived from the key when that copy is missing."""
    path = workspace / KEY_DIR / PUBLIC_NAME
    if path.is_file():
        return path.read_bytes()
    return Signer.load(workspace).public_key_pem()


class Signer:
    def __init__(self, private_key: Ed25519PrivateKey):
        self._key = private_key

    @classmethod
    def generate(cls) -> Signer:
        return cls(Ed25519PrivateKey.generate())

    @classmethod
    def load(cls, workspace: Path, create: bool = False) -> Signer:
        """The workspace's key. `create` makes one (mode 0600) when there is none; otherwise a
        missing key is an error, since a new key would make every QR code issued so far
        read as forged."""
        path = workspace / KEY_DIR / PRIVATE_NAME
        if not path.exists():
            if not create:
                raise ConfigError("key_missing", path=path)
            signer = cls.generate()
            signer.save(workspace)
            return signer
        if path.stat().st_mode & 0o077:
            raise ConfigError("key_readable", path=path)
        key = serialization.load_pem_private_key(path.read_bytes(), password=None)
        if not isinstance(key, Ed25519PrivateKey):
            raise ConfigError("key_wrong", path=path)
        return cls(key)

    def save(self, workspace: Path) -> None:
        directory = workspace / KEY_DIR
        directory.mkdir(mode=0o700, parents=True, exist_ok=True)
        pem = self._key.private_bytes(
            serialization.Encoding.PEM,
            serialization.PrivateFormat.PKCS8,
            serialization.NoEncryption(),
        )
        descriptor = os.open(directory / PRIVATE_NAME, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(descriptor, "wb") as handle:
            handle.write(pem)
        (directory / PUBLIC_NAME).write_bytes(self.public_key_pem())

    def public_key_pem(self) -> bytes:
        return self._key.public_key().public_bytes(
            serialization.Encoding.PEM, serialization.PublicFormat.SubjectPublicKeyInfo
        )

    def sign(self, record: ProductIdentity) -> str:
        """A base64url signature (86 characters), short enough for a readable QR code."""
        return _b64(self._key.sign(identity(record)))
