"""Runs the whole service on real PostgreSQL, Redis, RabbitMQ, S3 and a Pusher stand-in, drives it
over AMQP and HTTP, and prints throughput, live latency, memory and CPU next to floors measured in
the same run.

Run by script/bench/system, which starts the services, deploys db/, builds the release binaries and
sets BIN, STATE, DATABASE_URL, REDIS_URL, RABBITMQ_URL, the TRAVIS_S3_* variables and the sizes
(see that script). Uses boto3 from the interpreter of script/services/python-oracles.

Phases, one after another on one set of processes (web, drain, the Procfile's three workers and
sweeper):

  redis        redis-benchmark PING and LPUSH, once
  rounds       ROUNDS times, each on a new range of AMQP_JOBS jobs:
    floors     psql `\\copy` of rows like the AMQP phase's into log_parts, and a bare AMQP consume
               loop (SystemBenchmark consume-floor), with the other processes idle and the drain
               stopped
    amqp       a backlog of AMQP_JOBS jobs x AMQP_PARTS parts published before the drain starts,
               timed from the drain's start until every part is a log_parts row or its log is
               aggregated
    archive    the same logs from their first aggregation until every one is archived and purged
  http         `travis-logs send` for HTTP_JOBS files, SEND_PROCESSES at a time
  latency      LATENCY_JOBS jobs at LATENCY_RATE parts/s, watched on GET /logs/:job_id/stream and
               on the Pusher stand-in; latency is arrival time minus the time written into the part
  check        every log archived and purged, and every archive holding each part exactly once

The AMQP target is judged on the median over the rounds of each round's end-to-end rate divided
by the floor measured right before it, because that ratio moved between 66% and 83% over five
single-round runs on this machine.
Every SQL statement goes through one psql session, so that watching progress costs the measured
services almost nothing.
"""

import base64
import http.client
import json
import os
import re
import signal
import statistics
import subprocess
import sys
import threading
import time
import urllib.parse
import uuid

import boto3
from botocore.config import Config

BIN = os.environ["BIN"]
STATE = os.environ["STATE"]
DATABASE_URL = os.environ["DATABASE_URL"]
REDIS_URL = os.environ["REDIS_URL"]
AMQP_JOBS = int(os.environ["AMQP_JOBS"])
AMQP_PARTS = int(os.environ["AMQP_PARTS"])
ROUNDS = int(os.environ["ROUNDS"])
HTTP_JOBS = int(os.environ["HTTP_JOBS"])
HTTP_LOG_BYTES = int(os.environ["HTTP_LOG_BYTES"])
SEND_PROCESSES = int(os.environ["SEND_PROCESSES"])
LATENCY_JOBS = int(os.environ["LATENCY_JOBS"])
LATENCY_PARTS = int(os.environ["LATENCY_PARTS"])
LATENCY_RATE = int(os.environ["LATENCY_RATE"])
WATCHED_JOBS = min(int(os.environ["WATCHED_JOBS"]), LATENCY_JOBS)
PUBLISHERS = 4
# The drain's defaults (TRAVIS_LOGS_DRAIN_CONSUMER_COUNT and TRAVIS_LOGS_DRAIN_PREFETCH), which the
# consume floor copies.
DRAIN_CONSUMERS = 10
DRAIN_PREFETCH = 200
# travis-logs send cuts a file into parts of at most this many bytes, as workers do.
SEND_PART_BYTES = 1653
PHASE_TIMEOUT_SECONDS = 600
TICKS = os.sysconf("SC_CLK_TCK")

AMQP_FIRST_JOB = 1_000_001
HTTP_FIRST_JOB = 2_000_001
LATENCY_FIRST_JOB = 3_000_001


def procfile_concurrency(name):
    """Returns the worker concurrency that the Procfile uses for process type worker_NAME."""
    variable = f"TRAVIS_LOGS_WORKER_{name.upper()}_CONCURRENCY"
    if variable in os.environ:
        return os.environ[variable]
    with open(os.path.join(os.path.dirname(__file__), "..", "..", "Procfile")) as procfile:
        return re.search(r"\$\{" + variable + r":-(\d+)\}", procfile.read()).group(1)


# The Procfile's process types, with its default worker concurrency unless its variables are set.
CONCURRENCY = {name: procfile_concurrency(name) for name in ("critical", "high", "low")}
ROLES = {
    "web": ["web"],
    "drain": ["drain"],
    "worker_critical": ["worker", "--concurrency", CONCURRENCY["critical"], "--queue", "logs.pusher_forwarding,1"],
    "worker_high": ["worker", "--concurrency", CONCURRENCY["high"], "--queue", "aggregate,1", "--queue", "log_parts,1"],
    "worker_low": [
        "worker", "--concurrency", CONCURRENCY["low"], "--queue", "archive,1", "--queue", "maintenance,1",
        "--queue", "purge_log,1", "--queue", "timing_info,1",
    ],
    "sweeper": ["sweeper"],
}

# worker_critical serves its metrics here, so the latency phase can read how long forwarding jobs
# waited in Redis (travis_logs_queue_latency_seconds) apart from the rest of the path.
CRITICAL_METRICS_PORT = None

load_averages = []


def note_load():
    with open("/proc/loadavg") as loadavg:
        load_averages.append(float(loadavg.read().split()[0]))


def report(line):
    print(line, flush=True)


def fail(message):
    sys.exit(f"system benchmark failed: {message}; process logs are in {STATE}")


class SQLSession:
    """One psql session for every statement of the run.

    Polling with a new psql process and backend each time took CPU from the measured services, so
    every statement goes through this one session. After each statement the
    session echoes a marker, which ends the statement's output; anything psql writes to its
    standard error meanwhile fails the run.
    """

    MARKER = "-- end of statement --"

    def __init__(self):
        path = os.path.join(STATE, "psql-session.log")
        with open(path, "a") as error_log:
            self.session = subprocess.Popen(
                ["psql", DATABASE_URL, "-XAtq"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=error_log,
                text=True,
            )
        self.errors = open(path)
        self.lock = threading.Lock()

    def run(self, statement):
        with self.lock:
            error_offset = self.errors.seek(0, os.SEEK_END)
            self.session.stdin.write(f"{statement}\n\\echo '{self.MARKER}'\n")
            self.session.stdin.flush()
            lines = []
            while True:
                line = self.session.stdout.readline()
                if not line:
                    fail(f"the psql session ended while running: {statement[:80]}")
                if line.rstrip("\n") == self.MARKER:
                    break
                lines.append(line)
            self.errors.seek(error_offset)
            error = self.errors.read().strip()
            if error:
                fail(f"psql: {error} (statement: {statement[:80]})")
            return "".join(lines).strip()

    def close(self):
        self.session.stdin.close()
        self.session.wait(timeout=10)


SESSION = None


def sql(query):
    return SESSION.run(query.rstrip(";") + ";")


def wait_until(what, condition, timeout=PHASE_TIMEOUT_SECONDS, processes=None, interval=0.1):
    deadline = time.monotonic() + timeout
    while True:
        if condition():
            return time.monotonic()
        for name, process in (processes or {}).items():
            if process.poll() is not None:
                fail(f"{name} exited with status {process.returncode} while waiting for {what}")
        if time.monotonic() > deadline:
            fail(f"timed out after {timeout} s waiting for {what}")
        time.sleep(interval)


def percentile(values, fraction):
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, int(fraction * len(ordered)))]


# MARK: - Process statistics


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


def cpu_snapshot(processes):
    return {name: cpu_seconds(process.pid) for name, process in processes.items() if process.poll() is None}


def cpu_delta(before, after):
    return {name: after[name] - before.get(name, 0.0) for name in after}


# MARK: - Processes


def process_environment(port, token, public_key, pusher_port):
    environment = {key: value for key, value in os.environ.items() if not key.startswith("TRAVIS_")}
    environment.update({
        "AUTH_TOKEN": token, "JWT_RSA_PUBLIC_KEY": public_key, "PORT": str(port), "BIND_ADDRESS": "127.0.0.1",
        "TRAVIS_LOGS_ARCHIVE": "true", "TRAVIS_LOGS_PURGE": "true", "TRAVIS_LOGS_INTERVALS_PURGE": "0",
        "TRAVIS_S3_ENDPOINT": os.environ["TRAVIS_S3_ENDPOINT"],
        "TRAVIS_S3_ACCESS_KEY_ID": os.environ["TRAVIS_S3_ACCESS_KEY_ID"],
        "TRAVIS_S3_SECRET_ACCESS_KEY": os.environ["TRAVIS_S3_SECRET_ACCESS_KEY"],
        "TRAVIS_S3_REGION": os.environ.get("TRAVIS_S3_REGION", "us-east-1"),
        "TRAVIS_LOG_OPTIONS_S3_BUCKET": os.environ["TRAVIS_LOG_OPTIONS_S3_BUCKET"],
        "TRAVIS_PUSHER_APP_ID": "4242", "TRAVIS_PUSHER_KEY": "test-key", "TRAVIS_PUSHER_SECRET": "test-secret",
        "TRAVIS_PUSHER_HOST": "127.0.0.1", "TRAVIS_PUSHER_PORT": str(pusher_port), "TRAVIS_PUSHER_SCHEME": "http",
    })
    return environment


def start_role(name, environment):
    log = open(os.path.join(STATE, f"{name}.log"), "w")
    arguments = ROLES[name]
    if name == "worker_critical":
        arguments = arguments + ["--metrics-port", str(CRITICAL_METRICS_PORT)]
    return subprocess.Popen(
        [os.path.join(BIN, "travis-logs"), *arguments], stdout=log, stderr=log, env=environment
    )


FORWARDING_HISTOGRAMS = ("travis_logs_queue_latency_seconds", "travis_logs_job_duration_seconds")


def forwarding_buckets():
    """Returns worker_critical's cumulative counts by upper bound of each of FORWARDING_HISTOGRAMS,
    for the logs.pusher_forwarding queue: how long jobs waited in Redis and how long they ran."""
    connection = http.client.HTTPConnection("127.0.0.1", CRITICAL_METRICS_PORT, timeout=10)
    connection.request("GET", "/metrics")
    text = connection.getresponse().read().decode()
    connection.close()
    histograms = {name: {} for name in FORWARDING_HISTOGRAMS}
    for line in text.splitlines():
        name = line.split("_bucket{", 1)[0]
        if name not in histograms or 'queue="logs.pusher_forwarding"' not in line:
            continue
        bound = re.search(r'le="([^"]+)"', line).group(1)
        histograms[name][float("inf") if bound == "+Inf" else float(bound)] = float(line.rsplit(" ", 1)[1])
    return histograms


def bucket_percentile(before, after, fraction):
    """Returns the upper bound of the bucket that contains the given fraction of the waits between two readings."""
    counts = sorted((bound, after.get(bound, 0) - before.get(bound, 0)) for bound in after)
    if not counts or counts[-1][1] == 0:
        return None
    for bound, count in counts:
        if count >= fraction * counts[-1][1]:
            return bound
    return counts[-1][0]


def stop_processes(processes):
    for process in processes.values():
        if process.poll() is None:
            process.send_signal(signal.SIGTERM)
    for name, process in processes.items():
        try:
            process.wait(timeout=60)
        except subprocess.TimeoutExpired:
            print(f"{name} did not stop within 60 s of SIGTERM; killing it", file=sys.stderr)
            process.kill()
            process.wait()


def free_port():
    import socket

    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def make_key_pair():
    private_key = os.path.join(STATE, "jwt.pem")
    subprocess.run(
        ["openssl", "genpkey", "-algorithm", "RSA", "-pkeyopt", "rsa_keygen_bits:2048", "-out", private_key],
        check=True, capture_output=True,
    )
    public_key = subprocess.run(
        ["openssl", "pkey", "-in", private_key, "-pubout"], check=True, capture_output=True, text=True
    ).stdout
    return private_key, public_key


def benchmark_tool(*arguments):
    result = subprocess.run(
        [os.path.join(BIN, "SystemBenchmark"), *map(str, arguments)], capture_output=True, text=True
    )
    if result.returncode != 0:
        fail(f"SystemBenchmark {arguments[0]} exited with status {result.returncode}: {result.stderr.strip()}")
    return result.stdout.strip()


def fields(line):
    return dict(field.split("=", 1) for field in line.split())


# MARK: - Floors


def throughput_part_text(job, number):
    return f"\x1b[32mjob {job} part {number} {'x' * 60}\x1b[0m\r\n"


def copy_floor(rows):
    """Times one psql `\\copy` of `rows` throughput parts into log_parts, then empties the table."""
    path = os.path.join(STATE, "log_parts.copy")
    with open(path, "w") as file:
        for index in range(rows):
            job = index % AMQP_JOBS
            number = 1 + index // AMQP_JOBS
            # COPY's text format escapes backslashes and the control characters it uses itself.
            text = throughput_part_text(job, number).replace("\r", "\\r").replace("\n", "\\n")
            file.write(f"{1 + job}\t{number}\t{text}\tf\t2026-12-04 12:00:00\n")
    columns = "log_id, number, content, final, created_at"
    started = time.monotonic()
    SESSION.run(f"\\copy log_parts ({columns}) FROM '{path}'")
    seconds = time.monotonic() - started
    sql("TRUNCATE log_parts")
    os.remove(path)
    return {"parts": rows, "seconds": seconds, "parts_per_second": rows / seconds}


def redis_floor():
    address = urllib.parse.urlparse(REDIS_URL)
    output = subprocess.run(
        ["redis-benchmark", "-h", address.hostname, "-p", str(address.port), "--dbnum", "15",
         "-n", "100000", "-c", "10", "-t", "ping,lpush", "-q"],
        check=True, capture_output=True, text=True,
    ).stdout
    subprocess.run(["redis-cli", "-u", REDIS_URL.rsplit("/", 1)[0] + "/15", "FLUSHDB"], check=True,
                   capture_output=True)
    rates = {}
    for line in output.replace("\r", "\n").splitlines():
        match = re.match(r"(PING_INLINE|PING_MBULK|LPUSH): ([\d.]+) requests per second", line.strip())
        if match:
            rates[match.group(1)] = float(match.group(2))
    return rates


# MARK: - Progress in the database


def parts_done(first_job, job_count, parts_per_job):
    """Parts of the jobs that are log_parts rows, plus all parts of the jobs already aggregated."""
    last_job = first_job + job_count - 1
    return int(sql(
        f"SELECT (SELECT count(*) FROM log_parts p JOIN logs l ON l.id = p.log_id "
        f"WHERE l.job_id BETWEEN {first_job} AND {last_job} AND l.aggregated_at IS NULL) "
        f"+ {parts_per_job} * (SELECT count(*) FROM logs WHERE job_id BETWEEN {first_job} AND {last_job} "
        f"AND aggregated_at IS NOT NULL)"
    ))


def purged_logs(first_job, job_count):
    return int(sql(
        f"SELECT count(*) FROM logs WHERE job_id BETWEEN {first_job} AND {first_job + job_count - 1} "
        f"AND purged_at IS NOT NULL"
    ))


def archive_span(first_job, job_count):
    """Seconds from the first aggregation to the last aggregation and to the last purge."""
    row = sql(
        f"SELECT extract(epoch FROM max(aggregated_at) - min(aggregated_at)), "
        f"extract(epoch FROM max(purged_at) - min(aggregated_at)) "
        f"FROM logs WHERE job_id BETWEEN {first_job} AND {first_job + job_count - 1}"
    )
    aggregated, purged = row.split("|")
    return float(aggregated), float(purged)


# MARK: - Phases


def issued_part_ids():
    """Ids the log_parts id sequence has handed out, one per inserted row, committed or not."""
    return int(sql("SELECT CASE WHEN is_called THEN last_value ELSE last_value - 1 END FROM log_parts_id_seq"))


def amqp_phase(processes, environment, first_job):
    """Publishes the backlog, starts the drain and times it until every part is stored.

    Until the id sequence has handed out an id per part, some part cannot be a row yet. Reading
    the sequence costs the database next to nothing, so the phase counts rows and aggregated
    logs, which scans log_parts, only after that.
    """
    publish = fields(benchmark_tool("publish", first_job, AMQP_JOBS, AMQP_PARTS, PUBLISHERS))
    total = AMQP_JOBS * AMQP_PARTS
    ids_before = issued_part_ids()
    before = cpu_snapshot(processes)
    started = time.monotonic()
    processes["drain"] = start_role("drain", environment)
    before["drain"] = 0.0

    def stored():
        return issued_part_ids() - ids_before >= total and parts_done(first_job, AMQP_JOBS, AMQP_PARTS) >= total

    finished = wait_until(f"{total} AMQP parts in log_parts", stored, processes=processes, interval=0.02)
    note_load()
    seconds = finished - started
    cpu = cpu_delta(before, cpu_snapshot(processes))
    return {"parts": total, "seconds": seconds, "parts_per_second": total / seconds, "cpu": cpu,
            "publish_parts_per_second": float(publish["parts_per_second"])}


def archive_phase(processes, first_job, job_count):
    # No client watches these jobs, so with the channel existence check on, the drain queues no
    # logs.pusher_forwarding job for them. The latency phase measures live forwarding.
    wait_until(f"{job_count} logs purged", lambda: purged_logs(first_job, job_count) >= job_count, processes=processes)
    note_load()
    aggregated_seconds, purged_seconds = archive_span(first_job, job_count)
    return {"logs": job_count, "aggregated_seconds": aggregated_seconds, "purged_seconds": purged_seconds}


def stop_drain(processes, drain_totals):
    """Stops the drain between rounds, keeping its CPU seconds and peak RSS for the report."""
    drain = processes.pop("drain")
    drain_totals["rss"] = max(drain_totals["rss"], peak_rss_megabytes(drain.pid))
    drain_totals["cpu"] += cpu_seconds(drain.pid)
    stop_processes({"drain": drain})


def amqp_round(number, processes, environment):
    """Measures the floors, then runs the AMQP and archive phases on a new range of jobs."""
    report(f"== round {number}: floors")
    floors = measure_floors()
    first_job = AMQP_FIRST_JOB + (number - 1) * AMQP_JOBS
    report(f"== round {number}: AMQP phase")
    amqp = amqp_phase(processes, environment, first_job)
    report(f"== round {number}: archive phase")
    archive = archive_phase(processes, first_job, AMQP_JOBS)
    return {"floors": floors, "amqp": amqp, "archive": archive}


def http_log(job):
    """Returns a log of about HTTP_LOG_BYTES in numbered lines of about 100 bytes."""
    lines = []
    size = 0
    number = 1
    while size < HTTP_LOG_BYTES:
        line = f"\x1b[33mjob {job} line {number} {'y' * 60}\x1b[0m\r\n"
        lines.append(line)
        size += len(line.encode())
        number += 1
    return "".join(lines).encode()


def http_phase(processes, web_url, token):
    files = {}
    for index in range(HTTP_JOBS):
        job = HTTP_FIRST_JOB + index
        path = os.path.join(STATE, f"http-{job}.log")
        with open(path, "wb") as file:
            file.write(http_log(job))
        files[job] = path

    parts_per_job = -(-len(http_log(HTTP_FIRST_JOB)) // SEND_PART_BYTES) + 1
    total = HTTP_JOBS * parts_per_job

    before = cpu_snapshot(processes)
    send_cpu = 0.0
    started = time.monotonic()
    pending = list(files.items())
    running = {}
    while pending or running:
        while pending and len(running) < SEND_PROCESSES:
            job, path = pending.pop(0)
            running[job] = subprocess.Popen(
                [os.path.join(BIN, "travis-logs"), "send", path, "--job-id", str(job), "--url", web_url,
                 "--token", token],
                stdout=subprocess.DEVNULL, stderr=open(os.path.join(STATE, f"send-{job}.log"), "w"),
            )
        for job, process in list(running.items()):
            pid, status, usage = os.wait4(process.pid, os.WNOHANG)
            if pid == 0:
                continue
            process.returncode = os.waitstatus_to_exitcode(status)
            del running[job]
            send_cpu += usage.ru_utime + usage.ru_stime
            if process.returncode != 0:
                fail(f"travis-logs send of job {job} exited with status {process.returncode}")
        time.sleep(0.05)

    finished = wait_until(
        f"{total} HTTP parts in log_parts", lambda: parts_done(HTTP_FIRST_JOB, HTTP_JOBS, parts_per_job) >= total,
        processes=processes,
    )
    note_load()
    seconds = finished - started
    return {"parts": total, "parts_per_job": parts_per_job, "seconds": seconds, "parts_per_second": total / seconds,
            "cpu": cpu_delta(before, cpu_snapshot(processes)), "send_cpu": send_cpu, "files": files}


class StreamWatcher(threading.Thread):
    """Reads GET /logs/:job_id/stream and records each part event's number and latency."""

    def __init__(self, port, token, job):
        super().__init__(daemon=True)
        self.job = job
        self.numbers = []
        self.latencies = []
        self.ended = False
        self.error = None
        self.connection = http.client.HTTPConnection("127.0.0.1", port, timeout=300)
        self.connection.request("GET", f"/logs/{job}/stream", headers={"Authorization": f"token {token}"})
        self.response = self.connection.getresponse()
        if self.response.status != 200:
            fail(f"GET /logs/{job}/stream returned {self.response.status}")

    def run(self):
        try:
            event = None
            for raw in self.response:
                line = raw.decode().rstrip("\r\n")
                if line.startswith("event:"):
                    event = line.split(":", 1)[1].strip()
                    if event == "end":
                        self.ended = True
                        return
                elif line.startswith("data:") and event == "part":
                    arrived = time.time()
                    data = json.loads(line.split(":", 1)[1])
                    self.numbers.append(data["number"])
                    sent = re.search(r"sent_at=([\d.]+)", data.get("_log", ""))
                    if sent:
                        self.latencies.append((float(sent.group(1)), arrived - float(sent.group(1))))
        except Exception as error:  # recorded and reported by the phase
            self.error = error
        finally:
            self.connection.close()


def queued_jobs():
    """Jobs waiting in the Redis queues that the workers run, without the scheduled ones."""
    return sum(queue_length(queue) for queue in ("logs.pusher_forwarding", "log_parts", "aggregate", "archive",
                                                 "purge_log"))


def queue_length(queue):
    reply = subprocess.run(["redis-cli", "-u", REDIS_URL, "LLEN", f"queue:{queue}"], check=True, capture_output=True,
                           text=True).stdout
    return int(reply.strip() or 0)


def wait_for_empty_queues(processes):
    """Waits until the earlier phases' jobs ran, so the latency phase starts on idle workers."""
    started = time.monotonic()
    wait_until("the job queues to empty", lambda: queued_jobs() == 0, processes=processes)
    return time.monotonic() - started


def broker_queue_length():
    """Messages in the drain's queue, from the RabbitMQ management API of script/services/rabbitmq."""
    address = urllib.parse.urlparse(os.environ["RABBITMQ_URL"])
    vhost = urllib.parse.quote(urllib.parse.unquote(address.path[1:]), safe="")
    connection = http.client.HTTPConnection("127.0.0.1", int(os.environ["RABBITMQ_MANAGEMENT_PORT"]), timeout=10)
    credentials = base64.b64encode(f"{address.username}:{address.password}".encode()).decode()
    connection.request("GET", f"/api/queues/{vhost}/reporting.jobs.logs", headers={"Authorization": f"Basic {credentials}"})
    queue = json.loads(connection.getresponse().read())
    connection.close()
    return queue.get("messages_ready", 0) or 0


class BacklogSampler(threading.Thread):
    """Records the largest backlog in front of the drain (RabbitMQ) and of worker_critical (Redis)."""

    def __init__(self):
        super().__init__(daemon=True)
        self.broker = 0
        self.forwarding = 0
        self.running = True

    def run(self):
        while self.running:
            try:
                self.broker = max(self.broker, broker_queue_length())
                self.forwarding = max(self.forwarding, queue_length("logs.pusher_forwarding"))
            except (OSError, ValueError, subprocess.CalledProcessError):
                pass
            time.sleep(0.5)


def latency_phase(processes, port, token, pusher_port):
    watched = [LATENCY_FIRST_JOB + index for index in range(WATCHED_JOBS)]
    # The Pusher events go out only for occupied channels, which Pusher's existence webhook marks.
    for job in watched:
        subprocess.run(["redis-cli", "-u", REDIS_URL, "SET", f"logs:channel-occupied:job-{job}", "1", "PX",
                        "21600000"], check=True, capture_output=True)
    watchers = [StreamWatcher(port, token, job) for job in watched]
    for watcher in watchers:
        watcher.start()

    before = cpu_snapshot(processes)
    forwarding_before = forwarding_buckets()
    sampler = BacklogSampler()
    sampler.start()
    publish = fields(benchmark_tool("paced", LATENCY_FIRST_JOB, LATENCY_JOBS, LATENCY_PARTS, LATENCY_RATE))
    note_load()
    cpu = cpu_delta(before, cpu_snapshot(processes))
    for watcher in watchers:
        watcher.join(timeout=120)
    sampler.running = False
    forwarding_after = forwarding_buckets()
    forwarding = {
        name: {fraction: bucket_percentile(forwarding_before[name], forwarding_after[name], fraction)
               for fraction in (0.5, 0.99)}
        for name in FORWARDING_HISTOGRAMS
    }

    stream = []
    problems = []
    out_of_order = []
    expected = list(range(1, LATENCY_PARTS + 1))
    for watcher in watchers:
        stream.extend(watcher.latencies)
        if watcher.error or not watcher.ended:
            problems.append(f"stream of job {watcher.job} did not end: {watcher.error or 'no end event'}")
        elif sorted(watcher.numbers) != expected:
            problems.append(f"stream of job {watcher.job} delivered parts {summarize(watcher.numbers)}")
        elif watcher.numbers != expected:
            out_of_order.append(watcher.job)
    pusher, pusher_numbers = pusher_events(pusher_port, watched)
    # The Pusher requests of the last parts may still be on their way when the streams end.
    deadline = time.monotonic() + 60
    while any(sorted(numbers) != expected for numbers in pusher_numbers.values()) and time.monotonic() < deadline:
        time.sleep(0.5)
        pusher, pusher_numbers = pusher_events(pusher_port, watched)

    for job, numbers in pusher_numbers.items():
        if sorted(numbers) != expected:
            problems.append(f"Pusher events of job {job} carried parts {summarize(sorted(numbers))}")
    return {"stream": stream, "pusher": pusher, "problems": problems, "out_of_order": out_of_order, "cpu": cpu,
            "broker_backlog": sampler.broker, "forwarding_backlog": sampler.forwarding,
            "forwarding": forwarding,
            "rate": float(publish["parts_per_second"])}


def pusher_events(pusher_port, watched):
    """Returns the latencies of the Pusher stand-in's events and the part numbers it received per watched job."""
    latencies = []
    numbers = {job: [] for job in watched}
    connection = http.client.HTTPConnection("127.0.0.1", pusher_port, timeout=60)
    connection.request("GET", "/_received")
    for request in json.loads(connection.getresponse().read()):
        body = request["body"]
        for event in body.get("batch", [body]):
            data = json.loads(event["data"])
            if data["id"] in numbers:
                numbers[data["id"]].append(data["number"])
            sent = re.search(r"sent_at=([\d.]+)", data.get("_log", ""))
            if sent:
                latencies.append((float(sent.group(1)), request["received_at"] - float(sent.group(1))))
    connection.close()
    return latencies, numbers


def summarize(numbers):
    if not numbers:
        return "none"
    duplicates = len(numbers) - len(set(numbers))
    return f"{len(numbers)} events, {len(set(numbers))} distinct, {duplicates} repeated, {numbers[:5]}..."


# MARK: - Final check


def s3_client():
    return boto3.client(
        "s3", endpoint_url=os.environ["TRAVIS_S3_ENDPOINT"],
        aws_access_key_id=os.environ["TRAVIS_S3_ACCESS_KEY_ID"],
        aws_secret_access_key=os.environ["TRAVIS_S3_SECRET_ACCESS_KEY"],
        region_name=os.environ.get("TRAVIS_S3_REGION", "us-east-1"),
        config=Config(s3={"addressing_style": "path"}),
    )


def check_parts(text, job, parts_per_job):
    """Returns a problem when the archived lines are not parts 1 to parts_per_job - 1 of the job in order."""
    numbers = []
    for line in text.splitlines():
        match = re.search(r"job (\d+) part (\d+)", line)
        if not match or int(match.group(1)) != job:
            return f"job {job}: unexpected line {line[:60]!r}"
        numbers.append(int(match.group(2)))
    if numbers != list(range(1, parts_per_job)):
        return f"job {job}: archive holds parts {summarize(numbers)}"
    return None


def final_check(processes, http_files, http_parts_per_job):
    jobs = ROUNDS * AMQP_JOBS + HTTP_JOBS + LATENCY_JOBS
    wait_until(
        f"all {jobs} logs purged",
        lambda: int(sql("SELECT count(*) FROM logs WHERE purged_at IS NOT NULL")) >= jobs,
        processes=processes,
    )
    problems = []
    row_count = int(sql("SELECT count(*) FROM logs"))
    if row_count != jobs:
        problems.append(f"logs contains {row_count} rows for {jobs} jobs")
    leftover = int(sql("SELECT count(*) FROM log_parts"))
    if leftover:
        problems.append(f"log_parts still contains {leftover} rows after every log was purged")
    unverified = int(sql("SELECT count(*) FROM logs WHERE archive_verified IS NOT TRUE OR content IS NOT NULL"))
    if unverified:
        problems.append(f"{unverified} logs are purged without a verified archive or still contain content")
    s3 = s3_client()
    bucket = os.environ["TRAVIS_LOG_OPTIONS_S3_BUCKET"]

    def archived(job):
        return s3.get_object(Bucket=bucket, Key=f"jobs/{job}/log.txt")["Body"].read()

    for index in range(ROUNDS * AMQP_JOBS):
        job = AMQP_FIRST_JOB + index
        problem = check_parts(archived(job).decode(), job, AMQP_PARTS)
        if problem:
            problems.append(problem)
    for index in range(LATENCY_JOBS):
        job = LATENCY_FIRST_JOB + index
        problem = check_parts(archived(job).decode(), job, LATENCY_PARTS)
        if problem:
            problems.append(problem)
    for job, path in http_files.items():
        with open(path, "rb") as file:
            if archived(job) != file.read():
                problems.append(f"job {job}: archive differs from the file sent over HTTP")
    return problems


# MARK: - Output


def floor_of(floors):
    """Returns the broker-and-database floor of one round: the slower of consume and COPY, in parts/s."""
    return min(floors["copy"]["parts_per_second"], floors["consume"]["parts_per_second"])


def print_rounds(rounds, redis):
    """Prints each round's floors and AMQP results, and returns the median ratio to the floor and the median rate."""
    report("")
    report("== AMQP rounds: floors and end to end, measured one after another in each round")
    report(f"floors: raw COPY (psql \\copy of {AMQP_JOBS * AMQP_PARTS} rows into log_parts in one session) and a "
           f"bare AMQP consume-and-acknowledge loop ({DRAIN_CONSUMERS} consumers, prefetch {DRAIN_PREFETCH}); the "
           f"broker-and-database floor is the slower of the two")
    report(f"end to end: {AMQP_JOBS} concurrent jobs x {AMQP_PARTS} parts of about 100 bytes, from the drain's start "
           f"until every part is a log_parts row or aggregated")
    report(f"{'round':<6} {'COPY/s':>9} {'consume/s':>10} {'AMQP/s':>8} {'/ floor':>8} "
           f"{'aggregated logs/s':>18} {'archived logs/s':>16} {'published/s':>12}")
    ratios = []
    for number, result in enumerate(rounds, start=1):
        floors, amqp, archive = result["floors"], result["amqp"], result["archive"]
        floor_rate = floor_of(floors)
        ratios.append(amqp["parts_per_second"] / floor_rate)
        report(f"{number:<6} {floors['copy']['parts_per_second']:>9,.0f} {floors['consume']['parts_per_second']:>10,.0f} "
               f"{amqp['parts_per_second']:>8,.0f} {ratios[-1]:>8.0%} "
               f"{archive['logs'] / max(archive['aggregated_seconds'], 0.001):>18,.1f} "
               f"{archive['logs'] / max(archive['purged_seconds'], 0.001):>16,.1f} "
               f"{amqp['publish_parts_per_second']:>12,.0f}")
    median_floor = statistics.median(floor_of(result["floors"]) for result in rounds)
    median_amqp = statistics.median(result["amqp"]["parts_per_second"] for result in rounds)
    report(f"median over {len(rounds)} rounds: floor {median_floor:,.0f} parts/s, AMQP end to end "
           f"{median_amqp:,.0f} parts/s, AMQP / floor {statistics.median(ratios):.0%} (each round: "
           f"{', '.join(f'{ratio:.0%}' for ratio in ratios)})")
    report("redis-benchmark, 10 clients: " + ", ".join(f"{name} {rate:,.0f}/s" for name, rate in redis.items()))
    return statistics.median(ratios), median_amqp


def print_throughput(http, backlog_seconds):
    report("")
    report("== HTTP")
    report(f"end to end over HTTP (travis-logs send --token, one PUT per part, {HTTP_JOBS} jobs x "
           f"{http['parts_per_job']} parts of up to {SEND_PART_BYTES} bytes, {SEND_PROCESSES} senders, until every "
           f"part is a log_parts row or aggregated): {http['parts_per_second']:,.0f} parts/s ({http['seconds']:.1f} s, "
           f"senders used {http['send_cpu']:.1f} CPU s)")
    report(f"jobs still queued after the HTTP phase (mostly logs.pusher_forwarding) ran for another "
           f"{backlog_seconds:.1f} s")


def print_latency(latency):
    report("")
    report(f"== live latency at {latency['rate']:,.0f} parts/s ({LATENCY_JOBS} jobs, {WATCHED_JOBS} watched)")
    for name in ("stream", "pusher"):
        values = [value for _, value in sorted(latency[name])]
        label = "GET /logs/:job_id/stream" if name == "stream" else "Pusher endpoint"
        if not values:
            report(f"{label}: no events received")
            continue
        # A latency that grows from the first tenth of the parts to the last means a stage fell behind.
        tenth = max(1, len(values) // 10)
        report(f"{label}: p50 {percentile(values, 0.5) * 1000:.1f} ms, p99 {percentile(values, 0.99) * 1000:.1f} ms, "
               f"max {max(values) * 1000:.1f} ms over {len(values)} parts; p50 of the first tenth sent "
               f"{percentile(values[:tenth], 0.5) * 1000:.1f} ms, of the last tenth "
               f"{percentile(values[-tenth:], 0.5) * 1000:.1f} ms")
    report(f"largest backlog during the latency phase, sampled every 0.5 s: {latency['broker_backlog']} messages in "
           f"RabbitMQ before the drain, {latency['forwarding_backlog']} logs.pusher_forwarding jobs in Redis")
    # The queue wait runs from the drain's push until worker_critical takes the job, and the run
    # from then until the job sent its parts to Pusher and the stream. The rest of the latency comes
    # from the broker and the drain before them, and from Redis pub/sub and web after them.
    for name, label in zip(FORWARDING_HISTOGRAMS, ("queue wait", "run time")):
        bounds = latency["forwarding"][name]
        if bounds[0.5] is not None:
            report(f"logs.pusher_forwarding job {label} (worker_critical's histogram, bucket upper bounds): p50 at "
                   f"most {bounds[0.5] * 1000:.0f} ms, p99 at most {bounds[0.99] * 1000:.0f} ms")
    print_slow_parts(latency)


def clock_time(seconds):
    """Returns a Unix time as the local time of day with milliseconds, as Redis writes it in its log."""
    return time.strftime("%H:%M:%S", time.localtime(seconds)) + f".{int(seconds % 1 * 1000):03d}"


def print_slow_parts(latency):
    """Prints when the parts that took 100 ms or more were sent, next to Redis's persistence events.

    Redis appends every write to its append-only file and, by default, rewrites that file in a
    forked child once it has doubled since the last rewrite, so a stall of the whole path can come
    from there.
    """
    slow = sorted(sent for name in ("stream", "pusher") for sent, value in latency[name] if value >= 0.1)
    if not slow:
        report("parts that took 100 ms or more: none")
        return
    report(f"parts that took 100 ms or more: {len(slow)}, sent between {clock_time(slow[0])} and "
           f"{clock_time(slow[-1])}")
    redis_log = os.path.join(STATE, "redis", "redis.log")
    if not os.path.exists(redis_log):
        return
    with open(redis_log, errors="replace") as log:
        events = [line.strip() for line in log if re.search(r"rewrit|fsync|fork", line, re.IGNORECASE)]
    report(f"Redis persistence events in its log ({len(events)}, the last 5 shown):")
    for line in events[-5:]:
        report(f"  {line}")


def print_processes(processes, all_cpu, rounds, http, latency):
    amqp_cpu = {}
    for result in rounds:
        for name, seconds in result["amqp"]["cpu"].items():
            amqp_cpu[name] = amqp_cpu.get(name, 0.0) + seconds
    amqp_parts = sum(result["amqp"]["parts"] for result in rounds)
    report("")
    report("== processes (peak RSS is VmHWM; CPU seconds over the whole run and per phase, the AMQP phases added up; "
           "the drain restarts for each round)")
    report("worker concurrency: " + ", ".join(f"{name} {value}" for name, value in CONCURRENCY.items()))
    report(f"{'process':<16} {'peak RSS MB':>11} {'CPU s':>7} {'amqp':>7} {'http':>7} {'latency':>8}")
    for name, process in processes.items():
        report(f"{name:<16} {process['rss']:>11.1f} {all_cpu.get(name, 0):>7.1f} {amqp_cpu.get(name, 0):>7.1f} "
               f"{http['cpu'].get(name, 0):>7.1f} {latency['cpu'].get(name, 0):>8.1f}")
    report(f"CPU per AMQP part, all travis-logs processes: {sum(amqp_cpu.values()) / amqp_parts * 1000:.3f} ms")


def print_targets(ratio, amqp_rate, latency, processes, problems):
    """Prints each target as met or missed and returns whether no part was lost or repeated."""
    report("")
    report("== targets")
    report(f"AMQP end to end / broker-and-database floor, median of the rounds: {ratio:.0%} (target at least 80%): "
           f"{'met' if ratio >= 0.8 else 'missed'}")
    low, high = amqp_rate / 1600, amqp_rate / 1300
    report(f"AMQP end to end (median) / the original's 1,300 to 1,600 parts/s: {low:.1f} to {high:.1f} times "
           f"(target at least 5 times): {'met' if low >= 5 else 'missed'}")

    p99s = [percentile([value for _, value in latency[name]], 0.99) for name in ("stream", "pusher") if latency[name]]
    worst = max(p99s) * 1000 if p99s else float("inf")
    report(f"live p99 at {latency['rate']:,.0f} parts/s, the slower of stream and Pusher: {worst:.1f} ms "
           f"(target under 100 ms): {'met' if worst < 100 else 'missed'}")
    largest = max(processes.items(), key=lambda item: item[1]["rss"])
    report(f"largest peak RSS: {largest[0]} {largest[1]['rss']:.1f} MB (target every process under 100 MB): "
           f"{'met' if largest[1]['rss'] < 100 else 'missed'}")

    all_problems = problems + latency["problems"]
    report(f"lost or repeated parts: {'none' if not all_problems else len(all_problems)}")
    for problem in all_problems[:20]:
        report(f"  {problem}")
    if latency["out_of_order"]:
        report(f"streams that delivered every part once but out of order: {len(latency['out_of_order'])} of "
               f"{WATCHED_JOBS} (jobs {', '.join(map(str, latency['out_of_order'][:5]))})")
    report(f"load average (1 min) during the run: {min(load_averages):.1f} to {max(load_averages):.1f}")
    return not all_problems


def measure_floors():
    floors = {
        "copy": copy_floor(AMQP_JOBS * AMQP_PARTS),
        "consume": fields(benchmark_tool("consume-floor", AMQP_JOBS * AMQP_PARTS, DRAIN_CONSUMERS, DRAIN_PREFETCH)),
    }
    floors["consume"] = {key: float(value) for key, value in floors["consume"].items() if key != "phase"}
    note_load()
    return floors


def main():
    global SESSION, CRITICAL_METRICS_PORT
    SESSION = SQLSession()
    note_load()
    token = "bench-" + uuid.uuid4().hex
    _, public_key = make_key_pair()
    report("== measuring the Redis floor")
    redis = redis_floor()

    pusher = subprocess.Popen(
        [os.path.join(BIN, "SystemBenchmark"), "pusher"], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    pusher_port = int(pusher.stdout.readline())
    port = free_port()
    CRITICAL_METRICS_PORT = free_port()
    environment = process_environment(port, token, public_key, pusher_port)
    processes = {name: start_role(name, environment) for name in ROLES if name != "drain"}
    drain_totals = {"rss": 0.0, "cpu": 0.0}
    try:
        def web_answers():
            try:
                connection = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
                connection.request("GET", "/uptime")
                return connection.getresponse().status == 200
            except OSError:
                return False

        wait_until("web to answer GET /uptime", web_answers, timeout=60, processes=processes)
        rounds = []
        for number in range(1, ROUNDS + 1):
            if "drain" in processes:
                stop_drain(processes, drain_totals)
            rounds.append(amqp_round(number, processes, environment))
            report(f"== round {number}: waiting for the job queues to empty")
            wait_for_empty_queues(processes)
        report("== HTTP phase")
        http_result = http_phase(processes, f"http://127.0.0.1:{port}", token)
        report("== waiting for the job queues to empty")
        backlog_seconds = wait_for_empty_queues(processes)
        report("== latency phase")
        latency = latency_phase(processes, port, token, pusher_port)
        report("== final check")
        problems = final_check(processes, http_result["files"], http_result["parts_per_job"])
        all_cpu = cpu_snapshot(processes)
        all_cpu["drain"] += drain_totals["cpu"]
        statistics_by_process = {name: {"rss": peak_rss_megabytes(process.pid)} for name, process in processes.items()}
        statistics_by_process["drain"]["rss"] = max(statistics_by_process["drain"]["rss"], drain_totals["rss"])
    finally:
        stop_processes(processes)
        pusher.stdin.close()
        pusher.wait(timeout=30)
        SESSION.close()
    ratio, amqp_rate = print_rounds(rounds, redis)
    print_throughput(http_result, backlog_seconds)
    print_latency(latency)
    print_processes(statistics_by_process, all_cpu, rounds, http_result, latency)
    passed = print_targets(ratio, amqp_rate, latency, statistics_by_process, problems)
    sys.exit(0 if passed else 1)


if __name__ == "__main__":
    main()
