"""Build a fresh Django project from README's "Using it in your project", as a new user would.

The recipe is read from README.md itself (blocks after ``<!-- recipe: ... -->`` comments), so the
README and this test cannot drift: ``append FILE`` / ``create FILE`` blocks are written to the
project, ``shell`` blocks are run line by line. Only three things differ from a person at a
terminal: ``pip install tenant-sso`` installs the wheel built from this checkout (and the Django
release under test), the ports 8000/9000 become free ports, and the two servers the recipe starts
(``python -m tenant_sso.devidp ... &``, ``manage.py runserver``) are started in the background here.
"""

from __future__ import annotations

import glob
import os
import re
import shlex
import shutil
import signal
import subprocess
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path

import httpx

from tests.services.servers import free_port

ROOT = Path(__file__).resolve().parents[2]
README = ROOT / "README.md"
RECIPE = re.compile(r"<!-- recipe: (append|create|shell)(?: (\S+))? -->\n```[a-z]*\n(.*?)```", re.S)
INSTALL_TIMEOUT = 240


def python_for(django: str) -> str:
    """The interpreter a new project on ``django`` would use: 3.11 for 5.2, 3.13 for 6.x (>= 3.12)."""
    version = "3.11" if django.startswith("5.") else "3.13"
    pyenv = sorted(glob.glob(os.path.expanduser(f"~/.pyenv/versions/{version}.*/bin/python")), reverse=True)
    for candidate in [*pyenv, shutil.which(f"python{version}")]:
        # pyenv's shim exists for every installed version but runs only the global one(s).
        if candidate and subprocess.run([candidate, "-c", ""], capture_output=True).returncode == 0:
            return candidate
    raise RuntimeError(f"Python {version} is missing (pyenv install {version})")


def recipe() -> list[tuple[str, str | None, str]]:
    """README's recipe blocks in order: (action, target file or None, text)."""
    blocks = [(m.group(1), m.group(2), m.group(3)) for m in RECIPE.finditer(README.read_text())]
    assert blocks, "README.md has no recipe blocks"
    return blocks


def shell_lines(text: str) -> list[str]:
    """Logical command lines of a shell block (backslash continuations joined, comments dropped)."""
    lines, current = [], ""
    for raw in text.splitlines():
        line = raw.split("  #", 1)[0].rstrip() if not raw.lstrip().startswith("#") else ""
        if line.endswith("\\"):
            current += line[:-1] + " "
            continue
        current += line
        if current.strip():
            lines.append(current.strip())
        current = ""
    return lines


def build_wheel(outdir: Path) -> Path:
    """``python -m build --wheel`` of this checkout (once per test session)."""
    subprocess.run(
        [sys.executable, "-m", "build", "--wheel", "--outdir", str(outdir), str(ROOT)],
        check=True, capture_output=True, timeout=INSTALL_TIMEOUT,
    )
    (wheel,) = outdir.glob("tenant_sso-*.whl")
    return wheel


@dataclass
class FreshProject:
    """A project made by ``django-admin startproject`` plus the recipe, with its servers running."""

    path: Path
    django: str
    app_url: str
    idp_url: str
    env: dict[str, str]
    processes: list[subprocess.Popen[bytes]] = field(default_factory=list)

    def run(self, command: str, *, timeout: float = INSTALL_TIMEOUT) -> str:
        done = subprocess.run(
            ["bash", "-c", command], cwd=self.path, env=self.env, capture_output=True, text=True, timeout=timeout
        )
        if done.returncode != 0:
            raise AssertionError(f"`{command}` failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
        return done.stdout

    def start(self, command: str, name: str) -> None:
        with open(self.path / f"{name}.log", "wb") as log:  # the child keeps its own descriptor
            process = subprocess.Popen(
                shlex.split(command.rstrip("&").strip()), cwd=self.path, env=self.env, stdout=log,
                stderr=subprocess.STDOUT, start_new_session=True,
            )
        self.processes.append(process)

    def log(self, name: str) -> str:
        path = self.path / f"{name}.log"
        return path.read_text(errors="replace")[-3000:] if path.exists() else ""

    def stop(self) -> None:
        for process in reversed(self.processes):
            if process.poll() is None:
                os.killpg(process.pid, signal.SIGTERM)  # runserver's autoreloader has a child
                try:
                    process.wait(timeout=10)
                except subprocess.TimeoutExpired:
                    os.killpg(process.pid, signal.SIGKILL)
                    process.wait()


def wait_http(url: str, project: FreshProject, name: str, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if any(p.poll() is not None for p in project.processes):
            raise AssertionError(f"a server of the recipe exited:\n{project.log('devidp')}\n{project.log('app')}")
        try:
            httpx.get(url, timeout=2)
            return
        except httpx.TransportError:
            time.sleep(0.2)
    raise AssertionError(f"{name} did not answer at {url}:\n{project.log(name)}")


def build_project(base: Path, wheel: Path, django: str) -> FreshProject:
    """A venv, ``pip install`` of the wheel and ``Django==<django>.*``, then README's recipe."""
    base.mkdir(parents=True, exist_ok=True)
    app_port, idp_port = free_port(), free_port()
    venv = base / "venv"
    subprocess.run([python_for(django), "-m", "venv", str(venv)], check=True, timeout=120)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("DJANGO_", "TENANT_SSO_", "PYTHON", "VIRTUAL_ENV"))}
    env.update(PATH=f"{venv / 'bin'}{os.pathsep}{env.get('PATH', '')}", VIRTUAL_ENV=str(venv), PYTHONUNBUFFERED="1")
    project = FreshProject(base / "site", django, f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{idp_port}", env)
    project.path.mkdir()
    ports = {"8000": str(app_port), "9000": str(idp_port)}
    try:
        for action, target, text in recipe():
            text = re.sub(r"\b(8000|9000)\b", lambda m: ports[m.group(1)], text)
            if action == "append":
                assert target and (project.path / target).exists(), f"{target} does not exist to append to"
                with open(project.path / target, "a") as f:
                    f.write("\n" + text)
            elif action == "create":
                assert target
                (project.path / target).write_text(text)
            else:
                run_shell_block(project, text, wheel)
        assert len(project.processes) == 2, "the recipe should start the identity provider and the app"
        wait_http(f"{project.idp_url}/us-east-1_DevPool01/.well-known/openid-configuration", project, "devidp")
        wait_http(f"{project.app_url}/", project, "app")
    except BaseException:
        project.stop()
        raise
    return project


def run_shell_block(project: FreshProject, text: str, wheel: Path) -> None:
    for line in shell_lines(text):
        if line.startswith("pip install tenant-sso"):
            project.run(f"pip install --quiet {shlex.quote(str(wheel))} 'Django=={project.django}.*'")
        elif line.startswith("export "):
            name = line.split()[1].split("=", 1)[0]
            project.env[name] = project.run(f'{line}; printf %s "${name}"')
        elif line.startswith("python -m tenant_sso.devidp"):
            project.start(line, "devidp")
            wait_http(f"{project.idp_url}/us-east-1_DevPool01/.well-known/openid-configuration", project, "devidp")
        elif line.startswith("python manage.py runserver"):
            # The same server without the file watcher (no file changes here; it only costs CPU).
            project.start(f"{line} --noreload", "app")
        else:
            project.run(line)
