"""`pmo-hub sandbox files|up|tick` for real, at tier XS: subprocesses, printed URLs, real clients."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
import tomllib
import xml.etree.ElementTree as ET
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import datetime, timedelta
from pathlib import Path

import msal
import pytest
import requests

from pmo_hub.cli import SANDBOX_TIERS, main
from sandbox.portfolio import DEFAULT_NOW, TIERS, generate_portfolio
from sandbox.world import World

REPO = Path(__file__).resolve().parents[2]
SEED = 11
FINANCE_FILES = {
    "budget_current.csv",
    "budget_original.xlsx",
    "change_log.csv",
    "fx_rates.csv",
    "invoices_2026h1.csv",
    "invoices_2026h2.csv",
    "invoices_expenses.csv",
    "payments.csv",
    "people.csv",
    "projects.csv",
    "purchase_orders.csv",
    "timesheets_2026.csv",
    "vendors.csv",
}
MSPDI_NAMESPACE = "{http://schemas.microsoft.com/project}"
RULE_ID = re.compile(r"^(AP|TS|GV|DEF|CAP)-\d{2}$")
STARTUP_TIMEOUT = 90.0
GRAPH_SCOPE = ["https://graph.microsoft.com/.default"]
# Under `pytest -n 2 --dist loadgroup` the tests of one running `sandbox up` share a worker, in order.
UP_GROUP = pytest.mark.xdist_group("sandbox_up_cli")


def _cli(*args: str, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "pmo_hub.cli", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=timeout,
        env=_env(),
    )


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("PMO_HUB_")}
    # The printed CA file must be enough: no bundle from the environment may help the clients.
    env.pop("REQUESTS_CA_BUNDLE", None)
    env.pop("SSL_CERT_FILE", None)
    return env


# --------------------------------------------------------------------------- sandbox files


def test_sandbox_files_writes_plans_finance_and_manifest(tmp_path: Path) -> None:
    target = tmp_path / "out"
    result = _cli("sandbox", "files", str(target), "--tier", "XS", "--seed", str(SEED))
    assert result.returncode == 0, result.stderr

    expected = World.generate("XS", SEED)
    expected.write_files(tmp_path / "expected")
    plan_names = sorted(plan.file_name for plan in expected.msproject)
    n_msproject = sum("msproject" in p.tools for p in generate_portfolio("XS", SEED).projects)
    assert len(plan_names) == n_msproject > 0
    assert result.stdout.splitlines() == [
        f"msproject: {n_msproject} files",
        f"finance: {len(FINANCE_FILES)} files",
        f"manifest: {target / 'manifest.json'}",
    ]

    assert sorted(p.name for p in (target / "msproject").iterdir()) == plan_names
    for name in plan_names:
        root = ET.parse(target / "msproject" / name).getroot()
        assert root.tag == f"{MSPDI_NAMESPACE}Project"
        assert root.find(f"{MSPDI_NAMESPACE}Tasks") is not None
        # The same seed writes byte-identical files, whoever writes them.
        assert (target / "msproject" / name).read_bytes() == (
            tmp_path / "expected" / "msproject" / name
        ).read_bytes()
    assert {p.name for p in (target / "finance").iterdir()} == FINANCE_FILES
    for name in FINANCE_FILES - {"budget_original.xlsx"}:
        assert (target / "finance" / name).read_bytes() == (
            tmp_path / "expected" / "finance" / name
        ).read_bytes()
    assert (target / "finance" / "invoices_2026h1.csv").read_bytes().startswith(b"Kreditor;")
    assert (target / "finance" / "projects.csv").read_bytes().startswith(b"\xef\xbb\xbf")

    manifest = json.loads((target / "manifest.json").read_text(encoding="utf-8"))
    assert manifest["tier"] == "XS"
    assert manifest["seed"] == SEED
    assert manifest["now"] == DEFAULT_NOW.isoformat()
    assert manifest["faults"] == expected.manifest.to_dict()["faults"]
    faults = manifest["faults"]
    assert {f["system"] for f in faults} == {"finance", "jira", "planner", "msproject"}
    assert all(RULE_ID.match(f["rule_id"]) and f["key"] for f in faults)
    rules = {f["rule_id"] for f in faults}
    # Every family the issue names is planted even at the smallest tier.
    assert {"AP-03", "AP-04", "AP-08", "AP-12", "AP-14", "TS-03", "TS-04", "TS-05"} <= rules
    assert {"GV-01", "GV-04", "GV-05", "GV-10", "DEF-01", "DEF-02", "DEF-03", "DEF-04"} <= rules
    assert len(faults) == len({(f["rule_id"], f["system"], f["key"], f["detail"]) for f in faults})


def test_sandbox_files_rejects_unknown_tier(tmp_path: Path) -> None:
    result = _cli("sandbox", "files", str(tmp_path / "out"), "--tier", "XXL")
    assert result.returncode == 2
    assert "invalid choice: 'XXL'" in result.stderr
    assert "Traceback" not in result.stderr
    assert not (tmp_path / "out").exists()
    # The parser's literal list of tiers follows the generator's.
    assert SANDBOX_TIERS == tuple(TIERS)


def test_sandbox_tick_without_a_running_sandbox_fails_clearly(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    assert main(["sandbox", "tick", "--dir", str(tmp_path)]) == 1
    assert "no running sandbox" in capsys.readouterr().err


# --------------------------------------------------------------------------- sandbox up


@dataclass
class UpProcess:
    process: subprocess.Popen[bytes]
    directory: Path
    stdout_path: Path
    stale_control_url: str

    @property
    def stdout(self) -> str:
        return self.stdout_path.read_text(encoding="utf-8")

    def printed(self, pattern: str) -> str:
        match = re.search(pattern, self.stdout, re.MULTILINE)
        assert match, f"{pattern!r} not in the printed output:\n{self.stdout}"
        return match.group(1)

    @property
    def ca_file(self) -> str:
        return self.printed(r"^CA certificate to trust:\s+(\S+)$")

    @property
    def control_url(self) -> str:
        return json.loads((self.directory / "control.json").read_text(encoding="utf-8"))["url"]


@pytest.fixture(scope="module")
def sandbox_up(tmp_path_factory: pytest.TempPathFactory) -> Iterator[UpProcess]:
    directory = tmp_path_factory.mktemp("sandbox-up")
    # Left by an earlier run that was killed: must not be mistaken for this run's control file.
    stale = "http://127.0.0.1:9"
    (directory / "control.json").write_text(json.dumps({"url": stale}), encoding="utf-8")
    stdout_path = directory.parent / f"{directory.name}.stdout"
    with stdout_path.open("wb") as out:
        process = subprocess.Popen(
            [sys.executable, "-m", "pmo_hub.cli", "sandbox", "up", "--tier", "XS"]
            + ["--seed", str(SEED), "--dir", str(directory)],
            cwd=REPO,
            stdout=out,
            stderr=subprocess.STDOUT,
            env=_env(),
        )
    up = UpProcess(process, directory, stdout_path, stale)
    try:
        deadline = time.monotonic() + STARTUP_TIMEOUT
        while not _ready(up):
            assert process.poll() is None, f"sandbox up exited early:\n{up.stdout}"
            assert time.monotonic() < deadline, f"sandbox up not ready:\n{up.stdout}"
            time.sleep(0.1)
        yield up
    finally:
        if process.poll() is None:
            process.kill()
            process.wait(timeout=10)


def _ready(up: UpProcess) -> bool:
    control = up.directory / "control.json"
    return (
        control.exists()
        and (up.directory / "pmo-hub.sandbox.toml").exists()
        and up.control_url != up.stale_control_url
        and "Press Ctrl-C to stop." in up.stdout
    )


@UP_GROUP
def test_up_prints_urls_and_writes_config(sandbox_up: UpProcess) -> None:
    up = sandbox_up
    config = tomllib.loads((up.directory / "pmo-hub.sandbox.toml").read_text(encoding="utf-8"))
    jira_url = up.printed(r"^Jira \(Cloud, HTTPS\):\s+(https://localhost:\d+)\s")
    authority = up.printed(r"^Microsoft authority:\s+(\S+)$")
    graph_url = up.printed(r"^Microsoft Graph:\s+(\S+)$")
    assert config["hub"]["as_of_date"] == DEFAULT_NOW.date().isoformat()
    jira = config["sources"]["jira"]
    assert (jira["base_url"], jira["email"], jira["verify"], jira["deployment"]) == (
        jira_url,
        up.printed(r"email (\S+)$"),
        up.ca_file,
        "cloud",
    )
    planner = config["sources"]["planner"]
    assert (planner["authority"], planner["graph_url"], planner["verify"]) == (
        authority,
        graph_url,
        up.ca_file,
    )
    assert authority == f"{graph_url.removesuffix('/v1.0')}/{planner['tenant_id']}"
    assert planner["client_id"] == up.printed(r"^Microsoft app client id:\s+(\S+)$")
    assert Path(up.ca_file) == up.directory / "tls" / "sandbox-cert.pem"
    assert config["sources"]["msproject"]["folders"] == [str(up.directory / "files" / "msproject")]
    assert config["sources"]["finance"]["landing_dirs"] == [str(up.directory / "files" / "finance")]
    # Secrets are printed for export, never written to the config file.
    for name in ("PMO_HUB_JIRA_API_TOKEN", "PMO_HUB_PLANNER_CLIENT_SECRET"):
        secret = up.printed(rf"^  export {name}=(\S+)$")
        assert secret not in (up.directory / "pmo-hub.sandbox.toml").read_text(encoding="utf-8")
    assert len(list((up.directory / "files" / "msproject").glob("*.xml"))) > 0
    assert {p.name for p in (up.directory / "files" / "finance").iterdir()} == FINANCE_FILES
    assert up.control_url.startswith("http://127.0.0.1:")


@UP_GROUP
def test_printed_jira_credentials_work(sandbox_up: UpProcess) -> None:
    up = sandbox_up
    url = up.printed(r"^Jira \(Cloud, HTTPS\):\s+(https://localhost:\d+)\s")
    email = up.printed(r"email (\S+)$")
    token = up.printed(r"^  export PMO_HUB_JIRA_API_TOKEN=(\S+)$")
    with requests.Session() as session:
        session.trust_env = False
        me = session.get(
            f"{url}/rest/api/3/myself", auth=(email, token), verify=up.ca_file, timeout=10
        )
        assert me.status_code == 200
        assert me.json()["emailAddress"] == email
        assert me.json()["active"] is True
        projects = session.get(
            f"{url}/rest/api/3/project/search",
            auth=(email, token),
            verify=up.ca_file,
            timeout=10,
        )
        assert projects.status_code == 200
        n_jira = sum("jira" in p.tools for p in generate_portfolio("XS", SEED).projects)
        # One project per Jira project of the portfolio plus the unmapped scratchpad (GV-10).
        assert projects.json()["total"] == n_jira + 1
        wrong = session.get(
            f"{url}/rest/api/3/myself", auth=(email, token + "x"), verify=up.ca_file, timeout=10
        )
        assert wrong.status_code == 401


@UP_GROUP
def test_printed_microsoft_credentials_work_with_msal(sandbox_up: UpProcess) -> None:
    up = sandbox_up
    authority = up.printed(r"^Microsoft authority:\s+(\S+)$")
    graph_url = up.printed(r"^Microsoft Graph:\s+(\S+)$")
    client_id = up.printed(r"^Microsoft app client id:\s+(\S+)$")
    secret = up.printed(r"^  export PMO_HUB_PLANNER_CLIENT_SECRET=(\S+)$")
    with requests.Session() as http:
        http.trust_env = False
        http.verify = up.ca_file
        app = msal.ConfidentialClientApplication(
            client_id,
            client_credential=secret,
            authority=authority,
            http_client=http,
            instance_discovery=False,
        )
        token = app.acquire_token_for_client(scopes=GRAPH_SCOPE)
        assert token.get("token_type") == "Bearer", token
        assert token["token_source"] == "identity_provider"
        users = http.get(
            f"{graph_url}/users",
            headers={"Authorization": f"Bearer {token['access_token']}"},
            timeout=10,
        )
        assert users.status_code == 200
        assert len(users.json()["value"]) == len(generate_portfolio("XS", SEED).people)
        unauthorised = http.get(f"{graph_url}/users", timeout=10)
        assert unauthorised.status_code == 401
        wrong = msal.ConfidentialClientApplication(
            client_id,
            client_credential=secret + "x",
            authority=authority,
            http_client=http,
            instance_discovery=False,
        ).acquire_token_for_client(scopes=GRAPH_SCOPE)
        assert wrong.get("error") == "invalid_client"
        assert "access_token" not in wrong


@UP_GROUP
def test_tick_advances_the_world_clock(sandbox_up: UpProcess) -> None:
    up = sandbox_up
    before = requests.get(f"{up.control_url}/manifest", timeout=10).json()
    assert (before["tier"], before["seed"]) == ("XS", SEED)
    start = datetime.fromisoformat(before["now"])

    result = _cli("sandbox", "tick", "--dir", str(up.directory))
    assert result.returncode == 0, result.stderr
    ticked = json.loads(result.stdout)
    assert datetime.fromisoformat(ticked["now"]) == start + timedelta(days=1)
    assert ticked["ticks"] == before["ticks"] + 1

    result = _cli("sandbox", "tick", "--dir", str(up.directory), "--days", "2")
    assert result.returncode == 0, result.stderr
    assert json.loads(result.stdout)["ticks"] == before["ticks"] + 3

    after = requests.get(f"{up.control_url}/manifest", timeout=10).json()
    assert datetime.fromisoformat(after["now"]) == start + timedelta(days=3)
    assert after["ticks"] == before["ticks"] + 3
    # The tick rewrote the file sources and their manifest too.
    written = json.loads((up.directory / "files" / "manifest.json").read_text(encoding="utf-8"))
    assert written["now"] == after["now"]
    assert written["faults"] == after["faults"]


@UP_GROUP
def test_tick_drifts_jira_custom_fields(sandbox_up: UpProcess) -> None:
    up = sandbox_up
    config = tomllib.loads((up.directory / "pmo-hub.sandbox.toml").read_text(encoding="utf-8"))
    assert config["sources"]["jira"]["field_roles"]["finance_code"] == "Project Code"
    result = _cli(
        "sandbox", "tick", "--dir", str(up.directory),
        "--add-field", "Vendor:select",
        "--rename-field", "Cost Center=Cost Centre",
        "--retype-field", "Risk Probability=number",
        "--remove-field", "Affected Regions",
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    drift = json.loads(result.stdout)["jira_drift"]
    assert [(d["op"], d.get("name") or d.get("to")) for d in drift] == [
        ("add", "Vendor"),
        ("rename", "Cost Centre"),
        ("retype", "number"),
        ("remove", "Affected Regions"),
    ]
    url = up.printed(r"^Jira \(Cloud, HTTPS\):\s+(https://localhost:\d+)\s")
    auth = (up.printed(r"email (\S+)$"), up.printed(r"^  export PMO_HUB_JIRA_API_TOKEN=(\S+)$"))
    with requests.Session() as session:
        session.trust_env = False
        fields = session.get(f"{url}/rest/api/3/field", auth=auth, verify=up.ca_file, timeout=10)
    names = {f["name"]: f["schema"] for f in fields.json() if f["custom"]}
    assert "Vendor" in names and "Cost Centre" in names and "Affected Regions" not in names
    assert names["Risk Probability"]["type"] == "number"


@UP_GROUP
def test_sigterm_stops_the_sandbox_cleanly(sandbox_up: UpProcess) -> None:
    # Keep this test last in the module: it ends the shared process.
    up = sandbox_up
    jira_url = up.printed(r"^Jira \(Cloud, HTTPS\):\s+(https://localhost:\d+)\s")
    up.process.send_signal(signal.SIGTERM)
    assert up.process.wait(timeout=30) == 0
    assert "Traceback" not in up.stdout
    assert not (up.directory / "control.json").exists()
    with pytest.raises(requests.ConnectionError):
        requests.get(f"{jira_url}/rest/api/3/serverInfo", verify=up.ca_file, timeout=5)
    result = _cli("sandbox", "tick", "--dir", str(up.directory))
    assert result.returncode == 1
    assert "no running sandbox" in result.stderr
