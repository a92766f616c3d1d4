"""SimpleSAMLphp (Debian's ``simplesamlphp`` package, the identity provider Kennisnet documents for
Entree) as its own process: ``php -S`` on its www folder with the configuration that
``demo/simplesamlphp.py`` writes, releasing Entree's attributes by name for four people: a
coordinator, a teacher, a pupil and a person of a school we do not serve. ``make test`` installs
the packages where they are missing."""

from __future__ import annotations

import os
import socket
import subprocess
import time
from dataclasses import dataclass
from pathlib import Path

import pytest
import requests

from demo.simplesamlphp import DEMO_PEOPLE, SIMPLESAMLPHP, available, entity_id, write_config
from tests.saml_idp import SP_ENTITY_ID

PORT = 17729  # this project's tests use 17700-17799 for fixed ports
PASSWORD = "entree-test-wachtwoord"


@dataclass
class SimpleSamlPhp:
    base_url: str
    folder: Path

    @property
    def entity_id(self) -> str:
        return entity_id(self.base_url)

    def metadata(self) -> str:
        """The metadata SimpleSAMLphp itself publishes at its entity id."""
        response = requests.get(self.entity_id, timeout=10)
        response.raise_for_status()
        return response.text


def _wait_for(port: int, process: subprocess.Popen, seconds: float = 15) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError("php -S stopped before it listened")
        with socket.socket() as probe:
            if probe.connect_ex(("127.0.0.1", port)) == 0:
                return
        time.sleep(0.1)
    raise RuntimeError(f"php -S did not listen on {port}")


@pytest.fixture(scope="session")
def simplesamlphp(tmp_path_factory, entree_keys, live_server) -> SimpleSamlPhp:
    if not available():
        pytest.fail("SimpleSAMLphp is missing: `make test` installs Debian's simplesamlphp and php-cli.")
    folder = tmp_path_factory.mktemp("simplesamlphp")
    base_url = f"http://127.0.0.1:{PORT}"
    write_config(
        folder,
        base_url=base_url,
        app_url=live_server.url,
        sp_entity_id=SP_ENTITY_ID,
        sp_cert_pem=entree_keys.sp.cert,
        people=DEMO_PEOPLE,
        password=PASSWORD,
    )
    env = {**os.environ, "SIMPLESAMLPHP_CONFIG_DIR": str(folder / "config")}
    log = (folder / "log" / "php-server.log").open("wb")
    process = subprocess.Popen(
        ["php", "-S", f"127.0.0.1:{PORT}", "-t", str(SIMPLESAMLPHP / "www")],
        env=env,
        stdout=log,
        stderr=subprocess.STDOUT,
    )
    try:
        _wait_for(PORT, process)
        yield SimpleSamlPhp(base_url, folder)
    finally:
        process.terminate()
        process.wait(timeout=10)
        log.close()
