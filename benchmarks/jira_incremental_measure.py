"""Per-endpoint requests and rows of full vs incremental (standard tick) at a tier."""
import re, sys, tempfile, time
from collections import Counter
from pathlib import Path
sys.path.insert(0, "tests/jira")
from jira_helpers import Warehouse, cloud_settings, dc_settings
from connectors.jira import client as jc
from sandbox.jira.server import start_jira_server
from sandbox.jira.world import generate_jira
from sandbox.portfolio import generate_portfolio

tier = sys.argv[1] if len(sys.argv) > 1 else "XS"
mode = sys.argv[2] if len(sys.argv) > 2 else "cloud"
K = re.compile(r"/\d+(?=/|$)")
def rows_in(body):
    if isinstance(body, list): return len(body)
    if isinstance(body, dict):
        if "issueChangeLogs" in body:
            return sum(len(l.get("changeHistories") or []) for l in body["issueChangeLogs"])
        if isinstance(body.get("issues"), list):
            return len(body["issues"]) + sum(len((i.get("changelog") or {}).get("histories") or []) for i in body["issues"])
        for k in ("values", "comments", "histories"):
            if isinstance(body.get(k), list): return len(body[k])
    return 1
rows, reqs = Counter(), Counter()
g, p = jc.JiraClient.get_json, jc.JiraClient.post_json
def ep(m, path): return f"{m} " + K.sub("/N", re.sub(r"^https?://[^/]+", "", path.split("?")[0]))
def cg(self, path, params=None):
    b = g(self, path, params); e = ep("GET", path); rows[e] += rows_in(b); reqs[e] += 1; return b
def cp(self, path, body):
    b = p(self, path, body); e = ep("POST", path); rows[e] += rows_in(b); reqs[e] += 1; return b
jc.JiraClient.get_json, jc.JiraClient.post_json = cg, cp
t = time.time()
world = generate_jira(generate_portfolio(tier, 42))
print("generated", round(time.time() - t, 1), "s", flush=True)
sb = start_jira_server(world, mode=mode)
st = cloud_settings(sb) if mode == "cloud" else dc_settings(sb)
tmp = Path(tempfile.mkdtemp())
wh = Warehouse(tmp, "m")
t = time.time(); wh.load(st); print("full", round(time.time() - t, 1), "s", flush=True)
fr, fq = rows.copy(), reqs.copy(); rows.clear(); reqs.clear()
print(world.tick(change_fraction=0.01))
t = time.time(); wh.load(st); print("inc", round(time.time() - t, 1), "s")
ir, iq = rows.copy(), reqs.copy()
for e in sorted(set(fq) | set(iq), key=lambda e: -iq.get(e, 0)):
    print(f"{e:55s} req {iq.get(e,0):5d}/{fq.get(e,0):6d} rows {ir.get(e,0):7d}/{fr.get(e,0):8d}")
print(f"REQUESTS {sum(iq.values())}/{sum(fq.values())} = {sum(iq.values())/sum(fq.values()):.1%}  ROWS {sum(ir.values())}/{sum(fr.values())} = {sum(ir.values())/sum(fr.values()):.1%}")
sb.stop()
