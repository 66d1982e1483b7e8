"""The package as a wheel: it holds every file the server needs, and once installed into a fresh
virtual environment it migrates a database and serves pages from an empty folder, outside the
checkout.

The wheel is built without network (``--no-build-isolation``: setuptools comes from the test extra)
from a copy of the source tree, so no ``build/`` folder is left in the checkout (setuptools reuses
one, and files deleted since would end up in the next wheel). The fresh environment gets the
wheel and nothing else; the dependencies are borrowed from the test environment through a ``.pth``
file written after the install, so nothing is downloaded.
"""

from __future__ import annotations

import os
import shutil
import socket
import subprocess
import sys
import sysconfig
import time
import urllib.error
import urllib.request
import zipfile
from importlib.metadata import version
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PACKAGES = ("core", "ledgers", "importers", "gis", "victim_support")
# Not part of the source tree a wheel is built from: these folders at the top of the checkout,
# caches and build leftovers anywhere.
NOT_SOURCE_TOP = {".git", "build", "dist", "var", "tests", "bench", ".pytest_cache", ".hypothesis", ".ruff_cache"}


def _not_source(folder: str, names: list[str]) -> set[str]:
    top = Path(folder) == ROOT
    return {
        name
        for name in names
        if (top and (name in NOT_SOURCE_TOP or name.startswith(".venv")))
        or name == "__pycache__"
        or name.endswith((".pyc", ".egg-info"))
    }


def _tree(folder: Path, pattern: str) -> set[str]:
    return {path.relative_to(folder).as_posix() for path in folder.glob(pattern) if path.is_file()}


@pytest.fixture(scope="module")
def wheel(tmp_path_factory: pytest.TempPathFactory) -> Path:
    setuptools = version("setuptools")
    if int(setuptools.split(".")[0]) < 77:
        pytest.fail(f"setuptools {setuptools} is too old to build the wheel: reinstall the test extra (make test)")
    source = tmp_path_factory.mktemp("source") / "victim-support"
    shutil.copytree(ROOT, source, ignore=_not_source)
    out = tmp_path_factory.mktemp("dist")
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "wheel",
            "--verbose",
            "--no-deps",
            "--no-build-isolation",
            "--no-index",
            "--wheel-dir",
            str(out),
            str(source),
        ],
        capture_output=True,
        text=True,
    )
    assert done.returncode == 0, done.stdout + done.stderr
    # setuptools warns about a folder of package data that is not a listed package (and says a
    # later version will leave it out of the wheel).
    assert "absent from the `packages` configuration" not in done.stdout + done.stderr
    (built,) = out.glob("victim_support-*.whl")
    return built


def test_the_wheel_holds_code_templates_static_files_migrations_rules_and_the_font(wheel: Path):
    names = set(zipfile.ZipFile(wheel).namelist())
    expected = {
        "victim_support/templates/base.html",
        "victim_support/templates/error.html",
        "victim_support/templates/login.html",
        "victim_support/static/app.css",
        "victim_support/static/vendor/htmx.min.js",
        "victim_support/static/vendor/htmx.LICENSE",
        "victim_support/migrations/env.py",
        "victim_support/migrations/script.py.mako",
        "ledgers/certificates/fonts/ipaexg.ttf",
        "ledgers/certificates/fonts/IPA_Font_License_Agreement_v1.0.txt",
        "ledgers/certificates/fonts/Readme_ipaexg00401.txt",
        "core/settings.py",
        "gis/geocoding.py",
        "importers/pipeline.py",
        "victim_support/cli/main.py",
    }
    # Every source file of the checkout, wherever it is installed from.
    for package in PACKAGES:
        expected |= {f"{package}/{name}" for name in _tree(ROOT / package, "**/*.py")}
    expected |= {f"victim_support/templates/{name}" for name in _tree(ROOT / "templates", "**/*.html")}
    expected |= {f"victim_support/static/{name}" for name in _tree(ROOT / "victim_support/static", "**/*")}
    expected |= {f"victim_support/migrations/{name}" for name in _tree(ROOT / "victim_support/migrations", "*.ini")}
    expected |= {
        f"victim_support/migrations/versions/{name}"
        for name in _tree(ROOT / "victim_support/migrations/versions", "*.py")
    }
    expected |= {f"ledgers/damage/rulesets/{name}" for name in _tree(ROOT / "ledgers/damage/rulesets", "*.toml")}
    expected |= {f"importers/presets/{name}" for name in _tree(ROOT / "importers/presets", "*.toml")}
    assert len([n for n in expected if n.startswith("victim_support/migrations/versions/")]) >= 5
    assert len([n for n in expected if n.startswith("ledgers/damage/rulesets/")]) >= 5
    assert len([n for n in expected if n.startswith("importers/presets/")]) >= 5
    assert sorted(expected - names) == []
    # Nothing from outside the packages (tests, benchmarks, a stray top-level templates/).
    assert sorted(n for n in names if n.split("/")[0] not in PACKAGES and ".dist-info/" not in n) == []
    assert not any("__pycache__" in n or n.endswith(".pyc") for n in names)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


_DIRECT = urllib.request.build_opener(urllib.request.ProxyHandler({}))  # never an http_proxy for 127.0.0.1


def _get(url: str) -> tuple[int, str, bytes]:
    try:
        with _DIRECT.open(url, timeout=5) as response:
            return response.status, response.headers.get("content-type", ""), response.read()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.headers.get("content-type", ""), exc.read()


def test_the_installed_wheel_migrates_and_serves_from_an_empty_folder(wheel: Path, tmp_path: Path):
    venv = tmp_path / "venv"
    subprocess.run([sys.executable, "-m", "venv", "--without-pip", str(venv)], check=True)
    python = venv / "bin" / "python"
    subprocess.run(
        [
            sys.executable,
            "-m",
            "pip",
            "--python",
            str(python),
            "install",
            "--quiet",
            "--no-deps",
            "--no-index",
            str(wheel),
        ],
        check=True,
    )
    site_packages = Path(
        subprocess.run(
            [str(python), "-c", "import sysconfig; print(sysconfig.get_path('purelib'))"],
            check=True,
            capture_output=True,
            text=True,
        ).stdout.strip()
    )
    # The dependencies: the test environment's site-packages, after the new one on sys.path. Its
    # own .pth files (the editable install's finder) are not read from a path added this way.
    (site_packages / "zz_test_dependencies.pth").write_text(sysconfig.get_path("purelib") + "\n")

    empty = tmp_path / "empty"
    empty.mkdir()
    env = {k: v for k, v in os.environ.items() if not k.startswith("VS_") and k not in ("PYTHONPATH", "PYTHONHOME")}
    env["DATABASE_URL"] = f"sqlite:///{tmp_path / 'x.db'}"

    def run(*args: str) -> str:
        done = subprocess.run(args, cwd=empty, env=env, capture_output=True, text=True, timeout=120)
        assert done.returncode == 0, done.stderr
        return done.stdout

    where = run(
        str(python),
        "-c",
        (
            "import core, ledgers, victim_support; from victim_support.app import asset_dir; "
            "from ledgers.certificates import find_font; "
            "print(victim_support.__file__, core.__file__, ledgers.__file__, asset_dir('templates'), "
            "asset_dir('static'), find_font(), sep='\\n')"
        ),
    ).split()
    assert len(where) == 6
    for path in where:
        assert Path(path).is_relative_to(site_packages), f"{path} is not the installed copy"

    assert "database is at revision" in run(str(venv / "bin" / "victim-support"), "db", "upgrade")
    assert (tmp_path / "x.db").is_file()

    port = _free_port()
    base = f"http://127.0.0.1:{port}"
    server = subprocess.Popen(
        [str(venv / "bin" / "victim-support"), "serve", "--port", str(port)],
        cwd=empty,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                status, kind, body = _get(f"{base}/login")
                break
            except OSError:
                if server.poll() is not None or time.monotonic() > deadline:
                    server.kill()
                    pytest.fail(f"server did not start:\n{server.communicate()[0]}")
                time.sleep(0.2)
        assert status == 200
        assert kind.startswith("text/html")
        page = body.decode("utf-8")
        assert '<html lang="ja">' in page and "ログイン" in page
        assert "/static/vendor/htmx.min.js" in page

        status, kind, body = _get(f"{base}/static/app.css")
        assert (status, kind.split(";")[0]) == (200, "text/css")
        assert body == (ROOT / "victim_support/static/app.css").read_bytes()
        status, _, body = _get(f"{base}/static/vendor/htmx.min.js")
        assert status == 200 and body.startswith(b"var htmx")
        # A missing page is the package's Japanese error page, not a bare 500.
        status, kind, body = _get(f"{base}/no-such-page")
        assert status == 404 and kind.startswith("text/html")
        assert "見つかりません" in body.decode("utf-8")
    finally:
        server.terminate()
        try:
            server.wait(timeout=10)
        except subprocess.TimeoutExpired:
            server.kill()
            server.wait()
