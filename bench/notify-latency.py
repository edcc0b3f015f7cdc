#!/usr/bin/env python3
"""Driver for bench/notify-latency: a webhook receiver on loopback and the senders.

  notify-latency.py RECEIVER_PORT VIGIL_URL ROUTING_KEY N OFFSET
  notify-latency.py RECEIVER_PORT ALERTMANAGER_URL --alertmanager N OFFSET

Incident i (0 <= i < 2N) uses PagerDuty dedup key lat-(OFFSET+i) and heartbeat check hb(OFFSET+i), whose ping key is
notify-bench-hb-(OFFSET+i): a warm-up run takes an OFFSET past the measured run's.

For each source, N incidents are triggered one at a time (the next after the previous notification arrived) and then
N at once (32 senders), and the time from sending the trigger to the webhook request reaching the receiver is taken
per incident (matched by the incident's dedup key in the body):
  - pagerduty: POST /v2/enqueue with a new dedup key (a new incident each time);
  - heartbeat: GET /ping/KEY/fail, which is a failing check result at once (the check has alert: { after: 1 });
    at most 250 each way, since Vigil takes 600 pings a minute from one address.
One at a time, each trigger is sent by a new curl process, as ../shared/bench/run-alertmanager-latency.sh does, so
both sides pay the same client cost; the burst uses a Python HTTP client. Prints p50/p90/p99/max per series.

With --alertmanager, the same two series (one at a time by curl, then N at once) are taken against Alertmanager:
POST /api/v2/alerts with a new `instance` label each time (a new group, sent at once with group_wait: 0s) to the
same receiver, matched by that label: the same method, client and sink as Vigil's series, so the p99s compare.
"""
import http.client
import http.server
import json
import multiprocessing
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor

port, vigil, routing_key, n, offset = int(sys.argv[1]), sys.argv[2].rstrip("/"), sys.argv[3], int(sys.argv[4]), int(sys.argv[5])
host, vport = vigil.split("//")[1].split(":")
arrived = {}
cond = threading.Condition()


class Receiver(http.server.BaseHTTPRequestHandler):
    protocol_version = "HTTP/1.1"  # keep-alive, as real receivers do

    def log_message(self, *args):
        pass

    def do_POST(self):
        body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
        now = time.time()
        try:
            doc = json.loads(body)
            key = doc["incident"]["dedup_key"] if "incident" in doc else "am/" + doc["alerts"][0]["labels"]["instance"]
        except (ValueError, KeyError, IndexError, TypeError):
            key = None
        self.send_response(200)
        self.send_header("Content-Length", "0")
        self.end_headers()
        if key:
            self.server.arrivals.put((key, now))


class Server(http.server.ThreadingHTTPServer):
    # The default listen backlog (5) refuses connections when Vigil delivers a burst side by side.
    request_queue_size = 256


def receive(port, arrivals, ready):
    """The webhook receiver, in a process of its own: sharing the senders' interpreter lock, it was measured answering
    a burst's webhooks slower than the system under test sent them, on either side."""
    server = Server(("127.0.0.1", port), Receiver)
    server.arrivals = arrivals
    ready.set()
    server.serve_forever()


def collect(arrivals):
    while True:
        item = arrivals.get()
        if item is None:
            return
        key, at = item
        with cond:
            arrived.setdefault(key, at)
            cond.notify_all()


arrivals = multiprocessing.Queue()
ready = multiprocessing.Event()
receiver = multiprocessing.Process(target=receive, args=(port, arrivals, ready), daemon=True)
receiver.start()
ready.wait(10)
threading.Thread(target=collect, args=(arrivals,), daemon=True).start()


def stop():
    receiver.terminate()
    receiver.join()


def wait_for(keys, timeout):
    end = time.time() + timeout
    with cond:
        while not all(k in arrived for k in keys):
            left = end - time.time()
            if left <= 0:
                return False
            cond.wait(left)
    return True


def pagerduty(dedup):
    return ("POST", "/v2/enqueue", json.dumps({"routing_key": routing_key, "event_action": "trigger", "dedup_key": dedup,
                                               "payload": {"summary": "latency probe", "source": "bench", "severity": "critical"}}))


def curl(method, path, body):
    args = ["curl", "-s", "-o", "/dev/null", "-X", method, f"{vigil}{path}"]
    if body:
        args += ["-H", "Content-Type: application/json", "-d", body]
    subprocess.run(args, check=True)


def client(method, path, body):
    c = http.client.HTTPConnection(host, int(vport), timeout=30)
    c.request(method, path, body=body, headers={"Content-Type": "application/json"} if body else {})
    r = c.getresponse()
    r.read()
    c.close()
    if r.status >= 300:
        raise RuntimeError(f"{method} {path}: HTTP {r.status}")


def series(name, requests, n):
    """requests: 2n (incident dedup key, (method, path, body)): n one at a time, n at once."""
    lat = []
    missing = 0
    for key, req in requests[:n]:
        t0 = time.time()
        curl(*req)
        if wait_for([key], 10):
            lat.append(arrived[key] - t0)
        else:
            missing += 1
        time.sleep(0.01)
    report(f"{name}, one at a time", lat, missing)
    burst = requests[n:2 * n]
    sent = {}

    def send(item):
        key, req = item
        sent[key] = time.time()
        client(*req)

    with ThreadPoolExecutor(32) as pool:
        list(pool.map(send, burst))
    wait_for([k for k, _ in burst], 60)
    lat = [arrived[k] - sent[k] for k, _ in burst if k in arrived]
    report(f"{name}, {len(burst)} at once", lat, len(burst) - len(lat))


def report(name, lat, missing):
    lat.sort()
    if not lat:
        print(f"{name}: no notification arrived")
        return
    q = lambda p: lat[min(len(lat) - 1, int(len(lat) * p))] * 1000
    print(f"{name}: n={len(lat)} p50={q(0.5):.1f} ms p90={q(0.9):.1f} ms p99={q(0.99):.1f} ms max={lat[-1] * 1000:.1f} ms"
          + (f", {missing} never arrived" if missing else ""), flush=True)


ids = range(offset, offset + 2 * n)
if routing_key == "--alertmanager":
    series("alertmanager alert -> webhook", [(f"am/lat-{i}", ("POST", "/api/v2/alerts", json.dumps([{"labels": {"alertname": "Lat", "instance": f"lat-{i}"}}])))
                                             for i in ids], n)
    stop()
    sys.exit(0)
series("pagerduty trigger -> webhook", [(f"pd/lat-{i}", pagerduty(f"lat-{i}")) for i in ids], n)
# The ping endpoints take 600 pings a minute from one address (then 429): at most 250 + 250 here.
series("heartbeat fail -> webhook", [(f"beats/hb{i}", ("GET", f"/ping/notify-bench-hb-{i}/fail", None)) for i in ids], min(n, 250))
stop()
