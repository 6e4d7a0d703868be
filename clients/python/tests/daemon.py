"""Starts the real kvstore daemon from the build for the tests (`./kvstore serve`, never rebuilding).

The daemon binds port 0; its bound port is read from the `kvstore ready: data HOST:PORT` log line. Its log is
kept (and printed if it fails to start). Needs the build: `./mvnw -B -ntp -DskipTests package -pl
kvstore-server -am` (the README's `./mvnw -B -ntp verify` does it before it runs these tests).
"""
import atexit
import os
import re
import shutil
import signal
import subprocess
import tempfile
import threading
import time
from pathlib import Path

REPO = Path(__file__).resolve().parents[3]
READY = re.compile(r"kvstore ready: data (\S+):(\d+) ")
TOKEN = "py-test-token"          # may use any tenant
ACME_TOKEN = "py-acme-token"     # may use tenant "acme" only
# a small heap and a quick JIT: the tests store little and run briefly
JAVA_OPTS = ["-Xmx1g", "-XX:TieredStopAtLevel=1", "-XX:+UseSerialGC"]
AUTH_TOKENS = "%s=*,%s=acme" % (TOKEN, ACME_TOKEN)
# the off-heap tiers reserve their capacity up front: keep them small enough for the 1 GiB heap's direct limit
# dramPersist=false: the DRAM arena in private memory, so that test daemons leave nothing in /dev/shm
TIER_SIZES = ["--set", "hbmCapacityBytes=64MiB", "--set", "dramCapacityBytes=256MiB",
              "--set", "nvmeCapacityBytes=1GiB", "--set", "dramPersist=false"]


class Daemon:
    """One daemon process with its own temp data dir. `port` is its data port once `start()` returned."""

    def __init__(self, env=None, args=(), start_timeout=90.0):
        self.env = dict(env or {})
        self.args = list(args)
        self.start_timeout = start_timeout
        self.proc = None
        self.port = None
        self.host = "127.0.0.1"
        self.log = []
        self._ready = threading.Event()
        self._dir = None

    def start(self):
        # KVSTORE_SERVER_COMMAND: the java command line up to the main class, one argument per line (set by
        # client-lib's PythonClientTest when kvstore-server is compiled but not packaged); else the launcher.
        prefix = os.environ.get("KVSTORE_SERVER_COMMAND")
        server = REPO / "kvstore-server" / "target"
        if prefix:
            prefix = prefix.split("\n")
        elif not (server / "classes").is_dir() or not (server / "lib").is_dir():
            raise RuntimeError("kvstore-server is not built (%s missing); run: ./mvnw -B -ntp -DskipTests package "
                               "-pl kvstore-server -am" % (server / "lib"))
        else:
            prefix = [str(REPO / "kvstore"), "serve"]
        self._dir = tempfile.mkdtemp(prefix="kvstore-pytest-")
        env = dict(os.environ)
        env.update({"KVSTORE_SKIP_BUILD": "1", "KVSTORE_JAVA_OPTS": " ".join(JAVA_OPTS)})
        if prefix[0] != str(REPO / "kvstore"):
            prefix = prefix[:1] + JAVA_OPTS + prefix[1:]
        env.update(self.env)
        cmd = prefix + ["--port", "0", "--admin-port", "-1",
               "--data-dir", os.path.join(self._dir, "data")] + TIER_SIZES + self.args
        self.proc = subprocess.Popen(cmd, cwd=str(REPO), env=env, stdin=subprocess.DEVNULL,
                                     stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True,
                                     errors="replace")
        self._pumper = threading.Thread(target=self._pump, daemon=True)
        self._pumper.start()
        if not self._ready.wait(self.start_timeout) or self.port is None:
            self.stop()
            raise RuntimeError("kvstore daemon did not become ready within %.0f s; log:\n%s"
                               % (self.start_timeout, "".join(self.log)))
        return self

    def _pump(self):
        for line in self.proc.stdout:
            self.log.append(line)
            m = READY.search(line)
            if m and self.port is None:
                self.host, self.port = m.group(1), int(m.group(2))
                self._ready.set()
        self._ready.set()  # exited

    def kill(self):
        """SIGKILL: the server goes away without a goodbye."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGKILL)
            self.proc.wait(10)

    def stop(self):
        """SIGTERM (draining shutdown), SIGKILL after 10 s; removes the data dir. Idempotent."""
        if self.proc and self.proc.poll() is None:
            self.proc.send_signal(signal.SIGTERM)
            try:
                self.proc.wait(10)
            except subprocess.TimeoutExpired:
                self.kill()
        if self.proc and self.proc.poll() is not None:
            self._pumper.join(5)  # reads the log to EOF, then the pipe can be closed
            self.proc.stdout.close()
        if self._dir:
            shutil.rmtree(self._dir, ignore_errors=True)
            self._dir = None


class SharedMemoryDaemon(Daemon):
    """A daemon that offers same-host shared-memory reads: no HBM, its DRAM arena file-backed in a fresh directory
    under /dev/shm (`shm_dir`), which `stop()` removes as well."""

    def __init__(self, env=None, args=(), start_timeout=90.0):
        self.shm_dir = tempfile.mkdtemp(prefix="kvstore-pytest-shm-",
                                        dir="/dev/shm" if os.path.isdir("/dev/shm") else None)
        super().__init__(env, ["--set", "hbmCapacityBytes=0", "--set", "dramPersist=true",
                               "--set", "dramSharedMemoryDir=" + os.path.join(self.shm_dir, "dram")] + list(args),
                         start_timeout)

    def stop(self):
        super().stop()
        if self.shm_dir:
            shutil.rmtree(self.shm_dir, ignore_errors=True)
            self.shm_dir = None


class DaemonPerClass:
    """Mixin for a unittest.TestCase whose tests share one daemon, `cls.d`, started before the first test and
    stopped after the last. Set `daemon_args` (extra `--set` arguments) and `shared_memory` (a SharedMemoryDaemon)."""

    daemon_args = ()
    shared_memory = False

    @classmethod
    def setUpClass(cls):
        super().setUpClass()
        cls.d = (SharedMemoryDaemon if cls.shared_memory else Daemon)(args=cls.daemon_args).start()

    @classmethod
    def tearDownClass(cls):
        cls.d.stop()
        super().tearDownClass()


_shared = None
_lock = threading.Lock()


def shared():
    """The daemon most tests share (auth tokens configured: `TOKEN` any tenant, `ACME_TOKEN` tenant acme),
    started on first use and stopped when the interpreter exits."""
    global _shared
    with _lock:
        if _shared is None:
            d = Daemon(env={"KVSTORE_AUTH_TOKENS": AUTH_TOKENS})
            t = time.monotonic()
            d.start()
            d.startup_seconds = time.monotonic() - t
            atexit.register(d.stop)
            _shared = d
        return _shared
