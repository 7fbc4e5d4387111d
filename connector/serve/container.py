"""The container's entrypoint: check that the container user can read the mounted configuration
(and write the data folder) before handing over to `dunning`; say what to chown otherwise.

`dunning init` writes the configuration with mode 0600/0700 for the user who ran it on the host;
the image runs as uid 10001 (`dunning`), which can then read none of it. Rather than a
PermissionError deep inside a command, the entrypoint names each unreadable path, its owner and
mode, and the two ways out: `chown -R 10001:10001` the folder on the host, or run the container
as the folder's owner (`user: "UID:GID"` in compose.yaml).

    python -m connector.serve.container serve   # what the image's ENTRYPOINT runs
"""

from __future__ import annotations

import os
import stat
import sys
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path

from connector.config.environment import ENV_CONFIG_DIR, ENV_DATABASE_URL, ENV_KEY, process_env

#: the image's user (see Dockerfile)
IMAGE_UID = 10001


@dataclass(frozen=True)
class Problem:
    path: Path
    owner: int
    mode: int
    need: str  # "read" or "write"

    def describe(self) -> str:
        return f"{self.path} (owner uid {self.owner}, mode {self.mode:04o}) cannot be {self.need}"


def allowed(st: os.stat_result, uid: int, gids: Iterable[int], bits: str) -> bool:
    """Whether `uid` (in groups `gids`) has every permission in `bits` (r, w, x) on the file."""
    if uid == 0:
        return True
    mode = st.st_mode
    if st.st_uid == uid:
        mask = {"r": stat.S_IRUSR, "w": stat.S_IWUSR, "x": stat.S_IXUSR}
    elif st.st_gid in set(gids):
        mask = {"r": stat.S_IRGRP, "w": stat.S_IWGRP, "x": stat.S_IXGRP}
    else:
        mask = {"r": stat.S_IROTH, "w": stat.S_IWOTH, "x": stat.S_IXOTH}
    return all(mode & mask[b] for b in bits)


def _key_file(config_dir: Path) -> Path | None:
    from connector.config.sample import _key_file as named

    return named(config_dir)


def problems(
    config_dir: Path,
    uid: int,
    gids: Sequence[int],
    *,
    env: Mapping[str, str],
    data_dir: Path | None = None,
) -> list[Problem]:
    """What `uid` cannot read of the configuration (folders need r+x, files r: connector.yaml,
    clients/, policies/, templates/, the key file unless DUNNING_SECRET_KEY is set) or write
    of `data_dir`."""
    out: list[Problem] = []

    def check(path: Path, bits: str, need: str) -> None:
        try:
            st = path.stat()
        except FileNotFoundError:
            return
        except PermissionError:
            out.append(Problem(path, -1, 0, need))
            return
        if not allowed(st, uid, gids, bits):
            out.append(Problem(path, st.st_uid, stat.S_IMODE(st.st_mode), need))

    check(config_dir, "rx", "read")
    check(config_dir / "connector.yaml", "r", "read")
    for sub in ("clients", "policies", "templates"):
        folder = config_dir / sub
        check(folder, "rx", "read")
        if folder.is_dir() and os.access(folder, os.R_OK | os.X_OK):
            for path in sorted(folder.rglob("*")):
                check(path, "rx" if path.is_dir() else "r", "read")
    if not env.get(ENV_KEY):
        key = _key_file(config_dir)
        if key is not None:
            check(key, "r", "read")
    if data_dir is not None:
        check(data_dir, "rwx", "written")
    return out


def advice(found: Sequence[Problem], uid: int, config_dir: Path) -> list[str]:
    lines = [f"the container user (uid {uid}) cannot use the mounted configuration:"]
    lines += [f"  {p.describe()}" for p in found]
    lines += [
        "fix it on the host, either:",
        f"  sudo chown -R {uid}:{uid} ./config        (the folder mounted at {config_dir}), or",
        '  run the container as the files\' owner: `user: "UID:GID"` in compose.yaml',
        "     (`id -u`:`id -g` of whoever ran `dunning init`)",
    ]
    return lines


def main(argv: Sequence[str] | None = None) -> None:
    args = list(sys.argv[1:] if argv is None else argv)
    env = process_env()
    config_dir = Path(env.get(ENV_CONFIG_DIR, "/config"))
    url = env.get(ENV_DATABASE_URL, "")
    data_dir = None
    if url.startswith("sqlite:///"):
        data_dir = Path(url.removeprefix("sqlite:///")).parent
    found = problems(config_dir, os.getuid(), os.getgroups(), env=env, data_dir=data_dir)
    if found:
        for line in advice(found, os.getuid(), config_dir):
            print(line, file=sys.stderr)
        sys.exit(2)
    os.execvp("dunning", ["dunning", *(args or ["serve"])])  # noqa: S606 (no shell, on purpose)


if __name__ == "__main__":
    main()
