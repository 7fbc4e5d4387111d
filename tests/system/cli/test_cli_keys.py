"""`dunning keys rotate` as an operator runs it: a new key without asking any client to consent
again; with the key file, interrupted or not, every token stays readable."""

from __future__ import annotations

import os
import subprocess
import sys
from datetime import date
from pathlib import Path

from cryptography.fernet import Fernet

from connector.store.crypto import generate_key_file
from sandboxes.world import local_moment
from sandboxes.zoho.world import ZohoWorld


def dunning(*args: str, env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    full_env = {k: v for k, v in os.environ.items() if not k.startswith("DUNNING_")}
    full_env.update(env)
    return subprocess.run(
        [sys.executable, "-m", "connector.cli", *args],
        capture_output=True,
        text=True,
        env=full_env,
        timeout=120,
        check=False,
    )


def test_keys_rotate_with_the_key_file_and_then_with_the_key_in_the_environment(
    tmp_path: Path,
) -> None:
    world = ZohoWorld.open(tmp_path, start=local_moment(date(2026, 1, 5), 9), slugs=("acme",))
    try:
        config = str(world.app.config_dir)
        old = world.env["DUNNING_SECRET_KEY"]
        refresh = world.app.tokens.get("acme")
        assert refresh is not None

        # the environment's single key cannot be replaced by the command: it says what to do
        env = dict(world.env)
        failed = dunning("--config", config, "keys", "rotate", env=env)
        assert failed.returncode == 2 and "put a new key in front" in failed.stderr
        assert old not in failed.stderr + failed.stdout

        new = Fernet.generate_key().decode()
        env["DUNNING_SECRET_KEY"] = f"{new},{old}"
        done = dunning("--config", config, "keys", "rotate", env=env)
        assert done.returncode == 0, done.stderr
        assert "2 secrets re-encrypted" in done.stdout, done.stdout
        env["DUNNING_SECRET_KEY"] = new
        status = dunning("--config", config, "status", env=env)
        assert status.returncode == 0 and "cannot be decrypted" not in status.stdout + status.stderr

        # the key file: move the key there, then rotate twice; the file always holds one key
        key_file = world.app.config_dir / "secret.key"
        key_file.unlink(missing_ok=True)
        generate_key_file(key_file)
        key_file.write_text(new + "\n")
        del env["DUNNING_SECRET_KEY"]
        for _ in range(2):
            done = dunning("--config", config, "keys", "rotate", env=env)
            assert done.returncode == 0, done.stderr
            assert "now holds only the new key" in done.stdout
            assert len(key_file.read_text().split()) == 1
        assert key_file.read_text().strip() != new
        status = dunning("--config", config, "status", env=env)
        assert status.returncode == 0, status.stderr
    finally:
        world.close()
