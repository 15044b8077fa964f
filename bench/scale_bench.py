#!/usr/bin/python3
"""bench_scale: a full run against a large simulated HubSpot portal.

usage: scale_bench.py BUILD_DIR [COPIES]

The sample Telco portal repeated COPIES times (default 29: 204,247 companies with their tickets,
e-mails and contacts) is served by the simulator, which enforces HubSpot's 10,000-result cap on
every search. One `churnguard run --full` syncs, scores and writes back everything. Printed:
records in the CRM vs records in the store (nothing may be missing: the cap must not truncate),
search calls vs the fewest pages the cap allows, write calls vs HubSpot's minimum, time, and the
daemon's peak RSS (GNU time). The simulator's search limit is lifted (and the daemon's pacing with
it) so that the run measures ChurnGuard, not HubSpot's 5 searches a second.
"""
import json
import math
import os
import re
import secrets
import shutil
import sqlite3
import subprocess
import sys
import tempfile
import time

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
from system_bench import ROOT, Sim  # noqa: E402


def main():
    build = os.path.abspath(sys.argv[1] if len(sys.argv) > 1 else os.path.join(ROOT, "build", "ci"))
    copies = int(sys.argv[2]) if len(sys.argv) > 2 else 29
    work = tempfile.mkdtemp(prefix="cg-bench-scale-")
    os.environ["CHURNGUARD_HUBSPOT_TOKEN"] = "pat-na1-scale-" + secrets.token_hex(12)
    os.environ["CHURNGUARD_HUBSPOT_CLIENT_SECRET"] = secrets.token_hex(16)
    seed = os.path.join(work, "seed.json")
    subprocess.run([os.path.join(build, "simulator", "churnguard-seedgen"), "--copies", str(copies),
                    os.path.join(ROOT, "data", "telco", "Telco-Customer-Churn.csv"),
                    os.path.join(ROOT, "data", "sentiment", "uci", "amazon_cells_labelled.txt"), seed],
                   check=True, capture_output=True)
    with open(seed) as f:
        data = json.load(f)
    expected = {"companies": len(data["companies"]), "tickets": len(data["tickets"]),
                "emails": len(data["emails"]), "contacts": len(data["contacts"])}
    del data
    sim = Sim(build, work, "http://127.0.0.1:9/unused", seed=seed, search_rate=100000)
    try:
        text = open(os.path.join(ROOT, "config", "churnguard.yaml")).read()
        text = (text.replace("https://api.hubapi.com", f"https://127.0.0.1:{sim.port}")
                .replace("state_dir: /var/lib/churnguard", f"state_dir: {work}/state")
                .replace("file: /etc/churnguard/hubspot.token", "env: CHURNGUARD_HUBSPOT_TOKEN"))
        text = re.sub(r"model_path: .*", f"model_path: {build}/models/sentiment.ftz", text)
        text = re.sub(r"^  properties: \[\].*$", f"  properties: []\n  ca_file: {work}/certs/ca.pem\n"
                      "  search_requests_per_second: 10000", text, flags=re.M)
        os.makedirs(f"{work}/state", mode=0o700)
        cfg = os.path.join(work, "scale.yaml")
        open(cfg, "w").write(text)
        t0 = time.monotonic()
        run = subprocess.run(["/usr/bin/time", "-v", os.path.join(build, "churnguard"), "-c", cfg, "run", "--full"],
                             capture_output=True, text=True)
        seconds = time.monotonic() - t0
        if run.returncode != 0:
            sys.exit(f"bench_scale: run failed:\n{run.stderr[-3000:]}")
        rss_mb = int(re.search(r"Maximum resident set size \(kbytes\): (\d+)", run.stderr).group(1)) / 1024
        stats = sim.stats()
    finally:
        sim.proc.terminate()
        sim.proc.wait()
    db = sqlite3.connect(os.path.join(work, "state", "churnguard.db"))
    stored = {
        "companies": db.execute("SELECT count(*) FROM customers WHERE archived = 0").fetchone()[0],
        "tickets": db.execute("SELECT count(*) FROM activities WHERE kind = 'ticket'").fetchone()[0],
        "emails": db.execute("SELECT count(*) FROM activities WHERE kind IN ('email_in', 'email_out')").fetchone()[0],
        "contacts": db.execute("SELECT count(*) FROM contacts").fetchone()[0],
    }
    scored = db.execute("SELECT count(DISTINCT customer_id) FROM scores").fetchone()[0]
    calls = stats["calls"]
    print(f"Scale: the sample portal x{copies} in the HubSpot simulator (10,000-result search cap enforced), "
          "one `churnguard run --full`")
    print(f"  {'object':<10} {'in CRM':>9} {'stored':>9} {'missing':>8} {'search calls':>13} {'fewest pages':>13}")
    missing_any = False
    for obj in ("companies", "tickets", "emails", "contacts"):
        searches = calls.get(f"POST /crm/v3/objects/{obj}/search", 0)
        missing = expected[obj] - stored[obj]
        missing_any |= missing != 0
        print(f"  {obj:<10} {expected[obj]:>9} {stored[obj]:>9} {missing:>8} {searches:>13} {math.ceil(expected[obj] / 200):>13}")
    writes = calls.get("POST /crm/v3/objects/companies/batch/update", 0)
    print(f"  scored {scored} customers; wrote {stats['records_updated']} records in {writes} batch calls "
          f"(minimum {math.ceil(stats['records_updated'] / 100)})")
    print(f"  {seconds:.0f} s in all; daemon peak RSS {rss_mb:.0f} MB; {stats['total_calls']} API calls")
    shutil.rmtree(work, ignore_errors=True)
    if missing_any:
        sys.exit("bench_scale: records are missing from the store")


if __name__ == "__main__":
    main()
