"""Real Scrapyd nodes on 127.0.0.1 for the distributed-runner tests.

Each node is `python -m scrapyd` in a folder of its own, configured as docs/operations.md
tells an engineer to configure one: a scrapy.cfg with the [scrapyd] options and the govmon
project in [settings] (no eggs: govmon is installed in the node's Python).
"""

from __future__ import annotations

import json
import os
import signal
import socket
import subprocess
import sys
import time
from contextlib import contextmanager
from pathlib import Path
from typing import Iterator
from urllib.request import urlopen

NODE_CFG = """\
[settings]
govmon = monitor.settings

[scrapyd]
bind_address = 127.0.0.1
http_port = {port}
max_proc = {max_proc}
poll_interval = 0.5
eggs_dir = eggs
logs_dir = logs
dbs_dir = dbs
"""


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Node:
    def __init__(self, folder: Path, port: int, proc: subprocess.Popen) -> None:
        self.folder, self.port, self.proc = folder, port, proc
        self.url = f"http://127.0.0.1:{port}"

    def job_logs(self) -> dict[str, Path]:
        """job id → crawl log, for every job this node ran."""
        return {p.stem: p for p in (self.folder / "logs" / "govmon").glob("*/*.log")}

    def kill(self) -> None:
        """The machine goes away: Scrapyd and the crawls it runs, at once."""
        if self.proc.poll() is None:
            os.killpg(self.proc.pid, signal.SIGKILL)
            self.proc.wait()


@contextmanager
def scrapyd_node(folder: Path, env: dict[str, str], max_proc: int = 2, govmon: bool = True) -> Iterator[Node]:
    """`govmon=False`: a Scrapyd that was not set up for govmon (no [settings] project)."""
    folder.mkdir(parents=True, exist_ok=True)
    port = free_port()
    cfg = NODE_CFG.format(port=port, max_proc=max_proc)
    if not govmon:
        cfg = cfg.replace("[settings]\ngovmon = monitor.settings\n", "")
    (folder / "scrapy.cfg").write_text(cfg, encoding="utf-8")
    out = open(folder / "scrapyd.out", "wb")
    proc = subprocess.Popen([sys.executable, "-m", "scrapyd"], cwd=folder, env=env, stdout=out,
                            stderr=subprocess.STDOUT, start_new_session=True)
    node = Node(folder, port, proc)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                with urlopen(f"{node.url}/daemonstatus.json", timeout=2) as r:
                    if json.load(r).get("status") == "ok":
                        break
            except OSError:
                pass
            if proc.poll() is not None or time.monotonic() > deadline:
                raise RuntimeError(f"scrapyd did not start: {(folder / 'scrapyd.out').read_text(errors='replace')}")
            time.sleep(0.2)
        yield node
    finally:
        node.kill()
        out.close()
