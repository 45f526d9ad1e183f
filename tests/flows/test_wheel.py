"""The built wheel works on its own: what `pip install .` / pipx users get, not the editable checkout.

The wheel is built from this tree and installed (without dependencies) into a fresh venv whose
only view of third-party packages is the project venv's site-packages, appended by a ``.pth``
line: no network, and the checkout itself is never importable (the commands run from a temporary
folder, and the editable install's finder is not loaded). ``ladder demo`` then needs every data
file (corpus, SQL, templates, rubric) to be inside the wheel.
"""

from __future__ import annotations

import json
import shutil
import subprocess
import sys
import sysconfig
import venv
import zipfile
from pathlib import Path

import pytest

from tests.support import REPO

ROOT = REPO

pytestmark = pytest.mark.slow


@pytest.fixture(scope="module")
def wheel(tmp_path_factory) -> Path:
    # Build from a copy of the files git would ship (tracked or new, not ignored): setuptools writes build/
    # and *.egg-info next to its sources, and the checkout must stay as it was.
    src = tmp_path_factory.mktemp("src")
    listed = subprocess.run(
        ["git", "ls-files", "-co", "--exclude-standard"], cwd=ROOT, capture_output=True, text=True, check=True
    ).stdout.splitlines()
    for name in listed:
        if (ROOT / name).is_file():
            (src / name).parent.mkdir(parents=True, exist_ok=True)
            shutil.copy2(ROOT / name, src / name)
    out = tmp_path_factory.mktemp("wheel")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "-w",
            str(out),
            str(src),
        ],
        check=True,
        cwd=out,
        timeout=600,
    )
    (found,) = out.glob("ladder_signals-*.whl")
    return found


def test_wheel_holds_every_data_file_of_the_packages(wheel):
    names = set(zipfile.ZipFile(wheel).namelist())
    tracked = subprocess.run(
        ["git", "ls-files", "flows", "miners", "classifiers", "rubric", "warehouse", "sandbox"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.split()
    missing = [p for p in tracked if not p.endswith(".py") and p not in names]
    assert not missing, f"data files left out of the wheel (add their pattern to package-data): {missing}"


def test_demo_runs_from_the_installed_wheel(wheel, tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    site = Path(
        subprocess.run(
            [str(py), "-c", "import sysconfig; print(sysconfig.get_paths()['purelib'])"],
            capture_output=True,
            text=True,
            check=True,
        ).stdout.strip()
    )
    (site / "project_deps.pth").write_text(sysconfig.get_paths()["purelib"] + "\n")
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "install",
            "--no-deps",
            "--quiet",
            "--disable-pip-version-check",
            "--target",
            str(site),
            str(wheel),
        ],
        check=True,
        timeout=600,
    )
    work = tmp_path / "elsewhere"
    work.mkdir()
    where = subprocess.run(
        [str(py), "-c", "import sandbox, flows; print(sandbox.__file__)"],
        cwd=work,
        capture_output=True,
        text=True,
        check=True,
    ).stdout.strip()
    assert where.startswith(str(site)), f"imported the checkout, not the wheel: {where}"
    done = subprocess.run(
        [str(py), "-m", "flows.cli", "demo", "--engineers", "8", "--out", str(work / "demo")],
        cwd=work,
        capture_output=True,
        text=True,
        timeout=900,
    )
    assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-4000:]
    reports = sorted((work / "demo" / "reports").glob("*.json"))
    assert reports, done.stdout
    for path in reports:
        assert json.loads(path.read_text())["engineer"]["login"] == path.stem
