"""The README's "Using it with a real ledger" steps, line by line, in a fresh clone.

The repository is cloned into a temporary folder and every line of the section's first shell
block runs there as written, with `.venv/bin/dunning` meaning this interpreter's
`python -m connector.cli` (so the clone's own code runs). The ledger is the bundled Zoho sandbox
on loopback on real time; `$EDITOR` is a script doing what the comment says (the organisation,
`enabled: true`, and the sandbox's URLs); the `export` line gets the sandbox's OAuth client;
`auth login` adds `--no-browser` and pastes back the address the consent page leads to.
"""

from __future__ import annotations

import os
import re
import shlex
import shutil
import subprocess
import sys
from pathlib import Path

import pytest
import requests
from repo import REPO

from connector.domain.clock import SystemClock
from sandboxes.kit.server import LoopbackServer
from sandboxes.zoho import ZohoState, make_app
from sandboxes.zoho.generate import DEMO_CLIENT_ID, DEMO_CLIENT_SECRET, DEMO_ORG, seed_demo

EDITOR = """\
import sys
from pathlib import Path

for name in sys.argv[1:]:
    path = Path(name)
    if path.parent.name != "clients":
        continue  # connector.yaml: the defaults are fine
    text = path.read_text()
    text = text.replace("enabled: false", "enabled: true")
    text = text.replace('organization_id: "123456789"', 'organization_id: "{org}"')
    text = text.replace("accounts_url: null", "accounts_url: {url}")
    text = text.replace("api_url: null", "api_url: {url}")
    path.write_text(text)
"""


def readme_steps() -> list[str]:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## Using it with a real ledger", 1)[1]
    block = re.search(r"```sh\n(.*?)```", section, re.S)
    assert block, "the section lost its shell block"
    return [line.split("  #")[0].strip() for line in block.group(1).splitlines() if line.strip()]


@pytest.mark.skipif(shutil.which("git") is None, reason="needs git")
def test_the_readme_steps_work_in_a_fresh_clone(tmp_path: Path) -> None:
    state = ZohoState(SystemClock().now)
    server = LoopbackServer(make_app(state)).start()
    try:
        seed_demo(state, seed=3, customers=6, invoices=20, organization_id=DEMO_ORG)
        clone = tmp_path / "clone"
        subprocess.run(
            ["git", "clone", "--quiet", str(REPO), str(clone)], check=True, capture_output=True
        )
        assert not (clone / "config").exists(), "a fresh clone ships config/: init would refuse"
        editor = tmp_path / "editor.py"
        editor.write_text(EDITOR.replace("{org}", DEMO_ORG).replace("{url}", server.url))
        env = {k: v for k, v in os.environ.items() if not k.startswith(("DUNNING_", "ZOHO_"))}
        env.pop("DATABASE_URL", None)
        env["EDITOR"] = f"{shlex.quote(sys.executable)} {shlex.quote(str(editor))}"
        dunning = f"{shlex.quote(sys.executable)} -m connector.cli"
        steps = readme_steps()
        assert steps[0].startswith(".venv/bin/dunning init config"), steps
        ran = []
        for step in steps:
            line = step.replace(".venv/bin/dunning", dunning)
            if line.startswith("export "):
                names = [w.split("=")[0] for w in shlex.split(line)[1:]]
                assert names == ["ZOHO_CLIENT_ID", "ZOHO_CLIENT_SECRET"], line
                env.update(ZOHO_CLIENT_ID=DEMO_CLIENT_ID, ZOHO_CLIENT_SECRET=DEMO_CLIENT_SECRET)
            elif " auth login " in line:
                _login(line + " --no-browser", clone, env)
            else:
                result = subprocess.run(
                    ["bash", "-c", line],
                    cwd=clone,
                    env=env,
                    capture_output=True,
                    text=True,
                    timeout=180,
                    check=False,
                )
                out = result.stdout + result.stderr
                assert result.returncode == 0, f"{step}\n{out}"
                assert "Traceback" not in out, f"{step}\n{out}"
                if " doctor" in line:
                    assert "FAIL" not in out and "ok   acme: " in out, out
            ran.append(step)
        assert any(" run --all" in s for s in ran)
        assert (clone / "config" / "secret.key").stat().st_mode & 0o777 == 0o600
    finally:
        server.stop()


def _login(line: str, cwd: Path, env: dict[str, str]) -> None:
    proc = subprocess.Popen(
        ["bash", "-c", line],
        cwd=cwd,
        env=env,
        stdin=subprocess.PIPE,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        assert proc.stdout is not None
        url = ""
        for out_line in proc.stdout:
            if out_line.strip().startswith("http"):
                url = out_line.strip()
                break
        assert "state=" in url, url
        redirected = requests.get(url, allow_redirects=False, timeout=10).headers["Location"]
        out, err = proc.communicate(redirected + "\n", timeout=60)
    finally:
        if proc.poll() is None:
            proc.kill()
    assert proc.returncode == 0 and "acme: connected" in out, out + err
