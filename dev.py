"""The project's two entry points; each one sets itself up first.

    python3 dev.py demo    # the main job: a short demo of computing derivatives with rules
    python3 dev.py test    # every check CI runs: ruff, mypy, import contracts, pytest
    python3 dev.py docs    # regenerate docs/api/ and docs/coverage.md (tests check both)

Both create `.venv/` on first use and (re)install the three workspace packages editable,
with the dev tools of `[dependency-groups] dev` in pyproject.toml, whenever a pyproject.toml
changed. Extra arguments after `test` go to pytest (`python3 dev.py test -k projection`).
Only Python >= 3.11 with pip and venv is needed.
"""

from __future__ import annotations

import hashlib
import os
import subprocess
import sys
import tomllib
import venv
from pathlib import Path

ROOT = Path(__file__).resolve().parent
VENV = ROOT / ".venv"
STAMP = VENV / ".installed"
PACKAGES = ["packages/rulescore[testing]", "packages/rules", "packages/engine"]


def venv_python() -> Path:
    return VENV / ("Scripts/python.exe" if os.name == "nt" else "bin/python")


def manifest_digest() -> str:
    digest = hashlib.sha256()
    for path in sorted(ROOT.glob("**/pyproject.toml")):
        if ".venv" not in path.parts:
            digest.update(path.read_bytes())
    return digest.hexdigest()


def ensure_environment() -> Path:
    python = venv_python()
    if not python.exists():
        print(f"== creating {VENV.relative_to(ROOT)}", flush=True)
        venv.EnvBuilder(with_pip=True, clear=True).create(VENV)
    digest = manifest_digest()
    if not STAMP.exists() or STAMP.read_text() != digest:
        print("== installing the workspace packages and dev tools", flush=True)
        dev_group = tomllib.loads((ROOT / "pyproject.toml").read_text())["dependency-groups"]["dev"]
        editables = [arg for pkg in PACKAGES for arg in ("-e", str(ROOT / pkg))]
        run(
            [
                python,
                "-m",
                "pip",
                "install",
                "--quiet",
                "--disable-pip-version-check",
                *editables,
                *dev_group,
            ]
        )
        STAMP.write_text(digest)
    return python


def run(command: list[str | Path]) -> None:
    result = subprocess.run([str(part) for part in command], cwd=ROOT)
    if result.returncode != 0:
        sys.exit(result.returncode)


def demo(python: Path, args: list[str]) -> None:
    run([python, ROOT / "examples" / "demo.py", *args])


def docs(python: Path, args: list[str]) -> None:
    run([python, ROOT / "docs" / "api" / "generate.py", *args])
    with (ROOT / "docs" / "coverage.md").open("w") as page:
        subprocess.run(
            [str(python), "-m", "rules.coverage", "--markdown"], stdout=page, cwd=ROOT, check=True
        )


def test(python: Path, args: list[str]) -> None:
    bin_dir = python.parent
    print("== ruff", flush=True)
    run([bin_dir / "ruff", "check", "."])
    run([bin_dir / "ruff", "format", "--check", "."])
    print("== mypy", flush=True)
    run([python, "-m", "mypy"])
    print("== import contracts (lint-imports)", flush=True)
    run([bin_dir / "lint-imports"])
    print("== pytest", flush=True)
    run([python, "-m", "pytest", *args])


COMMANDS = {"demo": demo, "docs": docs, "test": test}


def main() -> None:
    if len(sys.argv) < 2 or sys.argv[1] not in COMMANDS:
        sys.exit(f"usage: python3 dev.py {{{'|'.join(COMMANDS)}}} [args...]")
    python = ensure_environment()
    COMMANDS[sys.argv[1]](python, sys.argv[2:])


if __name__ == "__main__":
    main()
