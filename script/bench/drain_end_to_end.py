"""Times `travis-logs drain` and `travis-logs worker` from their start until PostgreSQL contains every
published part in log_parts, then `\\copy` of the same rows as the floor.

Run by script/bench/drain, which sets BIN, MESSAGES, CONSUMERS, STATE and the travis-logs
environment. Prints `phase=end_to_end ...` and `phase=copy ...` lines. CPU seconds are the user and
system time of each process from /proc, read when the last part is stored; the drain's peak RSS is
its VmHWM.
"""

import os
import subprocess
import sys
import time

BIN = os.environ["BIN"]
MESSAGES = int(os.environ["MESSAGES"])
STATE = os.environ["STATE"]
DATABASE_URL = os.environ["DATABASE_URL"]
TICKS = os.sysconf("SC_CLK_TCK")


def psql(*arguments):
    return subprocess.run(
        ["psql", DATABASE_URL, "-XAtq", *arguments], check=True, capture_output=True, text=True
    ).stdout.strip()


def cpu_seconds(pid):
    with open(f"/proc/{pid}/stat") as stat:
        # Fields 14 and 15 (user and system time in clock ticks) follow the parenthesized name.
        fields = stat.read().rsplit(")", 1)[1].split()
    return (int(fields[11]) + int(fields[12])) / TICKS


def peak_rss_megabytes(pid):
    with open(f"/proc/{pid}/status") as status:
        for line in status:
            if line.startswith("VmHWM:"):
                return int(line.split()[1]) / 1024
    return 0.0


def start(name, *arguments):
    log = open(os.path.join(STATE, f"{name}.log"), "w")
    return subprocess.Popen([os.path.join(BIN, "travis-logs"), *arguments], stdout=log, stderr=log)


def stored_parts():
    return int(psql("-c", "SELECT count(*) FROM log_parts"))


started = time.monotonic()
worker = start("worker", "worker", "--queue", "log_parts", "--concurrency", os.environ["CONSUMERS"])
drain = start("drain", "drain")
processes = {"drain": drain, "worker": worker}
try:
    deadline = started + 900
    while stored_parts() < MESSAGES:
        for name, process in processes.items():
            if process.poll() is not None:
                sys.exit(f"{name} exited with status {process.returncode}; see {STATE}/{name}.log")
        if time.monotonic() > deadline:
            sys.exit(f"timed out after 900 s: log_parts contains {stored_parts()} of {MESSAGES} parts")
        time.sleep(0.2)
    seconds = time.monotonic() - started
    cpu = {name: cpu_seconds(process.pid) for name, process in processes.items()}
    drain_rss = peak_rss_megabytes(drain.pid)
finally:
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        process.wait(timeout=60)

total_cpu = sum(cpu.values())
print(
    f"phase=end_to_end parts={MESSAGES} seconds={seconds:.2f} parts_per_second={int(MESSAGES / seconds)} "
    f"drain_cpu_ms_per_part={cpu['drain'] / MESSAGES * 1000:.4f} "
    f"worker_cpu_ms_per_part={cpu['worker'] / MESSAGES * 1000:.4f} "
    f"total_cpu_ms_per_part={total_cpu / MESSAGES * 1000:.4f} drain_peak_rss_mb={drain_rss:.1f}"
)

rows = os.path.join(STATE, "log_parts.copy")
columns = "log_id, number, content, final, created_at"
psql("-c", f"\\copy (SELECT {columns} FROM log_parts) TO '{rows}'")
psql("-c", "TRUNCATE log_parts")
copy_started = time.monotonic()
psql("-c", f"\\copy log_parts ({columns}) FROM '{rows}'")
copy_seconds = time.monotonic() - copy_started
print(f"phase=copy parts={MESSAGES} seconds={copy_seconds:.2f} parts_per_second={int(MESSAGES / copy_seconds)}")
