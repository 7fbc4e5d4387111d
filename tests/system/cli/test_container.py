"""Docker as shipped can work: secrets come in through an env_file, and the container user
(uid 10001) can read the configuration `dunning init` writes once it is given to that user, or
is told exactly what to chown. No docker engine here: the uid/permission logic is tested
directly on real files with real owners (the tests run as root, so they can chown)."""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest
import yaml
from repo import REPO as ROOT

from connector.config.sample import init_config
from connector.serve.container import IMAGE_UID, advice, allowed, problems

HOST_UID = 1000  # whoever ran `dunning init` on the host

needs_root = pytest.mark.skipif(os.geteuid() != 0, reason="chown needs root")


def chown_tree(folder: Path, uid: int) -> None:
    for path in [folder, *folder.rglob("*")]:
        os.chown(path, uid, uid)


def test_the_image_user_is_the_one_the_entrypoint_checks_for() -> None:
    dockerfile = (ROOT / "Dockerfile").read_text()
    found = re.search(r"--uid (\d+)", dockerfile)
    assert found and int(found.group(1)) == IMAGE_UID
    assert 'ENTRYPOINT ["python", "-m", "connector.serve.container"]' in dockerfile


def test_compose_passes_secrets_through_an_env_file_and_documents_ownership() -> None:
    text = (ROOT / "compose.yaml").read_text()
    app = yaml.safe_load(text)["services"]["dunning"]
    assert app["env_file"] == ["dunning.env"]
    assert f"chown -R {IMAGE_UID}:{IMAGE_UID} config" in text
    assert "ZOHO_CLIENT_SECRET" in text and "--no-browser" in text


@needs_root
def test_files_init_wrote_for_the_host_user_are_named_with_the_chown_that_fixes_them(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    init_config(config)  # connector.yaml, clients/example.yaml, secret.key: 0600, folders 0700
    chown_tree(config, HOST_UID)

    found = problems(config, IMAGE_UID, [IMAGE_UID], env={})
    unreadable = {p.path.relative_to(config).as_posix() for p in found}
    assert unreadable == {"connector.yaml", "clients", "clients/example.yaml", "secret.key"}
    text = "\n".join(advice(found, IMAGE_UID, Path("/config")))
    assert f"secret.key (owner uid {HOST_UID}, mode 0600) cannot be read" in text
    assert f"sudo chown -R {IMAGE_UID}:{IMAGE_UID} ./config" in text and 'user: "UID:GID"' in text

    # the two ways out the message names
    assert problems(config, HOST_UID, [HOST_UID], env={}) == []  # user: "1000:1000"
    chown_tree(config, IMAGE_UID)
    assert problems(config, IMAGE_UID, [IMAGE_UID], env={}) == []


@needs_root
def test_a_key_from_the_environment_need_not_be_readable_and_data_must_be_writable(
    tmp_path: Path,
) -> None:
    config = tmp_path / "config"
    init_config(config)
    chown_tree(config, IMAGE_UID)
    os.chown(config / "secret.key", HOST_UID, HOST_UID)
    assert [p.path.name for p in problems(config, IMAGE_UID, [IMAGE_UID], env={})] == ["secret.key"]
    assert problems(config, IMAGE_UID, [IMAGE_UID], env={"DUNNING_SECRET_KEY": "k"}) == []
    data = tmp_path / "data"
    data.mkdir(mode=0o755)
    found = problems(config, IMAGE_UID, [IMAGE_UID], env={"DUNNING_SECRET_KEY": "k"}, data_dir=data)
    assert [(p.path, p.need) for p in found] == [(data, "written")]


def test_permission_bits_are_judged_for_owner_group_and_others(tmp_path: Path) -> None:
    path = tmp_path / "f"
    path.write_text("x")
    os.chmod(path, 0o640)
    st = path.stat()
    assert allowed(st, st.st_uid, [], "r") and allowed(st, st.st_uid, [], "rw")
    other = st.st_uid + 4242
    assert allowed(st, other, [st.st_gid], "r") and not allowed(st, other, [st.st_gid], "w")
    assert not allowed(st, other, [st.st_gid + 1], "r")
    assert allowed(st, 0, [], "rwx")  # root reads anything
