"""Replicas: several ``kb serve`` processes serving one immutable knowledge base behind HAProxy,
and the publish step that moves every replica to a newly built file without a failed request.

A site is a folder::

    SITE/releases/<time>-<name>.db   each published build, copied whole and never written again
    SITE/haproxy.cfg, admin.sock     the balancer (Debian's haproxy) and its runtime API
    SITE/state.json                  the release served, the replicas' ports, slots and process ids
    SITE/logs/                       each replica's log

Publishing copies the new file into ``releases/``, starts a new set of replicas on it and waits
until each has loaded the model and its vector indexes, enables them in free server slots of
HAProxy's backend and sets the old ones to drain (HAProxy's runtime API: no reload, so no
client's connection is closed), waits until the old replicas have no request left, and only then
stops them. HAProxy retries a request whose replica refused the connection on another one. Nothing
here balances load: HAProxy does.
"""

from __future__ import annotations

import http.client
import json
import os
import shutil
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

KEEP_RELEASES = 2  # the served release and the one before it (to go back to)
SLOTS = 16  # server slots in the backend: replicas old and new at once

HAPROXY_CFG = """# written by kb site; replicas are put in and out of the slots through admin.sock
global
    daemon
    pidfile {site}/haproxy.pid
    stats socket {site}/admin.sock mode 600 level admin
    maxconn 4096

defaults
    mode http
    timeout connect 5s
    timeout client 120s
    timeout server 120s
    timeout http-keep-alive 30s
    option http-keep-alive
    retries 3
    option redispatch 1
    retry-on conn-failure empty-response response-timeout

frontend kb
    bind {host}:{port}
    default_backend replicas

backend replicas
    balance leastconn
    http-reuse safe
    server-template r 1-{slots} 127.0.0.1:9 disabled
"""


class SiteError(RuntimeError):
    """A site cannot be started, published to or stopped (message in Chinese)."""


@dataclass
class Replica:
    port: int
    pid: int
    release: str
    slot: int = 0  # its server in the backend: r<slot>


@dataclass
class SiteState:
    port: int
    host: str = "127.0.0.1"
    workers: int = 1
    release: str = ""
    replicas: list[Replica] = field(default_factory=list)
    published: list[dict] = field(default_factory=list)  # each publish: release, seconds, replicas


def haproxy_binary() -> str | None:
    return shutil.which("haproxy") or next((p for p in ("/usr/sbin/haproxy",) if os.path.exists(p)), None)


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


class Site:
    def __init__(self, folder: str | Path):
        self.dir = Path(folder).resolve()
        self.state_file = self.dir / "state.json"

    # ------------------------------------------------------------------ state
    def state(self) -> SiteState:
        if not self.state_file.exists():
            raise SiteError(f"{self.dir} 不是已启动的站点（没有 state.json）：先运行 kb site start")
        data = json.loads(self.state_file.read_text("utf-8"))
        data["replicas"] = [Replica(**r) for r in data.get("replicas", [])]
        return SiteState(**data)

    def _save(self, state: SiteState) -> None:
        tmp = self.state_file.with_suffix(".tmp")
        tmp.write_text(json.dumps(asdict(state), ensure_ascii=False, indent=1), "utf-8")
        tmp.replace(self.state_file)

    # ------------------------------------------------------------------ commands
    def start(self, db: str | Path, replicas: int = 2, port: int = 8080, host: str = "127.0.0.1",
              workers: int = 1) -> SiteState:
        """Publish ``db`` as the first release, start the replicas and HAProxy in front of them."""
        haproxy = haproxy_binary()
        if haproxy is None:
            raise SiteError("没有找到 haproxy：apt-get install haproxy（Debian 软件包）后再试")
        for sub in ("releases", "logs"):
            (self.dir / sub).mkdir(parents=True, exist_ok=True)
        release = self.add_release(db)
        state = SiteState(port=port, host=host, workers=workers, release=release.name)
        state.replicas = self._start_replicas(release, replicas, workers, used=set())
        cfg = self.dir / "haproxy.cfg"
        cfg.write_text(HAPROXY_CFG.format(site=self.dir, host=host, port=port, slots=SLOTS), "utf-8")
        for args in (["-c", "-q"], []):
            proc = subprocess.run([haproxy, "-f", str(cfg), *args], capture_output=True, text=True)
            if proc.returncode != 0:
                raise SiteError(f"haproxy 启动失败：{(proc.stderr or proc.stdout).strip()[-400:]}")
        self._save(state)
        for r in state.replicas:
            self._enable(r)
        _wait_http(host, port, "/-/kb-status.json", 30)
        return state

    def publish(self, db: str | Path) -> dict:
        """Move every replica to a new build without a failed request; returns what was done."""
        started = time.monotonic()
        state = self.state()
        release = self.add_release(db)
        old = state.replicas
        new = self._start_replicas(release, len(old) or 1, state.workers, used={r.slot for r in old})
        ready = time.monotonic() - started
        for r in new:
            self._enable(r)
        for r in old:
            self._api(f"set server replicas/r{r.slot} state drain")
        self._wait_idle(old)
        for r in old:
            self._api(f"set server replicas/r{r.slot} state maint")
        state.replicas, state.release = new, release.name
        for r in old:
            _stop(r.pid)
        done = {"release": release.name, "replicas": len(new), "ready_seconds": round(ready, 1),
                "seconds": round(time.monotonic() - started, 1)}
        state.published.append(done)
        self._save(state)
        self._prune(state)
        return done

    def stop(self) -> None:
        state = self.state()
        pid = self._pid()
        if pid is not None:
            _stop(pid, group=False)
        for r in state.replicas:
            _stop(r.pid)
        state.replicas = []
        self._save(state)

    # ------------------------------------------------------------------ parts
    def add_release(self, db: str | Path) -> Path:
        """A whole, consistent copy of ``db`` (SQLite's backup: a build's last commits included),
        its schema brought up to date, then never written again."""
        from .store import open_db

        src = Path(db)
        if not src.exists():
            raise SiteError(f"{src} 不存在")
        target = self.dir / "releases" / f"{time.strftime('%Y%m%d-%H%M%S')}-{src.stem}.db"
        n = 1
        while target.exists():
            target = target.with_name(f"{target.stem}-{n}.db")
            n += 1
        tmp = target.with_suffix(".partial")
        with sqlite3.connect(f"file:{src}?mode=ro", uri=True) as a, sqlite3.connect(tmp) as b:
            a.backup(b)
        db_ = open_db(tmp)
        db_.execute("pragma journal_mode=delete")  # one file: the replicas open it immutable
        db_.conn.close()
        os.chmod(tmp, 0o444)
        tmp.replace(target)
        return target

    def _start_replicas(self, release: Path, n: int, workers: int, used: set[int]) -> list[Replica]:
        kb = str(Path(sys.executable).parent / "kb")
        free = [k for k in range(1, SLOTS + 1) if k not in used]
        if len(free) < n:
            raise SiteError(f"负载均衡的服务器槽位不够（共 {SLOTS} 个）")
        out = []
        for slot in free[:n]:
            port = _free_port()
            log = open(self.dir / "logs" / f"replica-{port}.log", "ab")
            proc = subprocess.Popen([kb, "serve", str(release), "-h", "127.0.0.1", "-p", str(port), "-w", str(workers),
                                     "--immutable"], stdout=log, stderr=log, stdin=subprocess.DEVNULL,
                                    start_new_session=True)
            out.append(Replica(port, proc.pid, release.name, slot))
        try:
            for r in out:
                _wait_ready(r.port, r.pid, 300)
        except SiteError:
            for r in out:
                _stop(r.pid)
            raise
        return out

    def _api(self, command: str) -> str:
        """One command to HAProxy's runtime API (admin.sock)."""
        try:
            with socket.socket(socket.AF_UNIX, socket.SOCK_STREAM) as s:
                s.settimeout(10)
                s.connect(str(self.dir / "admin.sock"))
                s.sendall(command.encode() + b"\n")
                chunks = []
                while chunk := s.recv(65536):
                    chunks.append(chunk)
        except OSError as e:
            raise SiteError(f"无法连接 haproxy 的管理接口（{e}）") from e
        out = b"".join(chunks).decode("utf-8", "replace")
        if command.startswith("set ") and out.strip() and "changed" not in out:
            raise SiteError(f"haproxy 拒绝了 {command!r}：{out.strip()[:200]}")
        return out

    def _enable(self, r: Replica) -> None:
        self._api(f"set server replicas/r{r.slot} addr 127.0.0.1 port {r.port}")
        self._api(f"set server replicas/r{r.slot} state ready")

    def _sessions(self) -> dict[str, int]:
        """Requests under way per server of the backend (``scur`` of ``show stat``)."""
        lines = self._api("show stat").splitlines()
        if not lines:
            return {}
        head = lines[0].lstrip("# ").split(",")
        out = {}
        for line in lines[1:]:
            row = dict(zip(head, line.split(",")))
            if row.get("pxname") == "replicas" and row.get("svname", "").startswith("r"):
                out[row["svname"]] = int(row.get("scur") or 0)
        return out

    def _wait_idle(self, replicas: list[Replica], timeout: float = 120) -> None:
        """Until no request is under way on these replicas (draining: they get no new ones)."""
        deadline = time.monotonic() + timeout
        names = {f"r{r.slot}" for r in replicas}
        while time.monotonic() < deadline:
            if not any(n for name, n in self._sessions().items() if name in names):
                return
            time.sleep(0.1)

    def _pid(self) -> int | None:
        try:
            return int((self.dir / "haproxy.pid").read_text().split()[0])
        except (OSError, ValueError, IndexError):
            return None

    def _prune(self, state: SiteState) -> None:
        releases = sorted((self.dir / "releases").glob("*.db"), key=lambda p: p.stat().st_mtime)
        keep = {state.release} | {r.release for r in state.replicas}
        for old in releases[:-KEEP_RELEASES]:
            if old.name not in keep:
                old.chmod(0o644)
                old.unlink()


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    try:  # a child of this process that exited is a zombie until reaped
        return Path(f"/proc/{pid}/stat").read_text().split()[2] != "Z"
    except OSError:
        return False


def _stop(pid: int, timeout: float = 30, group: bool = True) -> None:
    """SIGTERM to the replica's process group (uvicorn finishes requests under way), then SIGKILL."""
    kill = os.killpg if group else os.kill
    try:
        kill(pid, signal.SIGTERM)
    except OSError:
        return
    deadline = time.monotonic() + timeout
    while _alive(pid) and time.monotonic() < deadline:
        time.sleep(0.1)
        try:
            os.waitpid(pid, os.WNOHANG)
        except ChildProcessError:
            pass
    if _alive(pid):
        try:
            kill(pid, signal.SIGKILL)
        except OSError:
            pass


def _wait_http(host: str, port: int, path: str, timeout: float) -> dict:
    deadline = time.monotonic() + timeout
    while True:
        try:
            conn = http.client.HTTPConnection(host, port, timeout=5)
            conn.request("GET", path)
            resp = conn.getresponse()
            body = resp.read()
            conn.close()
            if resp.status == 200:
                return json.loads(body)
        except (OSError, ValueError, http.client.HTTPException):
            pass
        if time.monotonic() > deadline:
            raise SiteError(f"{host}:{port}{path} 在 {timeout:.0f} 秒内没有应答")
        time.sleep(0.2)


def _wait_ready(port: int, pid: int, timeout: float) -> None:
    """Until the replica answers ready 10 times in a row (its workers loaded the model and indexes)."""
    deadline = time.monotonic() + timeout
    in_a_row = 0
    while in_a_row < 10:
        if not _alive(pid):
            raise SiteError(f"副本（端口 {port}）启动失败，见日志 logs/replica-{port}.log")
        try:
            ready = _wait_http("127.0.0.1", port, "/-/kb-status.json", 2).get("ready")
        except SiteError:
            ready = False
        in_a_row = in_a_row + 1 if ready else 0
        if time.monotonic() > deadline:
            raise SiteError(f"副本（端口 {port}）在 {timeout:.0f} 秒内没有就绪")
        if not ready:
            time.sleep(0.3)


__all__ = ["Site", "SiteError", "SiteState", "haproxy_binary"]
