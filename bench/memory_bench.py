#!/usr/bin/python3
"""bench_memory: the daemon's peak memory with N customers in its store.

usage: memory_bench.py BUILD_DIR [CUSTOMERS]

One `churnguard run --full` against the HubSpot simulator with the 7,043-customer sample portal
(and a retention play) syncs, trains, scores, enrols and writes back; that store (customers,
contacts, tickets, e-mails, texts, scores, the trained model) is then grown to CUSTOMERS (default
1,000,000) by copying every customer with their records under new ids, in SQL. Measured, under
GNU time: `churnguard score` (every customer) and `churnguard train` (a sample of
model.max_training_customers); then the daemon itself, `churnguard serve`, through one scheduled
pass (pull, sentiment, score, plays, write-back planning and flush of every customer) and then the
dashboard, status page and plays API, its peak RSS read from /proc (VmHWM) before it is stopped.
The simulator holds only the sample's 7,043 companies, so the copies' writes come back as
HubSpot's per-record "not found" (207) and are recorded as failed: the planning, sending and
recording are all done, which is what costs memory. Syncing a portal that size is not measured
here (see scale_bench.py for a full run at 204k).
"""
import contextlib
import math
import os
import re
import secrets
import sqlite3
import subprocess
import sys
import tempfile
import shutil
import time
import urllib.request

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_bench import Sim, free_port, write_config  # noqa: E402


def measured(build, cfg, *args):
    """Runs a churnguard command under GNU time: (peak RSS in MB, seconds, stdout)."""
    t0 = time.monotonic()
    run = subprocess.run(["/usr/bin/time", "-v", os.path.join(build, "churnguard"), "-c", cfg, *args],
                         capture_output=True, text=True)
    seconds = time.monotonic() - t0
    if run.returncode != 0:
        raise RuntimeError(f"churnguard {' '.join(args)} failed:\n{run.stdout}\n{run.stderr[-3000:]}")
    rss_kb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1))
    return rss_kb / 1024, seconds, run.stdout


def score(build, cfg):
    rss, seconds, out = measured(build, cfg, "score")
    return rss, seconds, int(re.search(r"scored (\d+) customers", out).group(1))


PLAY = """plays:
  - id: save-offer
    kind: offer
    when: {tiers: [high, critical]}
    offer: {text: "15% off renewal", value: 10}
    create_task: false
"""


def serve_pass(build, cfg, http_port):
    """`churnguard serve` through its first scheduled pass and the dashboard: (peak RSS MB, the
    pass's log line, seconds to the end of the pass)."""
    log = open(os.path.join(os.path.dirname(cfg), "serve.log"), "w")
    t0 = time.monotonic()
    proc = subprocess.Popen([os.path.join(build, "churnguard"), "-c", cfg, "serve"], stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{http_port}"

    def get(path):
        req = urllib.request.Request(base + path)
        req.add_header("Authorization", "Bearer " + os.environ["CHURNGUARD_API_TOKEN"])
        with urllib.request.urlopen(req, timeout=1800) as r:
            return r.read().decode()

    try:
        while True:
            if proc.poll() is not None:
                raise RuntimeError("churnguard serve exited:\n" + open(log.name).read()[-3000:])
            try:
                runs = re.search(r"^churnguard_pipeline_runs_total (\d+)", get("/metrics"), re.M)
                if runs and int(runs.group(1)) >= 1:
                    break
            except OSError:
                pass
            time.sleep(2)
        seconds = time.monotonic() - t0
        dashboard = get("/api/v1/dashboard")
        if '"customers"' not in dashboard:
            raise RuntimeError("the dashboard answered without its data")
        get("/status")
        get("/api/v1/plays")
        status = open(f"/proc/{proc.pid}/status").read()
        peak_kb = int(re.search(r"VmHWM:\s+(\d+) kB", status).group(1))
    finally:
        proc.terminate()
        proc.wait()
    text = open(log.name).read()
    if "scheduled pass: scored" not in text:
        raise RuntimeError("the scheduled pass failed:\n" + "\n".join(l for l in text.splitlines() if "error" in l)[-3000:])
    line = [l for l in text.splitlines() if "scheduled pass: scored" in l][-1]
    return peak_kb / 1024, line[line.index("scheduled pass"):], seconds


def grow(db_path, target):
    """Copies every customer (with contacts, activities and texts) under new ids until the store
    holds `target` customers."""
    db = sqlite3.connect(db_path)
    base = db.execute("SELECT count(*) FROM customers").fetchone()[0]
    copies = math.ceil(target / base) - 1
    # Texts are copied by customer; an index for that (the daemon reads texts by activity) keeps
    # the copy linear. It is dropped afterwards.
    db.execute("CREATE INDEX bench_texts_customer ON texts(customer_id)")
    for k in range(1, copies + 1):
        s = f"'~{k}'"
        limit = min(base, target - base * k)
        db.execute("BEGIN")
        db.execute(f"CREATE TEMP TABLE pick AS SELECT id FROM customers WHERE instr(id, '~') = 0 ORDER BY id LIMIT {limit}")
        db.execute(f"INSERT INTO customers(id, name, properties, crm_fields, modified_ms, archived) "
                   f"SELECT c.id || {s}, c.name, c.properties, c.crm_fields, c.modified_ms, c.archived "
                   f"FROM customers c JOIN pick p ON p.id = c.id")
        db.execute(f"INSERT INTO contacts(id, customer_id, properties, modified_ms, email_delivered, email_opened) "
                   f"SELECT t.id || {s}, t.customer_id || {s}, t.properties, t.modified_ms, t.email_delivered, "
                   f"t.email_opened FROM contacts t JOIN pick p ON p.id = t.customer_id")
        db.execute(f"INSERT INTO activities(id, kind, customer_id, occurred_ms, closed_ms, properties, modified_ms, value) "
                   f"SELECT a.id || {s}, a.kind, a.customer_id || {s}, a.occurred_ms, a.closed_ms, a.properties, "
                   f"a.modified_ms, a.value FROM activities a JOIN pick p ON p.id = a.customer_id")
        db.execute(f"INSERT INTO texts(id, activity_id, customer_id, body, sentiment, sentiment_model) "
                   f"SELECT x.id || {s}, x.activity_id || {s}, x.customer_id || {s}, x.body, x.sentiment, "
                   f"x.sentiment_model FROM texts x JOIN pick p ON p.id = x.customer_id")
        db.execute("DROP TABLE pick")
        db.execute("COMMIT")
    db.execute("DROP INDEX bench_texts_customer")
    counts = {t: db.execute(f"SELECT count(*) FROM {t}").fetchone()[0]
              for t in ("customers", "contacts", "activities", "texts")}
    db.close()
    return counts


def main():
    build = os.path.abspath(sys.argv[1])
    target = int(sys.argv[2]) if len(sys.argv) > 2 else 1_000_000
    work = tempfile.mkdtemp(prefix="cg-bench-memory-")
    os.environ["CHURNGUARD_HUBSPOT_TOKEN"] = "pat-na1-memory-" + secrets.token_hex(12)
    os.environ["CHURNGUARD_HUBSPOT_CLIENT_SECRET"] = secrets.token_hex(16)
    os.environ["CHURNGUARD_API_TOKEN"] = secrets.token_hex(16)
    sim = Sim(build, work, "http://127.0.0.1:9/unused")
    http_port = free_port()
    try:
        cfg = write_config(build, work, sim.port, http_port, "http://127.0.0.1:9/unused")
        open(cfg, "a").write(PLAY)
        run = subprocess.run([os.path.join(build, "churnguard"), "-c", cfg, "run", "--full"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"the first run failed:\n{run.stderr[-3000:]}")
    finally:
        sim.proc.terminate()
        sim.proc.wait()
    db = os.path.join(work, "state", "churnguard.db")
    small_rss, small_s, small_scored = score(build, cfg)
    with contextlib.closing(sqlite3.connect(db)) as con:
        small = con.execute("SELECT count(*) FROM customers").fetchone()[0]
    t0 = time.monotonic()
    counts = grow(db, target)
    grow_s = time.monotonic() - t0
    big_rss, big_s, scored = score(build, cfg)
    train_rss, train_s, train_out = measured(build, cfg, "train")
    sample = re.search(r"random sample of (\d+) of (\d+) customers", train_out)
    # The daemon: a simulator again (on a new port), then `serve` through one scheduled pass.
    old_port = sim.port
    sim = Sim(build, work, "http://127.0.0.1:9/unused")
    text = open(cfg).read().replace(f"https://127.0.0.1:{old_port}", f"https://127.0.0.1:{sim.port}")
    open(cfg, "w").write(text)
    try:
        serve_rss, serve_line, serve_s = serve_pass(build, cfg, http_port)
    finally:
        sim.proc.terminate()
        sim.proc.wait()
    size_mb = os.path.getsize(db) / 1e6
    print(f"Memory: `churnguard score` (every customer: features, calibrated score, SHAP reasons, saved) "
          f"under GNU time; store grown in SQL in {grow_s:.0f} s to {counts['customers']:,} customers, "
          f"{counts['contacts']:,} contacts, {counts['activities']:,} activities, {counts['texts']:,} texts "
          f"({size_mb:,.0f} MB)")
    print(f"  {'customers':>12} {'scored':>12} {'peak RSS MB':>12} {'seconds':>9} {'target MB':>10}")
    print(f"  {small:>12,} {small_scored:>12,} {small_rss:>12.0f} {small_s:>9.1f} {'':>10}")
    print(f"  {counts['customers']:>12,} {scored:>12,} {big_rss:>12.0f} {big_s:>9.1f} {300:>10}")
    print(f"  peak RSS at {counts['customers']:,} customers: {big_rss:.0f} MB "
          f"({'within' if big_rss <= 300 else 'over'} the 300 MB target)")
    print(f"  `churnguard train` at {counts['customers']:,} customers: peak RSS {train_rss:.0f} MB, {train_s:.0f} s "
          f"({'on a sample of ' + sample.group(1) if sample else 'on every customer'}; model.max_training_customers)")
    print(f"  `churnguard serve` at {counts['customers']:,} customers, one scheduled pass ({serve_s:.0f} s) and the "
          f"dashboard: peak RSS {serve_rss:.0f} MB ({'within' if serve_rss <= 300 else 'over'} the 300 MB target)")
    print(f"    {serve_line}")
    if scored != counts["customers"]:
        raise SystemExit(f"only {scored} of {counts['customers']} customers were scored")
    if not os.environ.get("CG_BENCH_KEEP"):  # keep the store and logs to look into
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
