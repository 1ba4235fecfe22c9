"""``make bench-web``: the web app under load, with 100,000 cases and 1,000,000 events.

Starts a throwaway PostgreSQL on loopback (its data folder is kept in
``benchmarks/.cache/web-pg`` and reused while the generated data is current), serves the real
app (``frankly.web.app:create_app``, uvicorn, two workers) and a bare FastAPI app (the
ceiling), and drives each endpoint with wrk: 20 connections, a warm-up, then a timed run.
Prints requests/s and p50/p95/p99 per endpoint and PASS/FAIL against p95 < 100 ms.

The load generator runs on the same two cores as the servers and PostgreSQL, so every
figure includes its cost. Exits 1 when a target is missed, 2 when the run cannot start.
"""

from __future__ import annotations

import argparse
import contextlib
import datetime as dt
import json
import os
import platform
import pwd
import re
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

import httpx

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "benchmarks"))

from tests.pgserver import find_bindir  # noqa: E402

CACHE = ROOT / "benchmarks" / ".cache" / "web-pg"
LUA = ROOT / "benchmarks" / "web_bench.lua"
VENV_BIN = Path(sys.executable).parent
TARGET_P95_MS = 100.0
MAX_DATA_AGE = dt.timedelta(days=7)

CHECK_TEXT = (
    "Dear Ms Mitchell, we are writing to let you know about a slight delay with your order "
    "4471. Due to unforeseen circumstances beyond our control, the shelving units will not "
    "arrive on 20 November as planned. We apologise for any inconvenience this may cause. "
    "The goods are currently held at customs because the export documents were missing a "
    "commodity code. Our logistics team is working hard to resolve the issue as soon as "
    "possible and we expect the shipment to be released shortly. In the meantime, we would "
    "like to assure you that your satisfaction is our top priority. Should you have any "
    "questions, please do not hesitate to contact our customer service department. We will "
    "keep you updated on the progress and let you know once we have a new delivery date. "
    "Going forward, we will review our processes to make sure this does not happen again. "
    "Thank you for your patience and understanding. Kind regards, James Carter, Northwind "
    "Supplies"
)


def say(text: str) -> None:
    print(text, flush=True)


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


# ---------------------------------------------------------------------- PostgreSQL


class Postgres:
    """A PostgreSQL server on a data folder kept between runs (as ``postgres`` when root)."""

    def __init__(self, base: Path) -> None:
        self.base = base
        self.data = base / "data"
        self.bindir = find_bindir()
        self.port = free_port()
        self.as_user = "postgres" if os.geteuid() == 0 else None
        self.running = False

    def url(self, driver: str = "postgresql+psycopg") -> str:
        return f"{driver}://frankly@127.0.0.1:{self.port}/frankly"

    def _run(self, *args: str) -> None:
        cmd = [str(self.bindir / args[0]), *args[1:]]
        if self.as_user:
            cmd = ["runuser", "-u", self.as_user, "--", *cmd]
        done = subprocess.run(cmd, cwd=self.base, capture_output=True, text=True, check=False)
        if done.returncode != 0:
            log = self.base / "server.log"
            tail = log.read_text()[-2000:] if log.exists() else ""
            raise RuntimeError(f"{' '.join(cmd)} failed:\n{done.stdout}{done.stderr}{tail}")

    def init(self) -> None:
        shutil.rmtree(self.base, ignore_errors=True)
        self.base.mkdir(parents=True)
        if self.as_user:
            entry = pwd.getpwnam(self.as_user)
            os.chown(self.base, entry.pw_uid, entry.pw_gid)
        os.chmod(self.base, 0o755)
        self._run(
            "initdb", "-D", str(self.data), "-A", "trust", "-U", "frankly", "-E", "UTF8",
            "--locale=C", "--no-sync",
        )  # fmt: skip

    def start(self) -> None:
        # Durability off (fsync, full pages): the benchmark reads; nothing here must survive
        # a power cut. Memory as a small production server would have it.
        options = (
            f"-k {self.base} -p {self.port} -c listen_addresses=127.0.0.1 "
            "-c fsync=off -c synchronous_commit=off -c full_page_writes=off "
            "-c max_connections=200 -c shared_buffers=512MB -c effective_cache_size=4GB "
            "-c work_mem=16MB -c maintenance_work_mem=256MB -c max_wal_size=4GB"
        )
        self._run(
            "pg_ctl", "-D", str(self.data), "-o", options, "-l", str(self.base / "server.log"),
            "-w", "-t", "120", "start",
        )  # fmt: skip
        self.running = True

    def create_database(self) -> None:
        import psycopg

        dsn = f"postgresql://frankly@127.0.0.1:{self.port}/postgres"
        with psycopg.connect(dsn, autocommit=True) as conn:
            conn.execute("CREATE DATABASE frankly")

    def stop(self) -> None:
        if self.running:
            self.running = False
            self._run("pg_ctl", "-D", str(self.data), "-m", "fast", "-w", "-t", "60", "stop")


def prepare_data(pg: Postgres, cases: int, events: int, rebuild: bool) -> dict[str, Any]:
    """Start PostgreSQL on the cached data when it is current, or load it afresh."""
    from web_data import GENERATOR_VERSION, load

    from frankly.store import Database

    stamp_file = CACHE / "stamp.json"
    want = {"generator": GENERATOR_VERSION, "cases": cases, "events": events}
    stamp: dict[str, Any] = {}
    if stamp_file.exists() and not rebuild:
        try:
            stamp = json.loads(stamp_file.read_text())
        except ValueError:
            stamp = {}
    fresh = bool(stamp) and all(stamp.get(k) == v for k, v in want.items())
    if fresh:
        loaded = dt.datetime.fromisoformat(stamp["loaded_at"])
        fresh = dt.datetime.now(dt.UTC) - loaded < MAX_DATA_AGE
    if fresh:
        try:
            pg.start()
        except RuntimeError as exc:
            say(f"The cached database did not start ({str(exc).splitlines()[0]}); loading anew.")
            fresh = False
    if fresh:
        db = Database(pg.url())
        before = db.current_revision()
        db.upgrade()  # a migration added since the load runs on the loaded data
        after = db.current_revision()
        db.dispose()
        if before != after:
            say(f"Migrated the cached database from {before} to {after}.")
            stamp["revision"] = after
            stamp_file.write_text(json.dumps(stamp, indent=1))
        stamp["cached"] = True
        return stamp
    say(f"Loading {cases:,} cases and {events:,} events into PostgreSQL (once; then cached)…")
    started = time.perf_counter()
    pg.init()
    pg.start()
    pg.create_database()
    db = Database(pg.url())
    db.upgrade()
    revision = db.current_revision()
    db.dispose()
    now = dt.datetime.now(dt.UTC)
    summary = load(pg.url("postgresql"), now, cases, events, say=say)
    seconds = round(time.perf_counter() - started, 1)
    stamp = {
        **want,
        "revision": revision,
        "loaded_at": now.isoformat(),
        "load_seconds": seconds,
        "summary": summary,
    }
    stamp_file.write_text(json.dumps(stamp, indent=1))
    say(f"  loaded in {seconds} s (database, schema, generation, COPY, VACUUM ANALYZE)")
    stamp["cached"] = False
    return stamp


# ---------------------------------------------------------------------- servers


class Servers:
    """Child processes in their own process groups, all stopped on the way out."""

    def __init__(self) -> None:
        self.procs: list[subprocess.Popen[bytes]] = []

    def start(self, args: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
        out = log.open("wb")
        proc = subprocess.Popen(
            args, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True, cwd=ROOT
        )
        self.procs.append(proc)
        return proc

    def stop(self) -> None:
        for proc in self.procs:
            if proc.poll() is None:
                with contextlib.suppress(ProcessLookupError):
                    os.killpg(proc.pid, signal.SIGTERM)
        for proc in self.procs:
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                os.killpg(proc.pid, signal.SIGKILL)
                proc.wait()
        self.procs.clear()


def uvicorn(app: str, port: int, workers: int, extra: list[str]) -> list[str]:
    """uvicorn with ``workers`` processes (through web_serve.py: see there for why)."""
    serve = ROOT / "benchmarks" / "web_serve.py"
    return [sys.executable, str(serve), app, str(port), str(workers), *extra]


def wait_ready(url: str, proc: subprocess.Popen[bytes], log: Path, timeout: float = 60) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"{url}: the server exited:\n{log.read_text()[-3000:]}")
        try:
            if httpx.get(url, timeout=2).status_code == 200:
                return
        except httpx.HTTPError:
            pass
        time.sleep(0.3)
    raise RuntimeError(f"{url} did not answer within {timeout:.0f} s")


# ---------------------------------------------------------------------- who and what


def choose(db_url: str) -> dict[str, Any]:
    """The agent with the median number of open cases, a manager, and a typical case."""
    from sqlalchemy import func, select

    from frankly.store import Agent, Case, Database, Event, Message
    from frankly.web.auth import issue_token

    db = Database(db_url)
    with db.reading() as s:
        counts = sorted(
            s.execute(
                select(func.count(Case.id), Case.owner_id)
                .where(Case.state.in_(("open", "notified", "resolving")))
                .where(Case.owner_id.is_not(None))
                .group_by(Case.owner_id)
            ).all()
        )
        open_cases, agent_id = counts[len(counts) // 2]
        agent = s.get(Agent, agent_id)
        manager = s.get(Agent, agent.manager_id) if agent and agent.manager_id else None
        assert agent is not None and manager is not None
        # Among the agent's open cases with a reply waiting: the median timeline length.
        with_reply = (
            select(Message.case_id).where(Message.direction == "in").distinct().scalar_subquery()
        )
        lengths = sorted(
            s.execute(
                select(func.count(Event.id), Event.case_id)
                .join(Case, Case.id == Event.case_id)
                .where(
                    Case.owner_id == agent_id,
                    Case.state.in_(("notified", "resolving")),
                    Case.id.in_(with_reply),
                )
                .group_by(Event.case_id)
            ).all()
        )
        events, case_id = lengths[len(lengths) // 2]
        longest = s.execute(
            select(func.count(Event.id), Event.case_id)
            .join(Case, Case.id == Event.case_id)
            .where(Case.state.in_(("notified", "resolving")))
            .group_by(Event.case_id)
            .order_by(func.count(Event.id).desc())
            .limit(1)
        ).one()
    _, token = issue_token(db, agent_id, f"bench-web {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M}")
    db.dispose()
    return {
        "agent": agent.email,
        "agent_open_cases": open_cases,
        "manager": manager.email,
        "case_id": case_id,
        "case_events": events,
        "longest_case": {"case_id": longest[1], "events": longest[0]},
        "token": token,
    }


def sign_in(base: str, email: str, password: str) -> str:
    """The session cookie after signing in through the real form (CSRF token and all)."""
    with httpx.Client(base_url=base, follow_redirects=False, timeout=30) as client:
        page = client.get("/login")
        found = re.search(r'name="csrf_token" value="([^"]+)"', page.text)
        if found is None:
            raise RuntimeError("No CSRF token on the sign-in page")
        answer = client.post(
            "/login", data={"email": email, "password": password, "csrf_token": found.group(1)}
        )
        if answer.status_code != 303:
            raise RuntimeError(f"Sign-in as {email} failed: HTTP {answer.status_code}")
        value = client.cookies.get("frankly_session")
        if not value:
            raise RuntimeError(f"Sign-in as {email} set no session cookie")
        return f"frankly_session={value}"


# ---------------------------------------------------------------------- load


def wrk(
    url: str, seconds: int, connections: int, env: dict[str, str], threads: int = 1
) -> dict[str, Any]:
    cmd = [
        "wrk",
        f"-t{threads}",
        f"-c{connections}",
        f"-d{seconds}s",
        "--timeout",
        "10s",
        "-s",
        str(LUA),
        url,
    ]
    done = subprocess.run(
        cmd, env={**os.environ, **env}, capture_output=True, text=True, check=False
    )
    line = next((x for x in done.stdout.splitlines() if x.startswith("BENCH_RESULT ")), None)
    if done.returncode != 0 or line is None:
        raise RuntimeError(f"wrk failed ({done.returncode}):\n{done.stdout}\n{done.stderr}")
    result = json.loads(line.removeprefix("BENCH_RESULT "))
    result["rps"] = result["requests"] / (result["duration_us"] / 1e6)
    return result


def probe(url: str, env: dict[str, str], expect: str) -> None:
    """One request first: it must answer 200 with the expected content."""
    headers = {}
    if env.get("BENCH_COOKIE"):
        headers["Cookie"] = env["BENCH_COOKIE"]
    if env.get("BENCH_AUTH"):
        headers["Authorization"] = env["BENCH_AUTH"]
    if env.get("BENCH_CONTENT_TYPE"):
        headers["Content-Type"] = env["BENCH_CONTENT_TYPE"]
    body = Path(env["BENCH_BODY_FILE"]).read_bytes() if env.get("BENCH_BODY_FILE") else None
    answer = httpx.request(
        env.get("BENCH_METHOD", "GET"), url, headers=headers, content=body, timeout=60
    )
    if answer.status_code != 200 or expect not in answer.text:
        raise RuntimeError(f"{url}: HTTP {answer.status_code}, {answer.text[:300]!r}")


def machine_note() -> str:
    cpu = ""
    try:
        for line in Path("/proc/cpuinfo").read_text().splitlines():
            if line.startswith("model name"):
                cpu = line.split(":", 1)[1].strip()
                break
    except OSError:
        pass
    load = os.getloadavg()
    return (
        f"{os.cpu_count()} cores ({cpu or platform.machine()}), load average "
        f"{load[0]:.2f} {load[1]:.2f} {load[2]:.2f} at the start; Python "
        f"{platform.python_version()}; wrk, both servers and PostgreSQL share these cores"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--events", type=int, default=1_000_000)
    parser.add_argument("--seconds", type=int, default=20, help="timed run per endpoint")
    parser.add_argument("--warmup", type=int, default=5, help="warm-up per endpoint")
    parser.add_argument("--connections", type=int, default=20)
    parser.add_argument("--workers", type=int, default=2, help="uvicorn workers")
    parser.add_argument(
        "--think-ms", type=int, default=1000, help="mean pause of each user between requests"
    )
    parser.add_argument("--saturate", type=int, default=10, help="no-think-time run per row")
    parser.add_argument("--rebuild", action="store_true", help="load the data afresh")
    parser.add_argument("--only", default="", help="comma-separated row names to run")
    args = parser.parse_args()

    if shutil.which("wrk") is None:
        say("wrk is missing: `make bench-web` installs it (apt-get install wrk).")
        return 2

    def stop_on_signal(signum: int, _frame: Any) -> None:
        raise KeyboardInterrupt(f"signal {signum}")

    signal.signal(signal.SIGTERM, stop_on_signal)
    note = machine_note()
    CACHE.parent.mkdir(parents=True, exist_ok=True)
    pg = Postgres(CACHE)
    servers = Servers()
    logs = Path(tempfile.mkdtemp(prefix="frankly-bench-web-"))
    try:
        started = time.perf_counter()
        stamp = prepare_data(pg, args.cases, args.events, args.rebuild)
        ready = time.perf_counter() - started
        from web_data import PASSWORD

        who = choose(pg.url())
        app_port, bare_port = free_port(), free_port()
        env = {
            **os.environ,
            "FRANKLY_DATABASE_URL": pg.url(),
            "FRANKLY_DATA_DIR": str(logs / "data"),
        }
        app_log, bare_log = logs / "app.log", logs / "bare.log"
        app = servers.start(
            uvicorn("frankly.web.app:create_app", app_port, args.workers, ["--factory"]),
            env,
            app_log,
        )
        bare = servers.start(
            uvicorn(
                "web_bare:app", bare_port, args.workers, ["--app-dir", str(ROOT / "benchmarks")]
            ),
            env,
            bare_log,
        )
        base, bare_base = f"http://127.0.0.1:{app_port}", f"http://127.0.0.1:{bare_port}"
        wait_ready(f"{base}/healthz", app, app_log)
        wait_ready(f"{bare_base}/json", bare, bare_log)
        agent_cookie = sign_in(base, who["agent"], PASSWORD)
        manager_cookie = sign_in(base, who["manager"], PASSWORD)
        body_file = logs / "check.json"
        body_file.write_text(json.dumps({"text": CHECK_TEXT, "fault": "ours"}))
        words = len(CHECK_TEXT.split())
        rows: list[tuple[str, str, dict[str, str], str, bool]] = [
            ("bare FastAPI, JSON (ceiling)", f"{bare_base}/json", {}, "ok", False),
            ("bare FastAPI, HTML (ceiling)", f"{bare_base}/html", {}, "Hello", False),
            (
                f"Today, agent ({who['agent_open_cases']} open cases)",
                f"{base}/",
                {"BENCH_COOKIE": agent_cookie},
                "<table",
                True,
            ),
            (
                "Today, manager's team view",
                f"{base}/?team=1",
                {"BENCH_COOKIE": manager_cookie},
                "<table",
                False,
            ),
            (
                f"case page ({who['case_events']} events)",
                f"{base}/cases/{who['case_id']}",
                {"BENCH_COOKIE": agent_cookie},
                "timeline",
                True,
            ),
            (
                f"case page, longest open ({who['longest_case']['events']} events)",
                f"{base}/cases/{who['longest_case']['case_id']}",
                {"BENCH_COOKIE": agent_cookie},
                "timeline",
                False,
            ),
            (
                f"POST /api/v1/check ({words} words)",
                f"{base}/api/v1/check",
                {
                    "BENCH_METHOD": "POST",
                    "BENCH_AUTH": f"Bearer {who['token']}",
                    "BENCH_BODY_FILE": str(body_file),
                    "BENCH_CONTENT_TYPE": "application/json",
                },
                "findings",
                True,
            ),
        ]
        only = [x.strip().lower() for x in args.only.split(",") if x.strip()]
        if only:
            rows = [r for r in rows if any(o in r[0].lower() for o in only)]
        say("")
        say(f"bench-web — {dt.datetime.now(dt.UTC):%Y-%m-%d %H:%M} UTC")
        say(f"machine: {note}")
        summary = stamp.get("summary", {})
        say(
            f"data: {summary.get('cases', args.cases):,} cases, "
            f"{summary.get('events', args.events):,} events, "
            f"{summary.get('messages', 0):,} messages, {summary.get('commitments', 0):,} "
            f"commitments, {summary.get('customers', 0):,} customers, "
            f"{summary.get('agents', 0)} agents; open {_open_share(summary)}"
        )
        say(
            "database: PostgreSQL on loopback, "
            + (
                f"cached (loaded {stamp['loaded_at'][:16]} in {stamp.get('load_seconds')} s), "
                f"ready in {ready:.1f} s"
                if stamp.get("cached")
                else f"loaded in {stamp.get('load_seconds')} s"
            )
        )
        say(
            f"servers: uvicorn, {args.workers} workers each (the app: frankly.web.app:"
            f"create_app); wrk 1 thread, {args.connections} connections, "
            f"{args.warmup} s warm-up + {args.seconds} s per row"
        )
        say(f"signed in as {who['agent']} (agent) and {who['manager']} (manager)")
        say("")
        header = (
            f"{'endpoint':44} {'load':>10} {'req/s':>7} {'p50 ms':>7} {'p95 ms':>7} "
            f"{'p99 ms':>7} {'non-200':>7}  target"
        )
        say(header)
        say("-" * len(header))
        failed = []
        results = []
        for name, url, extra, expect, judged in rows:
            try:
                probe(url, extra, expect)
            except RuntimeError as exc:
                say(f"{name:44} could not run: {str(exc)[:80]}")
                failed.append(name) if judged else None
                continue
            wrk(url, args.warmup, args.connections, extra)
            runs = [("users", {**extra, "BENCH_THINK_MS": str(args.think_ms)}, args.seconds)]
            if args.saturate > 0:
                runs.append(("saturated", extra, args.saturate))
            for load, env_, seconds in runs:
                r = wrk(url, seconds, args.connections, env_)
                bad = r["not_200"] + r["connect"] + r["read"] + r["write"] + r["timeout"]
                p95 = r["p95"] / 1000
                verdict = "-"
                if judged and load == "users":
                    ok = p95 < TARGET_P95_MS and bad == 0
                    verdict = "PASS" if ok else "FAIL"
                    if not ok:
                        failed.append(name)
                say(
                    f"{name if load == 'users' else '':44} {load:>10} {r['rps']:7.0f} "
                    f"{r['p50'] / 1000:7.1f} {p95:7.1f} {r['p99'] / 1000:7.1f} {bad:7d}  {verdict}"
                )
                results.append({"name": name, "load": load, **r, "verdict": verdict})
        say("")
        say(
            f"users: {args.connections} connections, each waiting {args.think_ms / 2000:.2f}-"
            f"{args.think_ms * 1.5 / 1000:.2f} s between requests (a user acting once a second); "
            f"saturated: {args.connections} connections, no pause (the most the machine serves)"
        )
        say(
            f"target: p95 < {TARGET_P95_MS:.0f} ms for {args.connections} concurrent users "
            f"on Today, the case page and the check endpoint: "
            + ("all met" if not failed else f"NOT met for {', '.join(failed)}")
        )
        (CACHE.parent / "web_bench_last.json").write_text(
            json.dumps({"machine": note, "who": {**who, "token": None}, "rows": results}, indent=1)
        )
        return 1 if failed else 0
    except KeyboardInterrupt:
        say("Interrupted: stopping the servers and PostgreSQL.")
        return 130
    except RuntimeError as exc:
        say(f"bench-web could not run: {exc}")
        return 2
    finally:
        servers.stop()
        try:
            pg.stop()
        except RuntimeError as exc:
            say(f"Stopping PostgreSQL failed: {exc}")
        shutil.rmtree(logs, ignore_errors=True)


def _open_share(summary: dict[str, Any]) -> str:
    states = summary.get("states") or {}
    total = sum(states.values()) or 1
    n = sum(states.get(s, 0) for s in ("open", "notified", "resolving"))
    return f"{n:,} cases ({100 * n / total:.1f}%)"


if __name__ == "__main__":
    sys.exit(main())
