#!/usr/bin/python3
"""bench_memory: the daemon's peak memory for a scoring pass over N customers.

usage: memory_bench.py BUILD_DIR [CUSTOMERS]

One `churnguard run --full` against the HubSpot simulator with the 7,043-customer sample portal
syncs, trains and scores; that store (customers, contacts, tickets, e-mails, texts and the
trained model) is then grown to CUSTOMERS (default 1,000,000) by copying every customer with
their records under new ids, in SQL. `churnguard score` then scores every customer, under GNU
time, and `churnguard train` (which samples model.max_training_customers of them). Printed:
customers scored and peak RSS, at the sample size and at CUSTOMERS, beside the 300 MB target.
Syncing and write-back at that size are not measured here (see scale_bench.py for a full run at
204k).
"""
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
    try:
        cfg = write_config(build, work, sim.port, free_port(), "http://127.0.0.1:9/unused")
        run = subprocess.run([os.path.join(build, "churnguard"), "-c", cfg, "run", "--full"],
                             capture_output=True, text=True)
        if run.returncode != 0:
            raise RuntimeError(f"the first run failed:\n{run.stderr[-3000:]}")
    finally:
        sim.proc.terminate()
        sim.proc.wait()
    db = os.path.join(work, "state", "churnguard.db")
    small_rss, small_s, small_scored = score(build, cfg)
    small = sqlite3.connect(db).execute("SELECT count(*) FROM customers").fetchone()[0]
    t0 = time.monotonic()
    counts = grow(db, target)
    grow_s = time.monotonic() - t0
    big_rss, big_s, scored = score(build, cfg)
    train_rss, train_s, train_out = measured(build, cfg, "train")
    sample = re.search(r"random sample of (\d+) of (\d+) customers", train_out)
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
    if scored != counts["customers"]:
        raise SystemExit(f"only {scored} of {counts['customers']} customers were scored")
    shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
