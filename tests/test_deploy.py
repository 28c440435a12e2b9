"""The files docs/deploy.md installs: the systemd units pass `systemd-analyze verify` (where
that tool exists) with nothing to say, and the environment file is valid settings."""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from bot.config import Settings

DEPLOY = Path(__file__).parent.parent / "deploy"
INSTALLED = "/opt/cocreate/venv/bin/cocreate"  # where docs/deploy.md installs the program
UNITS = sorted(DEPLOY.glob("*.service"))


def test_there_are_units_for_the_bot_and_the_console_alone() -> None:
    assert [unit.name for unit in UNITS] == ["cocreate-web.service", "cocreate.service"]
    for unit in UNITS:
        assert f"ExecStart={INSTALLED} " in unit.read_text()


def test_the_units_pass_systemd_analyze_verify(tmp_path: Path) -> None:
    analyze = shutil.which("systemd-analyze")
    if analyze is None:
        pytest.skip("systemd-analyze is not installed (apt-get install systemd): unit files not verified")
    # verify checks that ExecStart's program exists: this checkout's, where the docs' path is.
    program = Path(sys.executable).parent / "cocreate"
    assert program.exists(), "the virtual environment has no cocreate program (make .venv/.installed)"
    for unit in UNITS:
        (tmp_path / unit.name).write_text(unit.read_text().replace(INSTALLED, str(program)))
    checked = subprocess.run(
        [analyze, "verify", *(unit.name for unit in UNITS)], cwd=tmp_path, capture_output=True, text=True, timeout=60
    )
    # It exits 0 after warnings (an unknown key is "ignored"): nothing at all must be said.
    assert (checked.returncode, checked.stdout + checked.stderr) == (0, "")


def test_the_environment_file_is_valid_settings(monkeypatch: pytest.MonkeyPatch) -> None:
    for name in Settings.model_fields:  # the file alone, whatever this shell has set
        monkeypatch.delenv(name.upper(), raising=False)
    settings = Settings(_env_file=DEPLOY / "cocreate.env")
    assert settings.database_url.startswith("postgresql+psycopg://cocreate:")
    assert (settings.log_format, settings.web_url) == ("json", "https://console.example.org")
