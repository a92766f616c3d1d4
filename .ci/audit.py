"""Release audit: a CycloneDX SBOM of the runtime lock, and pip-audit over the same lock.

The SBOM is always written (var/sbom/runtime.cdx.json). The audit needs a vulnerability
service (the PyPI JSON API or OSV); when neither answers, it says so and exits 3, because a
release that was not audited must not look audited. AUDIT_OFFLINE_OK=1 accepts that (exit 0),
e.g. to hand the SBOM to a scanner elsewhere.

Exit codes: 0 audited and clean, 1 vulnerabilities found (or the audit failed), 2 no SBOM,
3 not audited because no service was reachable.
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
import urllib.error
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
LOCK = ROOT / "requirements" / "runtime.lock"
SBOM = ROOT / "var" / "sbom" / "runtime.cdx.json"
BIN = Path(sys.executable).parent
# pip-audit's services, each probed with the very request pip-audit makes for one locked package.
# A mirror that answers the project page but not the release page, or without vulnerability
# data, is no vulnerability service.
PROBE = ("django", "5.2")
SERVICES = {
    "pypi": (
        "the PyPI JSON API",
        urllib.request.Request(f"https://pypi.org/pypi/{PROBE[0]}/{PROBE[1]}/json"),
        "vulnerabilities",
    ),
    "osv": (
        "OSV (osv.dev)",
        urllib.request.Request(
            "https://api.osv.dev/v1/query",
            data=json.dumps({"package": {"name": PROBE[0], "ecosystem": "PyPI"}, "version": PROBE[1]}).encode(),
            headers={"Content-Type": "application/json"},
        ),
        "vulns",
    ),
}


def write_sbom() -> bool:
    SBOM.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(
        [
            str(BIN / "cyclonedx-py"),
            *("requirements", str(LOCK), "--pyproject", str(ROOT / "pyproject.toml"), "--spec-version", "1.6"),
            *("--output-format", "JSON", "--output-reproducible", "--output-file", str(SBOM)),
        ],
        check=False,
    )
    if result.returncode or not SBOM.exists():
        print("SBOM: cyclonedx-py failed; no SBOM written.", file=sys.stderr)
        return False
    components = json.loads(SBOM.read_text()).get("components", [])
    print(f"SBOM: {len(components)} components of {LOCK.relative_to(ROOT)} written to {SBOM.relative_to(ROOT)}")
    return True


def reachable_service() -> str | None:
    for name, (label, request, key) in SERVICES.items():
        try:
            with urllib.request.urlopen(request, timeout=10) as response:  # noqa: S310 (fixed https URLs)
                answer = json.loads(response.read())
        except (urllib.error.URLError, OSError, ValueError) as exc:
            print(f"Audit: {label} not reachable ({exc}).", file=sys.stderr)
            continue
        if key in answer:
            return name
        print(f"Audit: {label} answered without vulnerability data.", file=sys.stderr)
    return None


def main() -> int:
    sbom_ok = write_sbom()
    service = reachable_service()
    if service is None:
        print(
            "\nAudit NOT DONE: no vulnerability service (PyPI JSON API, OSV) is reachable from this machine.\n"
            f"The dependencies are not checked for known vulnerabilities. Run `make audit` where one is\n"
            f"reachable, or scan {SBOM.relative_to(ROOT)} with another CycloneDX-aware scanner, before releasing.",
            file=sys.stderr,
        )
        if not sbom_ok:
            return 2
        return 0 if os.environ.get("AUDIT_OFFLINE_OK") == "1" else 3
    result = subprocess.run(
        [
            str(BIN / "pip-audit"),
            *("--requirement", str(LOCK), "--require-hashes", "--disable-pip"),
            *("--vulnerability-service", service, "--progress-spinner", "off", "--strict"),
        ],
        check=False,
    )
    if result.returncode == 0:
        print(f"Audit: no known vulnerabilities in {LOCK.relative_to(ROOT)} (service: {service}).")
    return result.returncode or (0 if sbom_ok else 2)


if __name__ == "__main__":
    sys.exit(main())
