"""The OIDC signing key, kept in a file so that tokens and cached JWKS survive restarts."""

import contextlib
import os
import tempfile
from pathlib import Path

from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import rsa


def generate_private_key_pem() -> str:
    key = rsa.generate_private_key(public_exponent=65537, key_size=2048)
    return key.private_bytes(
        encoding=serialization.Encoding.PEM,
        format=serialization.PrivateFormat.PKCS8,
        encryption_algorithm=serialization.NoEncryption(),
    ).decode("ascii")


def ensure_private_key(path: Path) -> str:
    """Return the PEM at ``path``, creating it (mode 0600) first if it does not exist."""
    try:
        return path.read_text()
    except FileNotFoundError:
        pass
    path.parent.mkdir(parents=True, exist_ok=True)
    # mkstemp creates the file with mode 0600, so the key is never readable by others.
    fd, tmp_name = tempfile.mkstemp(dir=path.parent, prefix=".oidc-key-", suffix=".tmp")
    try:
        with os.fdopen(fd, "w") as tmp:
            tmp.write(generate_private_key_pem())
        # link() never overwrites: when setup and the server start at the same moment,
        # the first key to land wins and every process reads that one back.
        with contextlib.suppress(FileExistsError):
            os.link(tmp_name, path)
    finally:
        os.unlink(tmp_name)
    return path.read_text()
