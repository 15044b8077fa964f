#!/usr/bin/python3
"""bench_system: the daemon as a whole against the HubSpot simulator, in one run.

usage: system_bench.py BUILD_DIR [TRIALS]

Prints, each beside its baseline:
  write-back   batch-update calls the daemon made vs the fewest HubSpot allows (100 records a
               call), for a first full run, an unchanged re-run and a run after 1% of customers
               got a new ticket; counted by the simulator, not by the daemon
  HTTP         requests/s and p50/p99 latency of /api/v1/plays and /api/v1/dashboard under wrk
               (Debian's), next to a static file served by the same server
  webhook      new ticket in the CRM -> signed webhook -> incremental pass -> fields back in the
               CRM: p50/p99 over TRIALS tickets (default 20), each for a different customer

Standard library only; the daemon, simulator and dashboard come from BUILD_DIR.
"""
import json
import math
import os
import re
import secrets
import shutil
import socket
import ssl
import statistics
import subprocess
import sys
import tempfile
import time
import urllib.request

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))


def free_port():
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def wait_for(what, check, timeout=60.0):
    end = time.monotonic() + timeout
    while time.monotonic() < end:
        try:
            if check():
                return
        except OSError:
            pass
        time.sleep(0.05)
    raise RuntimeError(f"timed out waiting for {what}")


class Sim:
    def __init__(self, build, work, hook, seed=None, search_rate=1000):
        self.work = work
        port_file = os.path.join(work, "sim.port")
        if os.path.exists(port_file):  # a simulator started again in the same folder
            os.remove(port_file)
        self.proc = subprocess.Popen(
            [os.path.join(build, "simulator", "churnguard-hubspot-sim"), "--seed",
             seed or os.path.join(build, "sample", "hubspot-seed.json"), "--port", "0", "--port-file", port_file,
             "--cert-dir", os.path.join(work, "certs"), "--burst", "1000000", "--search-rate", str(search_rate),
             "--webhook-url", hook],
            stdout=open(os.path.join(work, "sim.log"), "w"), stderr=subprocess.STDOUT)
        wait_for("the simulator", lambda: os.path.getsize(port_file) > 0 if os.path.exists(port_file) else False, 300)
        self.port = int(open(port_file).read())
        self.ctx = ssl.create_default_context(cafile=os.path.join(work, "certs", "ca.pem"))

    def call(self, method, path, body=None):
        req = urllib.request.Request(f"https://127.0.0.1:{self.port}{path}", method=method,
                                     data=json.dumps(body).encode() if body is not None else None)
        req.add_header("Authorization", "Bearer " + os.environ["CHURNGUARD_HUBSPOT_TOKEN"])
        req.add_header("Content-Type", "application/json")
        with urllib.request.urlopen(req, context=self.ctx, timeout=30) as r:
            return json.loads(r.read() or b"null")

    def stats(self):
        return self.call("GET", "/__sim/stats")

    def fields(self, company):
        props = self.call("GET", f"/crm/v3/objects/companies/{company}?properties=churnguard_risk_score,"
                                 "churnguard_sentiment,churnguard_risk_reasons,churnguard_risk_tier")["properties"]
        return {k: v for k, v in props.items() if k.startswith("churnguard_")}

    def angry_ticket(self, company):
        self.call("POST", "/crm/v3/objects/tickets", {
            "properties": {"subject": "Outage again", "hs_pipeline_stage": "1",
                           "content": "This is the worst service I have ever had, it broke again and nobody answers."},
            "associations": [{"to": {"id": str(company)},
                              "types": [{"associationCategory": "HUBSPOT_DEFINED", "associationTypeId": 339}]}]})


def write_config(build, work, sim_port, http_port, hook):
    text = open(os.path.join(ROOT, "config", "churnguard.yaml")).read()
    text = (text.replace("https://api.hubapi.com", f"https://127.0.0.1:{sim_port}")
            .replace("state_dir: /var/lib/churnguard", f"state_dir: {work}/state")
            .replace("file: /etc/churnguard/hubspot.token", "env: CHURNGUARD_HUBSPOT_TOKEN")
            .replace("port: 8787", f"port: {http_port}\n  dashboard_dir: {build}/dashboard"))
    text = re.sub(r"model_path: .*", f"model_path: {build}/models/sentiment.ftz", text)
    text = re.sub(r"^  properties: \[\].*$",
                  f"  properties: []\n  ca_file: {work}/certs/ca.pem\n  search_requests_per_second: 500\n"
                  f"  webhook_url: {hook}\n  client_secret: {{env: CHURNGUARD_HUBSPOT_CLIENT_SECRET}}",
                  text, flags=re.M)
    text += "api: {token: {env: CHURNGUARD_API_TOKEN}}\n"
    os.makedirs(f"{work}/state", mode=0o700)
    path = os.path.join(work, "bench.yaml")
    open(path, "w").write(text)
    return path


def batch_calls(stats):
    return stats["calls"].get("POST /crm/v3/objects/companies/batch/update", 0)


def wrk(url, auth):
    cmd = ["wrk", "-t1", "-c4", "-d5s", "--latency", url]
    if auth:
        cmd[1:1] = ["-H", "Authorization: Bearer " + os.environ["CHURNGUARD_API_TOKEN"]]
    out = subprocess.run(cmd, capture_output=True, text=True, check=True).stdout
    rps = float(re.search(r"Requests/sec:\s+([\d.]+)", out).group(1))
    lat = {}
    for pct, val, unit in re.findall(r"^\s+(50|99)%\s+([\d.]+)(us|ms|s)\s*$", out, re.M):
        lat[pct] = float(val) * {"us": 0.001, "ms": 1.0, "s": 1000.0}[unit]
    non2xx = re.search(r"Non-2xx or 3xx responses: (\d+)", out)
    if non2xx:
        raise RuntimeError(f"{url}: {non2xx.group(1)} error responses under wrk")
    return rps, lat["50"], lat["99"]


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "ci"))
    trials = int(sys.argv[2]) if len(sys.argv) > 2 else 20
    if not shutil.which("wrk"):
        sys.exit("bench_system: wrk is missing (apt-get install wrk; scripts/deps installs it)")
    work = tempfile.mkdtemp(prefix="cg-bench-system-")
    os.environ["CHURNGUARD_HUBSPOT_TOKEN"] = "pat-na1-bench-" + secrets.token_hex(12)
    os.environ["CHURNGUARD_HUBSPOT_CLIENT_SECRET"] = secrets.token_hex(16)
    os.environ["CHURNGUARD_API_TOKEN"] = secrets.token_hex(16)
    http_port = free_port()
    hook = f"http://127.0.0.1:{http_port}/webhooks/hubspot"
    sim = Sim(build, work, hook)
    serve = None
    try:
        cfg = write_config(build, work, sim.port, http_port, hook)
        cg = [os.path.join(build, "churnguard"), "-c", cfg]
        log = open(os.path.join(work, "daemon.log"), "w")

        def run(*args):
            subprocess.run(cg + list(args), check=True, stdout=log, stderr=subprocess.STDOUT)

        # 1. Write-back calls against HubSpot's minimum.
        rows = []
        for label, prepare in [("first full run", None), ("re-run, nothing changed", None),
                               ("re-run after 1% of customers got a ticket", "tickets")]:
            if prepare == "tickets":
                for company in range(10002, 10002 + 70):
                    sim.angry_ticket(company)
            before = sim.stats()
            run("run", "--full") if label == "first full run" else run("run")
            after = sim.stats()
            written = after["records_updated"] - before["records_updated"]
            calls = batch_calls(after) - batch_calls(before)
            rows.append((label, written, calls, math.ceil(written / 100), after["total_calls"] - before["total_calls"]))

        # 2. HTTP under wrk, and 3. webhook to fields, against `serve`.
        serve = subprocess.Popen(cg + ["serve"], stdout=log, stderr=subprocess.STDOUT)
        base = f"http://127.0.0.1:{http_port}"

        def metric(name):
            text = urllib.request.urlopen(base + "/metrics", timeout=10).read().decode()
            m = re.search(rf"^{name}(?:{{[^}}]*}})? ([\d.e+]+)$", text, re.M)
            return float(m.group(1)) if m else 0.0

        wait_for("serve's first pass", lambda: metric("churnguard_pipeline_runs_total") >= 1, 300)
        static = next(f for f in ["index.html"] if os.path.exists(os.path.join(build, "dashboard", f)))
        http_rows = [(path, *wrk(base + path, auth)) for path, auth in
                     [("/" + static, False), ("/api/v1/plays", True), ("/api/v1/dashboard", True)]]

        latencies = []
        for i in range(trials):
            company = 10100 + i
            old = sim.fields(company)
            runs = metric("churnguard_webhook_runs_total")
            t0 = time.monotonic()
            sim.angry_ticket(company)
            wait_for(f"company {company}'s fields", lambda: sim.fields(company) != old, 60)
            latencies.append((time.monotonic() - t0) * 1000)
            wait_for("the pass to finish", lambda: metric("churnguard_webhook_runs_total") > runs, 60)
    finally:
        if serve:
            serve.terminate()
            serve.wait()
        sim.proc.terminate()
        sim.proc.wait()

    print("System bench: churnguard against the HubSpot simulator (7,043 sample customers), one run")
    print("\nWrite-back: batch/update calls vs HubSpot's minimum (100 records a call), counted by the simulator")
    print(f"  {'run':<44} {'records':>8} {'calls':>6} {'minimum':>8} {'ratio':>6} {'all API calls':>14}")
    for label, written, calls, minimum, total in rows:
        ratio = f"{calls / minimum:.2f}x" if minimum else ("0 = 0" if calls == 0 else "inf")
        print(f"  {label:<44} {written:>8} {calls:>6} {minimum:>8} {ratio:>6} {total:>14}")
    print("\nHTTP under wrk (1 thread, 4 connections, 5 s each) vs a static file from the same server")
    print(f"  {'path':<22} {'req/s':>9} {'p50 ms':>8} {'p99 ms':>8} {'vs static req/s':>16}")
    static_rps = http_rows[0][1]
    for path, rps, p50, p99 in http_rows:
        print(f"  {path:<22} {rps:>9.0f} {p50:>8.2f} {p99:>8.2f} {rps / static_rps:>15.2f}x")
    q = statistics.quantiles(latencies, n=100, method="inclusive")
    print(f"\nWebhook to field: new ticket -> signed webhook -> incremental pass -> fields in the CRM, "
          f"{len(latencies)} tickets")
    print(f"  p50 {statistics.median(latencies):.0f} ms   p99 {q[98]:.0f} ms   max {max(latencies):.0f} ms")
    if os.environ.get("CG_BENCH_KEEP"):
        print(f"\n(logs kept in {work})")
    else:
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
