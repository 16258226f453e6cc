"""The locked install: requirements.txt pins every package, and the oldest pip a host may use installs exactly
that set, lxml_html_clean (trafilatura → justext → lxml[html_clean]) included."""

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest
from packaging.markers import Marker

ROOT = Path(__file__).resolve().parents[1]
# The pip that Python 3.11 ships; hosts that install with it must get the whole lock.
OLDEST_PIP = "23.2.1"
_PIN = re.compile(r"^([A-Za-z0-9][A-Za-z0-9._-]*)==([^\s;]+)\s*(?:;\s*(.+))?$")


def _name(package: str) -> str:
    return re.sub(r"[-_.]+", "-", package).lower()


def _requirements(path: Path, *, this_machine: bool = False) -> tuple[dict[str, str], list[str]]:
    """(pinned package → version, every other requirement line) of a requirements file, comments left out;
    with `this_machine`, only the packages whose environment marker holds here."""
    pins, others = {}, []
    for line in path.read_text(encoding="utf-8").splitlines():
        line = line.split(" #")[0].strip()
        if not line or line.startswith("#"):
            continue
        if match := _PIN.match(line):
            if not (this_machine and match[3] and not Marker(match[3]).evaluate()):
                pins[_name(match[1])] = match[2]
        else:
            others.append(line)
    return pins, others


def test_requirements_txt_pins_every_package_and_installs_the_app_itself():
    pins, others = _requirements(ROOT / "requirements.txt")
    assert others == ["-e ."]
    assert {"streamlit", "trafilatura", "justext", "lxml", "lxml-html-clean"} <= pins.keys()


def test_requirements_txt_holds_every_direct_dependency_at_its_pin_in_requirements_in():
    wanted = {}
    for line in (ROOT / "requirements.in").read_text(encoding="utf-8").splitlines():
        line = line.strip()
        if line and not line.startswith(("#", "-")):
            name, _, version = line.partition("==")
            wanted[_name(name)] = version
    pins, _ = _requirements(ROOT / "requirements.txt")
    for name, version in wanted.items():
        assert name in pins, f"{name} is in requirements.in but not locked: run `make lock`"
        assert not version or pins[name] == version, f"{name}: requirements.in wants {version}, locked {pins[name]}"


def test_requirements_dev_txt_pins_the_app_packages_at_the_same_versions():
    app, _ = _requirements(ROOT / "requirements.txt")
    dev, others = _requirements(ROOT / "requirements-dev.txt")
    assert others == ["-e ."]
    assert {name: dev.get(name) for name in app} == app
    assert {"pytest", "ruff", "playwright"} <= dev.keys()


@pytest.mark.slow
def test_the_oldest_pip_a_host_uses_resolves_exactly_the_locked_packages(tmp_path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", str(venv)], check=True)
    pip = [str(venv / "bin" / "python"), "-m", "pip", "--quiet", "--disable-pip-version-check"]
    subprocess.run([*pip, "install", f"pip=={OLDEST_PIP}"], check=True)
    report = tmp_path / "report.json"
    subprocess.run(
        [*pip, "install", "--dry-run", "--ignore-installed", "--report", str(report), "-r", "requirements.txt"],
        cwd=ROOT,
        check=True,
        capture_output=True,
    )
    resolved = {
        _name(item["metadata"]["name"]): item["metadata"]["version"]
        for item in json.loads(report.read_text(encoding="utf-8"))["install"]
    }
    assert resolved.pop("hutong") == "0.1.0"
    assert resolved == _requirements(ROOT / "requirements.txt", this_machine=True)[0]
