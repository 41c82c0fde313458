"""Times `travis-logs drain` and two `travis-logs worker` processes from their start until PostgreSQL
contains every published part in log_parts and a local Pusher endpoint has received every part, then
`\\copy` of the same rows as the floor.

One worker runs the `log_parts` queue, the other the `logs.pusher_forwarding` queue, so that each
one's CPU time is known. The forwarding worker sends to `DrainBenchmark pusher`, a Pusher HTTP API
stand-in on 127.0.0.1 that accepts every request with 200 and counts the events, which this script
reads with `GET /events`. With WATCHED_PERCENT at 100 (the default) the channel existence check is
off, so every part becomes an event.

script/bench/drain runs this once per round. It sets BIN, MESSAGES, CONSUMERS, STATE and the
travis-logs environment, and gives each round a new database, because the count of stored parts
reads the log_parts id sequence, which must not have handed out ids before. Prints `phase=end_to_end ...` and
`phase=copy ...` lines, to which script/bench/drain adds the round number. CPU seconds are the user
and system time of each process from /proc: the drain's and the log_parts worker's read when the
last part is stored, the forwarding worker's and the Pusher stand-in's when the last event arrived.
The drain's peak RSS is its VmHWM.
"""

import http.client
import os
import subprocess
import sys
import time

BIN = os.environ["BIN"]
MESSAGES = int(os.environ["MESSAGES"])
JOBS = int(os.environ["JOBS"])
# The share of jobs whose Pusher channel is occupied. At 100 the channel existence check is off, so
# every part becomes an event. Below 100 the check is on, as it is by default, so only the parts of
# the first jobs go to Pusher.
WATCHED_PERCENT = int(os.environ.get("WATCHED_PERCENT", "100"))
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


def start(name, *arguments, environment=None):
    log = open(os.path.join(STATE, f"{name}.log"), "w")
    return subprocess.Popen(
        [os.path.join(BIN, "travis-logs"), *arguments], stdout=log, stderr=log, env=environment or os.environ
    )


def start_pusher():
    """Starts `DrainBenchmark pusher`, the Pusher stand-in, and returns it with its port."""
    log = open(os.path.join(STATE, "pusher.log"), "w")
    process = subprocess.Popen(
        [os.path.join(BIN, "DrainBenchmark"), "pusher"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=log
    )
    port = process.stdout.readline().strip()
    if not port:
        sys.exit(f"the Pusher stand-in did not start; see {STATE}/pusher.log")
    return process, int(port)


def watched_jobs():
    return JOBS * WATCHED_PERCENT // 100


def expected_events():
    # The publisher gives message i to job 1 + i % JOBS.
    return sum(MESSAGES // JOBS + (1 if job < MESSAGES % JOBS else 0) for job in range(watched_jobs()))


def mark_watched_channels():
    commands = "".join(f"SET logs:channel-occupied:job-{job} 1 EX 3600\n" for job in range(1, watched_jobs() + 1))
    subprocess.run(
        ["redis-cli", "-u", os.environ["REDIS_URL"]], input=commands, text=True, check=True, capture_output=True
    )


def forwarded_events():
    pusher_connection.request("GET", "/events")
    return int(pusher_connection.getresponse().read())


class PartCounter:
    """Counts log_parts rows over one psql session, so that polling starts no process and no backend."""

    def __init__(self):
        self.session = subprocess.Popen(
            ["psql", DATABASE_URL, "-XAtq"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
        )

    def query(self, statement):
        self.session.stdin.write(statement + "\n")
        self.session.stdin.flush()
        return int(self.session.stdout.readline())

    def count(self):
        # Until the id sequence has handed out an id per part, not every part can be stored, and
        # reading the sequence costs far less than counting the rows.
        issued = self.query("SELECT last_value FROM log_parts_id_seq;")
        return min(issued, MESSAGES - 1) if issued < MESSAGES else self.query("SELECT count(*) FROM log_parts;")

    def close(self):
        self.session.stdin.close()
        self.session.wait(timeout=10)


part_counter = PartCounter()


def stored_parts():
    return part_counter.count()


# Every process gets the same existence check setting, as in a deployment: the drain forwards only
# the parts of watched jobs while the check is on.
os.environ["TRAVIS_CHANNELS_EXISTENCE_CHECK"] = "false" if WATCHED_PERCENT >= 100 else "true"
pusher, pusher_port = start_pusher()
pusher_connection = http.client.HTTPConnection("127.0.0.1", pusher_port, timeout=10)
# Placeholder credentials: the stand-in checks no signature.
forwarding_environment = dict(
    os.environ,
    TRAVIS_PUSHER_APP_ID="drain-bench",
    TRAVIS_PUSHER_KEY="drain-bench-key",
    TRAVIS_PUSHER_SECRET="drain-bench-secret",
    TRAVIS_PUSHER_HOST="127.0.0.1",
    TRAVIS_PUSHER_PORT=str(pusher_port),
    TRAVIS_PUSHER_SCHEME="http",
)
if WATCHED_PERCENT < 100:
    mark_watched_channels()

started = time.monotonic()
worker = start("worker", "worker", "--queue", "log_parts", "--concurrency", os.environ["CONSUMERS"])
forwarder = start(
    "forwarder",
    "worker",
    "--queue",
    "logs.pusher_forwarding",
    "--concurrency",
    os.environ["CONSUMERS"],
    environment=forwarding_environment,
)
drain = start("drain", "drain")
processes = {"drain": drain, "worker": worker, "forwarder": forwarder}
cpu = {}
stored_seconds = forwarded_seconds = None
try:
    deadline = started + 900
    while stored_seconds is None or forwarded_seconds is None:
        for name, process in processes.items():
            if process.poll() is not None:
                sys.exit(f"{name} exited with status {process.returncode}; see {STATE}/{name}.log")
        if time.monotonic() > deadline:
            sys.exit(
                f"timed out after 900 s: log_parts contains {stored_parts()} of {MESSAGES} parts, "
                f"Pusher received {forwarded_events()} of {expected_events()} events"
            )
        if stored_seconds is None and stored_parts() >= MESSAGES:
            stored_seconds = time.monotonic() - started
            cpu.update(drain=cpu_seconds(drain.pid), worker=cpu_seconds(worker.pid))
            drain_rss = peak_rss_megabytes(drain.pid)
        if forwarded_seconds is None and forwarded_events() >= expected_events():
            forwarded_seconds = time.monotonic() - started
            cpu["forwarder"] = cpu_seconds(forwarder.pid)
            pusher_cpu = cpu_seconds(pusher.pid)
        time.sleep(0.05)
finally:
    for process in processes.values():
        process.terminate()
    for process in processes.values():
        process.wait(timeout=60)
    pusher.stdin.close()
    pusher.wait(timeout=60)
    part_counter.close()


def per_part(seconds):
    return f"{seconds / MESSAGES * 1000:.4f}"


print(
    f"phase=end_to_end parts={MESSAGES} watched_percent={WATCHED_PERCENT} events={expected_events()} "
    f"seconds={stored_seconds:.2f} "
    f"parts_per_second={int(MESSAGES / stored_seconds)} forwarded_seconds={forwarded_seconds:.2f} "
    f"drain_cpu_ms_per_part={per_part(cpu['drain'])} worker_cpu_ms_per_part={per_part(cpu['worker'])} "
    f"forwarder_cpu_ms_per_part={per_part(cpu['forwarder'])} "
    f"total_cpu_ms_per_part={per_part(cpu['drain'] + cpu['worker'])} "
    f"total_with_forwarding_cpu_ms_per_part={per_part(sum(cpu.values()))} drain_peak_rss_mb={drain_rss:.1f} "
    f"pusher_stand_in_cpu_ms_per_part={per_part(pusher_cpu)}"
)

rows = os.path.join(STATE, "log_parts.copy")
columns = "log_id, number, content, final, created_at"
psql("-c", f"\\copy (SELECT {columns} FROM log_parts) TO '{rows}'")
psql("-c", "TRUNCATE log_parts")
copy_started = time.monotonic()
psql("-c", f"\\copy log_parts ({columns}) FROM '{rows}'")
copy_seconds = time.monotonic() - copy_started
print(f"phase=copy parts={MESSAGES} seconds={copy_seconds:.2f} parts_per_second={int(MESSAGES / copy_seconds)}")
