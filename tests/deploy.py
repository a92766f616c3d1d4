"""Run the production image's own build and start commands outside a container.

No container engine is needed: the Dockerfile's instructions (read with dockerfile-parse) and
docker-compose.yml's commands and health checks are executed here, so neither can drift from
what this checks. The build context is filtered by ``.dockerignore`` with the Docker SDK's own
matcher; dependencies go into a fresh virtualenv made from the runtime lock alone, with the
machine's pip configuration switched off as in an image. Container paths map to folders of our
own: ``/app`` (and every other absolute path) under a private root, ``/tmp`` to a private,
world-writable folder. When we are root, the services run as the image's numeric ``USER``.

The virtualenv is cached like Docker caches layers: keyed on the instructions before the first
``COPY . .`` and the files they copy, so it is rebuilt only when the lock or those lines change.
"""

from __future__ import annotations

import hashlib
import io
import json
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass, field
from pathlib import Path

import yaml
from docker.utils.build import exclude_paths
from dockerfile_parse import DockerfileParser

ROOT = Path(__file__).resolve().parent.parent
CACHE = Path(os.environ.get("DEPLOY_SMOKE_CACHE", str(ROOT / "var" / "deploy-smoke")))
# What a build may pass through from this machine: how to reach the package index, nothing else.
PASS_THROUGH = ("SSL_CERT_FILE", "REQUESTS_CA_BUNDLE", "PIP_CERT", "PIP_INDEX_URL", "PIP_DEFAULT_TIMEOUT")
PASS_THROUGH += tuple(v for name in ("HTTP_PROXY", "HTTPS_PROXY", "NO_PROXY") for v in (name, name.lower()))
SUPPORTED = {"FROM", "ENV", "WORKDIR", "COPY", "RUN", "USER", "EXPOSE", "CMD", "LABEL"}


class BuildFailed(AssertionError):
    pass


@dataclass
class Image:
    root: Path  # the container's file system: /app is root/app
    tmp: Path  # the container's /tmp
    venv: Path
    env: dict[str, str]
    workdir: str = "/"
    user: tuple[int, int] | None = None
    base: str = ""
    log: list[str] = field(default_factory=list)
    venv_from_cache: bool = False

    def path(self, container_path: str) -> Path:
        if container_path == "/tmp" or container_path.startswith("/tmp/"):
            return self.tmp / container_path[len("/tmp") :].lstrip("/")
        return self.root / container_path.lstrip("/")

    def map_paths(self, text: str) -> str:
        """Rewrite absolute container paths (/tmp/…, /app/…) in a command to their folders here."""
        return re.sub(r"(?<![\w./$-])/(tmp|app)(?=/|\b)", lambda m: str(self.path(m.group(0))), text)

    @property
    def cwd(self) -> Path:
        return self.path(self.workdir)


def base_env(venv: Path, home: Path) -> dict[str, str]:
    env = {name: os.environ[name] for name in PASS_THROUGH if name in os.environ}
    env.update(
        PATH=f"{venv}/bin:/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin",
        HOME=str(home),
        LANG="C.UTF-8",
        PIP_CONFIG_FILE=os.devnull,  # no local mirror, no machine-wide constraints: as in an image
    )
    return env


def context_files(context: Path) -> list[str]:
    """The files ``docker build`` sends for this context, after ``.dockerignore``."""
    ignore = context / ".dockerignore"
    patterns = [
        line.strip()
        for line in (ignore.read_text().splitlines() if ignore.exists() else [])
        if line.strip() and not line.lstrip().startswith("#")
    ]
    files = {p for p in exclude_paths(str(context), patterns) if not (context / p).is_dir()}
    # The SDK keeps these two for the daemon even when ignored; COPY does not see them then.
    return sorted(files - {name for name in ("Dockerfile", ".dockerignore") if name in patterns})


def instructions(dockerfile_text: str) -> list[dict]:
    parser = DockerfileParser(fileobj=io.BytesIO(dockerfile_text.encode()))
    steps = [s for s in parser.structure if s["instruction"] != "COMMENT"]
    unknown = {s["instruction"] for s in steps} - SUPPORTED
    if unknown:
        raise BuildFailed(f"the deploy smoke test cannot run {sorted(unknown)}; teach tests/deploy.py first")
    if sum(s["instruction"] == "FROM" for s in steps) != 1:
        raise BuildFailed("the smoke test runs single-stage Dockerfiles only")
    return steps


def _copy_sources(step: dict) -> tuple[list[str], str]:
    parts = shlex.split(step["value"])
    if any(p.startswith("--") for p in parts):
        raise BuildFailed(f"COPY flags are not supported here: {step['content'].strip()}")
    return parts[:-1], parts[-1]


def _is_whole_context(step: dict) -> bool:
    return step["instruction"] == "COPY" and "." in _copy_sources(step)[0]


def _env_pairs(value: str) -> dict[str, str]:
    words = shlex.split(value)
    if words and "=" not in words[0]:  # legacy form: ENV KEY value with spaces
        return {words[0]: " ".join(words[1:])}
    return dict(word.split("=", 1) for word in words)


def venv_key(steps: list[dict], context: Path) -> str:
    digest = hashlib.sha256(f"{sys.version_info[:2]}".encode())
    for step in steps:
        if _is_whole_context(step):
            break
        digest.update(step["content"].encode())
        if step["instruction"] == "COPY":
            for src in _copy_sources(step)[0]:
                digest.update((context / src).read_bytes())
    return digest.hexdigest()[:16]


def _copy_into(image: Image, context: Path, included: list[str], sources: list[str], dest: str) -> None:
    target = image.path(dest if dest.startswith("/") else f"{image.workdir.rstrip('/')}/{dest}")
    for src in sources:
        if src == ".":
            for rel in included:
                out = target / rel
                out.parent.mkdir(parents=True, exist_ok=True)
                shutil.copy2(context / rel, out)
            continue
        if src not in included:
            raise BuildFailed(f"COPY {src}: not in the build context (missing, or excluded by .dockerignore)")
        out = target / Path(src).name if dest.endswith("/") else target
        out.parent.mkdir(parents=True, exist_ok=True)
        shutil.copy2(context / src, out)


def _run(image: Image, command: list[str], what: str) -> None:
    env = {**base_env(image.venv, image.root / "root"), **image.env}
    result = subprocess.run(command, cwd=image.cwd, env=env, capture_output=True, text=True, timeout=900, check=False)
    image.log.append(f"$ {what}\n{result.stdout}{result.stderr}")
    if result.returncode:
        raise BuildFailed(f"{what} failed (exit {result.returncode}):\n{(result.stdout + result.stderr)[-4000:]}")


def build(workspace: Path, *, context: Path = ROOT, dockerfile_text: str | None = None) -> Image:
    """Do what ``docker build`` does with this Dockerfile, in ``workspace``; raise BuildFailed as it would fail."""
    text = dockerfile_text if dockerfile_text is not None else (context / "Dockerfile").read_text()
    steps = instructions(text)
    key = venv_key(steps, context)
    venv = CACHE / f"venv-{key}"
    cached = (venv / ".complete").exists()
    if not cached:
        CACHE.mkdir(parents=True, exist_ok=True)
        for old in CACHE.glob("venv-*"):
            shutil.rmtree(old, ignore_errors=True)
        subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    workspace.chmod(0o755)
    image = Image(root=workspace / "fs", tmp=workspace / "tmp", venv=venv, env={}, venv_from_cache=cached)
    for folder in (image.root, image.root / "root", image.tmp):
        folder.mkdir(parents=True, exist_ok=True)
    image.tmp.chmod(0o1777)
    included = context_files(context)
    in_dependency_layers = True
    for step in steps:
        instruction, value = step["instruction"], step["value"]
        if _is_whole_context(step):
            in_dependency_layers = False
        if instruction == "FROM":
            image.base = value
            wanted = re.match(r"python:(\d+)\.(\d+)", value)
            if not wanted or tuple(map(int, wanted.groups())) != sys.version_info[:2]:
                raise BuildFailed(f"base image {value} is not the Python this test runs ({sys.version.split()[0]})")
        elif instruction == "ENV":
            image.env.update(_env_pairs(value))
        elif instruction == "WORKDIR":
            image.workdir = value if value.startswith("/") else f"{image.workdir.rstrip('/')}/{value}"
            image.cwd.mkdir(parents=True, exist_ok=True)
        elif instruction == "COPY":
            _copy_into(image, context, included, *_copy_sources(step))
        elif instruction == "RUN":
            if in_dependency_layers and cached:
                image.log.append(f"(cached) RUN {value}")
                continue
            command = json.loads(value) if value.lstrip().startswith("[") else ["/bin/sh", "-c", value]
            _run(image, [image.map_paths(c) for c in command], f"RUN {value}")
        elif instruction == "USER":
            uid, _, gid = value.partition(":")
            if not uid.isdigit() or (gid and not gid.isdigit()):
                raise BuildFailed(f"USER {value}: use a numeric uid:gid, so it can be checked without /etc/passwd")
            image.user = (int(uid), int(gid or uid))
    if not cached:
        (venv / ".complete").write_text(key)
    for path in (workspace, image.root, image.root / "app"):
        if path.exists():
            path.chmod(0o755)
    return image


# --- docker-compose.yml ---------------------------------------------------------------------


def compose(context: Path = ROOT) -> dict:
    return yaml.safe_load((context / "docker-compose.yml").read_text())


def interpolate(text: str, values: dict[str, str]) -> str:
    """Compose's ${VAR}, ${VAR:-default} and $$ (a literal $)."""

    def one(match: re.Match) -> str:
        if match.group(0) == "$$":
            return "$"
        name, default = match.group(1), match.group(3)
        return values.get(name) or (default or "")

    return re.sub(r"\$\$|\$\{(\w+)(:-([^}]*))?\}", one, text)


def env_file_values(context: Path, overrides: dict[str, str]) -> dict[str, str]:
    """The ``.env`` an operator writes from ``.env.example``: every listed name, our values for the secrets."""
    values = {}
    for line in (context / ".env.example").read_text().splitlines():
        if line.strip() and not line.lstrip().startswith("#") and "=" in line:
            name, value = line.split("=", 1)
            values[name.strip()] = overrides.get(name.strip(), value.strip())
    missing = set(overrides) - set(values)
    if missing:
        raise AssertionError(f".env.example does not name {sorted(missing)}")
    return values


@dataclass
class Service:
    name: str
    command: list[str]
    healthcheck: list[str]
    env: dict[str, str]


def service(
    image: Image, name: str, dotenv: dict[str, str], extra_env: dict[str, str], context: Path = ROOT
) -> Service:
    spec = compose(context)["services"][name]
    env = {**base_env(image.venv, image.root / "root"), **image.env, **dotenv}
    env.update({k: interpolate(str(v), dotenv) for k, v in (spec.get("environment") or {}).items()})
    env.update(extra_env)
    raw = spec["command"]
    command = shlex.split(interpolate(raw, dotenv)) if isinstance(raw, str) else [interpolate(c, dotenv) for c in raw]
    test = [interpolate(t, dotenv) for t in spec["healthcheck"]["test"]]
    if test[0] == "CMD-SHELL":
        check = ["/bin/sh", "-c", test[1]]
    elif test[0] == "CMD":
        check = test[1:]
    else:
        raise AssertionError(f"{name}: health check form {test[0]!r} is not supported")
    return Service(
        name,
        [image.map_paths(c) for c in command],
        [image.map_paths(c) for c in check],
        env,
    )


def _open_to_others(path: Path) -> bool:
    """Whether any user may run ``path``: every folder on the way searchable, the file executable."""
    path = path.resolve()
    folders_ok = all(folder.stat().st_mode & 0o001 for folder in path.parents)
    return folders_ok and bool(path.stat().st_mode & 0o001)


def _as_image_user(image: Image) -> dict:
    """Run as the image's uid when we can; not when this machine's Python lives where only root may go."""
    if not image.user or os.geteuid() != 0:
        return {}
    if not _open_to_others(image.venv / "bin" / "python"):
        if "as-root" not in image.log:
            image.log.append("as-root")
            print(f"deploy smoke test: {image.venv}/bin/python is out of reach of uid {image.user[0]}; running as root")
        return {}
    return {"user": image.user[0], "group": image.user[1], "extra_groups": []}


def start(image: Image, svc: Service, log: Path) -> subprocess.Popen:
    with log.open("wb") as out:
        return subprocess.Popen(
            svc.command,
            cwd=image.cwd,
            env=svc.env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
            **_as_image_user(image),
        )


def run_in_image(image: Image, svc: Service, command: list[str], timeout: float = 60) -> subprocess.CompletedProcess:
    return subprocess.run(
        command,
        cwd=image.cwd,
        env=svc.env,
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
        **_as_image_user(image),
    )


def wait_healthy(image: Image, svc: Service, process: subprocess.Popen, log: Path, seconds: float = 120) -> None:
    """Run the service's own health check until it passes; fail early when the service exits."""
    deadline = time.monotonic() + seconds
    last = None
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise AssertionError(f"{svc.name} exited with {process.returncode}:\n{log.read_text()[-4000:]}")
        last = run_in_image(image, svc, svc.healthcheck, timeout=30)
        if last.returncode == 0:
            return
        time.sleep(0.5)
    detail = (last.stdout + last.stderr) if last else ""
    raise AssertionError(f"{svc.name} never became healthy: {detail}\n{log.read_text()[-4000:]}")


def stop(process: subprocess.Popen) -> None:
    if process.poll() is not None:
        return
    os.killpg(process.pid, signal.SIGTERM)
    try:
        process.wait(timeout=20)
    except subprocess.TimeoutExpired:
        os.killpg(process.pid, signal.SIGKILL)
        process.wait()


def workspace() -> Path:
    """A private folder the image's unprivileged user can still enter (pytest's tmp_path is 0700)."""
    return Path(tempfile.mkdtemp(prefix="bingel-deploy-"))
