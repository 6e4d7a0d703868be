"""Daemon CPU per GiB PUT (user + system ticks of the daemon's JVM over the PUT phase only, from /proc/PID/stat):
the binary protocol (this tree's Python client, standard library, server checksum, 64 x 2 MiB) and lm:// (64 x 4 MiB
chunks under fresh keys), alternating, ROUNDS rounds after one uncounted. Starts ROOT/kvstore serve on the daemon's
defaults (HBM 256 MiB, DRAM 1 GiB in private memory, NVMe), plus the space-separated flags in $EXTRA, e.g.
EXTRA="--set hbmCapacityBytes=0 --set dramCapacityBytes=3GiB" for one roomy tier. On a shared machine the CPU a
daemon spends per byte moves far less than its throughput (docs/protocol-lmcache.md, "After the in-place PUT").

usage: python3 tools/put_cpu.py ROOT LABEL [ROUNDS=4]      (ROOT: a built source tree, e.g. . or another build)"""
import os, socket, struct, subprocess, sys, tempfile, time, re, shutil
root, label = sys.argv[1], sys.argv[2]
rounds = int(sys.argv[3]) if len(sys.argv) > 3 else 4
sys.path.insert(0, os.path.join(root, "clients", "python"))
from kvstore_client import Namespace, connect  # noqa
TICK = os.sysconf("SC_CLK_TCK")
def free_port():
    s = socket.socket(); s.bind(("127.0.0.1", 0)); p = s.getsockname()[1]; s.close(); return p
d = tempfile.mkdtemp(prefix="put-cpu-")
lm_port = free_port()
log = open(os.path.join(d, "log"), "w")
p = subprocess.Popen([os.path.join(root, "kvstore"), "serve", "--port", "0", "--admin-port", "0", "--data-dir",
                      os.path.join(d, "data"), "--set", "dramPersist=false", "--set", "lmPort=%d" % lm_port] + os.environ.get("EXTRA", "").split(),
                     stdout=log, stderr=subprocess.STDOUT)
try:
    for _ in range(300):
        txt = open(os.path.join(d, "log")).read()
        if "kvstore ready" in txt:
            break
        time.sleep(0.5)
    port = int(re.search(r"data 127\.0\.0\.1:(\d+)", txt).group(1))
    jpid = int(subprocess.check_output(["pgrep", "-P", str(p.pid), "java"]).split()[0]) if subprocess.run(
        ["pgrep", "-P", str(p.pid), "java"], capture_output=True).returncode == 0 else p.pid
    def ticks():
        f = open("/proc/%d/stat" % jpid).read().rsplit(")", 1)[1].split()
        return int(f[11]) + int(f[12])
    ns = Namespace("cpuab/" + os.urandom(4).hex(), "bf16", 32, 8, 128, 16)
    pay2 = [bytearray(os.urandom(2 << 20)) for _ in range(64)]
    pay4 = os.urandom(4 << 20)
    def lm_header(cmd, key, length):
        b = struct.pack("<9i", cmd, length, 1, 3, 0, 1, 2, 3, 4) + key.encode()
        return b + b" " * (186 - len(b))
    res = {"bin": [], "lm": []}
    with connect("127.0.0.1", port, ns, timeout=120, checksum="server", shared_memory=False) as c, \
            socket.create_connection(("127.0.0.1", lm_port)) as lm:
        lm.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
        for r in range(-1, rounds):  # round -1: warm-up
            tokens = [(r + 2) * 1000003 + i for i in range(64 * 16)]
            t0, w0 = ticks(), time.perf_counter()
            assert c.put_blocks(tokens, pay2).all_stored
            t1, w1 = ticks(), time.perf_counter()
            if r >= 0:
                res["bin"].append(((t1 - t0) / TICK / (128 / 1024), 128 / (w1 - w0)))
            t0, w0 = ticks(), time.perf_counter()
            for i in range(64):
                lm.sendall(lm_header(1, "%s-r%d-c%d" % (label, r, i), len(pay4)))
                lm.sendall(pay4)
            lm.sendall(lm_header(5, "h", 0))
            got = b""
            while len(got) < 36:
                got += lm.recv(36 - len(got))
            t1, w1 = ticks(), time.perf_counter()
            if r >= 0:
                res["lm"].append(((t1 - t0) / TICK / (256 / 1024), 256 / (w1 - w0)))
    med = lambda v: sorted(v)[len(v) // 2]
    for k, v in res.items():
        print("%s %s PUT: daemon CPU s/GiB %s median %.2f; MB/s %s median %.0f; load %s" % (
            label, k, [round(x[0], 2) for x in v], med([x[0] for x in v]), [round(x[1]) for x in v],
            med([x[1] for x in v]), open("/proc/loadavg").read().split()[0]))
finally:
    p.terminate(); p.wait(30)
    shutil.rmtree(d, ignore_errors=True)
