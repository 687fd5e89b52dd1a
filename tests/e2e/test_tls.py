"""The deployment an IT team installs, run as shipped: nginx from Debian with deploy/nginx/codeaudit.conf
terminates TLS on loopback in front of two dashboard processes started exactly as the instances of
deploy/systemd/codeaudit-dashboard@.service start them (its ExecStart and deploy/codeaudit.env with the cookie
secret the install generates; only the ports and the folders swapped for temporary ones).

A real sign-in and a page drawn in Chromium over https, with a throwaway self-signed certificate trusted by that
browser only (its SPKI hash pinned, never "ignore certificate errors"; the shipped host name kept, Chromium told
to resolve it to loopback); no Content-Security-Policy violation on
the way; the WebSocket upgraded through the proxy. Plain HTTP gets only a redirect; TLS below 1.2 and
non-AEAD suites are refused; HSTS and the other security headers are on every response; an oversized request
body is refused; each dashboard listens on loopback only. Browsers are spread over both processes, and every
request of one browser (its WebSocket, a deferred download, its requests after a reload) goes to one process;
a browser moved to the other process after a reload carries on there. Without nginx (or systemd-analyze) these tests are
skipped on a developer's machine and fail under CI=true, as the other browser tests do."""
from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import secrets
import socket
import ssl
import subprocess
import sys
import time
import warnings
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import streamlit
from streamlit import config as streamlit_config

from audit.log.read import read_events
from audit.permissions import Role, allowed_pages
from config import settings
from config.paths import Paths
from tests.e2e.conftest import DEMO_CLAIMS, require_chromium
from tests.e2e.deploy import (
    COOKIE_SECRET,
    CSP_WATCH,
    ENV_FILE,
    NGINX,
    ROUTE_COOKIE,
    SHIPPED_HOST,
    SHIPPED_PORTS,
    SITE,
    SYSTEMD_ANALYZE,
    UNIT,
    Certificate,
    Proxy,
    connect,
    launch,
    loopback_listeners,
    nginx_test,
    non_loopback_addresses,
    pinned_browser,
    read_env_file,
    read_unit,
    render_proxy,
    request,
    requests_of,
    require,
    route_of,
    route_to,
    self_signed,
    shown,
    start_nginx,
    swapped,
    trusting,
)
from tests.e2e.harness import REPO, free_port, stop, wait_drawn, wait_healthy
from tests.e2e.test_browser import WIDTH, assert_clean
from tests.views.page_content import PAGES

ROLE = Role.COMPLIANCE_OFFICER
USERNAME, PASSWORD = "it.check", "a long passphrase for the TLS test"
SECURITY_HEADERS = {
    "Strict-Transport-Security": "max-age=63072000; includeSubDomains",
    "X-Content-Type-Options": "nosniff",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
}
VENV_PYTHON = "/opt/codeaudit/venv/bin/python"


@pytest.mark.parametrize("ci", ["true", ""])
def test_a_missing_tool_fails_under_ci_and_skips_elsewhere(monkeypatch, ci):
    monkeypatch.setenv("CI", ci)
    outcome = pytest.fail.Exception if ci else pytest.skip.Exception
    with pytest.raises(outcome, match="apt-get install -y nginx" + (".*must run, not skip" if ci else "")):
        require(Path("/nonexistent/nginx"), "nginx")


def test_nginx_accepts_the_shipped_site(tmp_path):
    require(NGINX, "nginx")
    cert = self_signed(tmp_path, SHIPPED_HOST)
    checked = nginx_test(render_proxy(tmp_path, cert, free_port(), free_port(), [free_port(), free_port()]))
    assert checked.returncode == 0, checked.stderr
    assert "syntax is ok" in checked.stderr and "test is successful" in checked.stderr
    assert "[warn]" not in checked.stderr and "[emerg]" not in checked.stderr


def test_a_broken_site_is_refused_by_the_same_check(tmp_path):
    """The check above can fail: one mistyped directive in the rendered site and `nginx -t` says so."""
    require(NGINX, "nginx")
    proxy = render_proxy(tmp_path, self_signed(tmp_path, SHIPPED_HOST), free_port(), free_port(),
                         [free_port(), free_port()])
    site = proxy.root / "codeaudit.conf"
    site.write_text(swapped(site.read_text(), [("ssl_protocols", "ssl_protocolz", 1)], site))
    checked = nginx_test(proxy)
    assert checked.returncode != 0 and 'unknown directive "ssl_protocolz"' in checked.stderr


def test_the_csp_allows_exactly_the_inline_script_of_the_installed_streamlit():
    """Streamlit's index.html carries one inline script; the policy allows it by hash, so a Streamlit upgrade
    that changes it must change the policy too (the browser test would then see a violation)."""
    index = (Path(streamlit.__file__).parent / "static" / "index.html").read_text()
    inline = re.findall(r"<script>(.*?)</script>", index, re.S)
    assert len(inline) == 1
    digest = base64.b64encode(hashlib.sha256(inline[0].encode()).digest()).decode()
    policy = re.search(r'add_header Content-Security-Policy "([^"]+)" always;', SITE.read_text()).group(1)
    directives = dict(d.strip().split(" ", 1) for d in policy.split(";"))
    assert directives["script-src"] == f"'self' 'wasm-unsafe-eval' 'sha256-{digest}'"
    assert directives["frame-ancestors"] == "'none'" and directives["object-src"] == "'none'"
    assert "'unsafe-eval'" not in policy and "'unsafe-inline'" not in directives["script-src"]


def test_the_shipped_unit_runs_streamlit_on_loopback_as_an_unprivileged_hardened_service(tmp_path):
    unit = read_unit()
    argv = unit.argv
    assert argv[:5] == [VENV_PYTHON, "-m", "streamlit", "run", "dashboard.py"]
    options = dict(zip(argv[5::2], argv[6::2], strict=True))
    assert options == {"--server.address": "127.0.0.1", "--server.port": "%i", "--server.headless": "true"}
    site = SITE.read_text()
    for name in ("codeaudit_dashboard", "codeaudit_stream"):  # the pages' upstream and the WebSocket's
        upstreams = re.search(rf"upstream {name} \{{(.*?)\}}", site, re.S).group(1)
        # nginx forwards to the instances' ports, and to nothing else, with one key (a browser's WebSocket goes to
        # the process that served its page), and one failed request never marks a process down (max_fails=0:
        # that would move its browsers elsewhere)
        assert re.findall(r"^\s*server (\S+) max_fails=0;", upstreams, re.M) == [f"127.0.0.1:{port}" for port in SHIPPED_PORTS]
        assert len(re.findall(r"^\s*server ", upstreams, re.M)) == len(SHIPPED_PORTS)
        assert re.findall(r"^\s*hash (.*);", upstreams, re.M) == ["$codeaudit_route consistent"]
    # the WebSocket never rides a kept-alive connection the dashboard may be closing
    assert "keepalive" not in re.search(r"upstream codeaudit_stream \{(.*?)\}", site, re.S).group(1)
    assert re.findall(r"location /_stcore/stream \{[^}]*proxy_pass http://(\w+);", site) == ["codeaudit_stream"]
    assert unit.one("User") == unit.one("Group") == "codeaudit"
    assert unit.one("EnvironmentFile") == "/etc/codeaudit/codeaudit.env"
    for key, value in {"NoNewPrivileges": "yes", "ProtectSystem": "strict", "PrivateTmp": "yes", "ProtectHome": "yes",
                       "PrivateDevices": "yes", "UMask": "0077", "CapabilityBoundingSet": ""}.items():
        assert unit.one(key) == value, key
    writable = [Path(p) for p in unit.one("ReadWritePaths").split()]
    env = read_env_file()
    for variable in (settings.DATA_DIR, settings.KEY_DIR):  # ProtectSystem=strict: they must be writable
        assert any(Path(env[variable]).is_relative_to(p) for p in writable), variable
    # No Streamlit option in the shipped files (the command line wins anyway); only the cookie secret, which each
    # install generates, as a commented line the install replaces.
    assert not any(name.startswith("STREAMLIT_") for name in {**env, **unit.environment})
    assert {name for name in read_env_file(commented=True) if name.startswith("STREAMLIT_")} == {COOKIE_SECRET}
    require(SYSTEMD_ANALYZE, "systemd")
    (tmp_path / UNIT.name).write_text(swapped(UNIT.read_text(), [(VENV_PYTHON, sys.executable, 1),
                                                                 ("/etc/codeaudit/codeaudit.env", str(ENV_FILE), 1)], UNIT))
    # A template is verified as one of its instances: systemd-analyze loads the template from the same folder
    # and expands %i (the path of the template itself would be checked as the instance "i").
    instance = tmp_path / UNIT.name.replace("@.", f"@{SHIPPED_PORTS[0]}.")
    verified = subprocess.run([str(SYSTEMD_ANALYZE), "verify", str(instance)], capture_output=True, text=True, timeout=60)
    assert (verified.returncode, verified.stdout + verified.stderr) == (0, "")  # an unknown key is only a warning


def test_the_cookie_secret_variable_is_streamlits_own_option():
    """A misspelt variable would be ignored by Streamlit, and each process would sign with its own random secret."""
    assert streamlit_config.get_config_options()["server.cookieSecret"].env_var == COOKIE_SECRET


def test_the_example_environment_names_only_real_settings_with_valid_values():
    names = vars(settings).values()
    known = {v for v in names if isinstance(v, str) and v.startswith(settings.PREFIX)} | {
        v.variable for v in names if isinstance(v, settings.WholeNumber)}
    every = read_env_file(commented=True)
    for name in every:
        assert name in known or name.startswith(settings.TARGET_PREFIX) or name == COOKIE_SECRET, name
    examples = {k: v for k, v in every.items() if k not in settings.SECRET_VARIABLES and k != COOKIE_SECRET}
    loaded = settings.load(examples)  # raises ConfigurationError on a bad value
    assert loaded.data_dir == Path("/var/lib/codeaudit/data") and loaded.key_dir == Path("/var/lib/codeaudit/keys")
    assert not loaded.key_dir.is_relative_to(loaded.data_dir) and not loaded.data_dir.is_relative_to(loaded.key_dir)
    assert loaded.sso_roles == {"coding-audit-compliance": "compliance_officer", "coding-audit-auditors": "auditor"}
    assert loaded.drg_base_rate == 6500.0


@dataclass(frozen=True)
class Deployed:
    proxy: Proxy
    cert: Certificate
    dashboard_ports: tuple[int, ...]  # one dashboard process each, as the shipped site lists them
    env: dict[str, str]
    paths: Paths

    @property
    def upstreams(self) -> set[str]:
        return {f"127.0.0.1:{port}" for port in self.dashboard_ports}


def unit_environment(root: Path) -> dict[str, str]:
    """What systemd gives every instance: its Environment= and EnvironmentFile, with the folders moved into `root`
    and the cookie secret the install generates (README, "Deployment", step 3)."""
    env = {"PATH": os.environ["PATH"], "LANG": "C.UTF-8", **read_unit().environment, **read_env_file()}
    env.update({"HOME": str(root / "home"), settings.DATA_DIR: str(root / "data"), settings.KEY_DIR: str(root / "keys"),
                "CODEAUDIT_DEMO_CLAIMS": DEMO_CLAIMS, COOKIE_SECRET: secrets.token_hex(32)})
    return env


@pytest.fixture(scope="module")
def deployed(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Deployed]:
    require(NGINX, "nginx")
    root = tmp_path_factory.mktemp("tls")
    (root / "home").mkdir()
    env = unit_environment(root)  # one environment file for all instances, as systemd gives it
    ports = tuple(free_port() for _ in SHIPPED_PORTS)
    dashboards, nginx = [], None
    try:
        for port in ports:
            argv = read_unit().instance_argv(str(port))
            argv[0] = sys.executable
            with open(root / f"streamlit-{port}.log", "ab") as output:
                dashboards.append(subprocess.Popen(argv, cwd=REPO, env=env, stdout=output, stderr=subprocess.STDOUT,
                                                   start_new_session=True))
        for port, dashboard in zip(ports, dashboards, strict=True):
            wait_healthy(f"http://127.0.0.1:{port}", dashboard, root / f"streamlit-{port}.log")
        cert = self_signed(root, SHIPPED_HOST)
        proxy = render_proxy(root / "nginx", cert, free_port(), free_port(), ports)
        nginx = start_nginx(proxy)
        yield Deployed(proxy, cert, ports, env, Paths(Path(env[settings.DATA_DIR]), Path(env[settings.KEY_DIR])))
    finally:
        if nginx is not None:
            stop(nginx)
        for dashboard in dashboards:
            stop(dashboard)


def test_plain_http_gets_only_a_redirect_to_https(deployed):
    upgrade = {"Upgrade": "websocket", "Connection": "Upgrade", "Sec-WebSocket-Version": "13",
               "Sec-WebSocket-Key": base64.b64encode(b"0123456789abcdef").decode()}
    for method, path, headers in (("GET", "/", {}), ("GET", "/_stcore/health", {}), ("GET", "/_stcore/stream", upgrade),
                                  ("POST", "/_stcore/health", {}), ("GET", "/static/../x?y=1", {})):
        response, body = request(deployed.proxy.http_port, None, method, path, headers=headers)
        assert response.status == 301, (method, path)
        assert response.getheader("Location") == f"https://{SHIPPED_HOST}{path}"
        assert b"streamlit" not in body.lower() and b"ok" != body.strip()
    health, body = request(deployed.proxy.https_port, trusting(deployed.cert), "GET", "/_stcore/health")
    assert (health.status, body) == (200, b"ok")  # the same path over https reaches the dashboard


def assert_security_headers(response: http.client.HTTPResponse) -> None:
    for name, value in SECURITY_HEADERS.items():
        assert response.headers.get_all(name) == [value], name
    policy = response.headers.get_all("Content-Security-Policy")
    assert len(policy) == 1 and "frame-ancestors 'none'" in policy[0]
    assert response.getheader("Server") == "nginx"  # no version given away


def test_https_sets_the_security_headers_on_every_response_and_refuses_large_bodies(deployed):
    context = trusting(deployed.cert)
    page, body = request(deployed.proxy.https_port, context, "GET", "/")
    assert page.status == 200 and b"<title>Streamlit</title>" in body
    assert_security_headers(page)
    missing, _ = request(deployed.proxy.https_port, context, "GET", "/no/such/file.js")
    assert_security_headers(missing)
    big, _ = request(deployed.proxy.https_port, context, "POST", "/_stcore/health", body=b"x" * (2 * 1024 * 1024),
                     headers={"Content-Type": "application/octet-stream"})
    assert big.status == 413  # client_max_body_size 1m: the dashboard takes no uploads
    assert_security_headers(big)


def handshake(port: int, context: ssl.SSLContext) -> tuple[str, str]:
    with connect(port, context) as tls:
        return tls.version(), tls.cipher()[0]


def test_only_tls_12_and_13_with_forward_secret_aead_suites(deployed):
    port, base = deployed.proxy.https_port, trusting(deployed.cert)
    assert handshake(port, base)[0] == "TLSv1.3"
    tls12 = trusting(deployed.cert)
    tls12.maximum_version = ssl.TLSVersion.TLSv1_2
    version, cipher = handshake(port, tls12)
    assert version == "TLSv1.2" and re.fullmatch(r"ECDHE-ECDSA-(AES(128|256)-GCM-SHA(256|384)|CHACHA20-POLY1305)", cipher)
    # A suite nginx's own default accepts (forward-secret, but CBC with SHA-1): refused by the shipped list.
    cbc = trusting(deployed.cert)
    cbc.maximum_version = ssl.TLSVersion.TLSv1_2
    cbc.set_ciphers("ECDHE-ECDSA-AES128-SHA:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError, match="HANDSHAKE_FAILURE"):
        handshake(port, cbc)
    old = trusting(deployed.cert)
    with warnings.catch_warnings():  # Python deprecates offering TLS 1.0 and 1.1; offering them is the point here
        warnings.simplefilter("ignore", DeprecationWarning)
        old.minimum_version, old.maximum_version = ssl.TLSVersion.TLSv1, ssl.TLSVersion.TLSv1_1
    old.set_ciphers("DEFAULT:@SECLEVEL=0")
    with pytest.raises(ssl.SSLError, match="PROTOCOL_VERSION"):  # the server's alert, not a client refusal
        handshake(port, old)


def test_the_dashboards_started_as_the_unit_starts_them_listen_on_loopback_only(deployed):
    for port in deployed.dashboard_ports:
        assert loopback_listeners(port) == ["127.0.0.1"]
        for address in non_loopback_addresses():
            family = socket.AF_INET6 if ":" in address else socket.AF_INET
            with socket.socket(family, socket.SOCK_STREAM) as sock, pytest.raises(ConnectionRefusedError):
                sock.settimeout(5)
                sock.connect((address, port))
        with socket.create_connection(("127.0.0.1", port), timeout=5):
            pass  # and it does answer on loopback, for nginx


def add_account(deployed: Deployed, username: str = USERNAME) -> None:
    """A local account made with the command line, as an administrator does, in the service's environment."""
    made = subprocess.run([sys.executable, "manage.py", "users", "add", username, "--role", ROLE.value, "--password-stdin"],
                          cwd=REPO, env=deployed.env, input=PASSWORD + "\n", capture_output=True, text=True, timeout=120)
    assert made.returncode == 0, made.stderr


def test_a_real_sign_in_and_a_page_over_https_in_chromium(deployed):
    require_chromium()
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        untrusting = launch(playwright)
        try:  # the certificate is trusted by the pinned browser below only, not by Chromium as such
            with pytest.raises(PlaywrightError, match="ERR_CERT_AUTHORITY_INVALID"):
                untrusting.new_page().goto(deployed.proxy.url)
        finally:
            untrusting.close()
        browser = launch(playwright, f"--ignore-certificate-errors-spki-list={deployed.cert.spki_sha256}")
        try:
            context = browser.new_context(viewport={"width": WIDTH, "height": 1000})
            context.add_init_script(CSP_WATCH)
            page = context.new_page()
            console = []
            page.on("console", lambda message: console.append(message.text))
            page.goto(deployed.proxy.url)
            shown(page, console, page.get_by_text("First start"), 60_000)  # drawn live over the proxied WebSocket
            shown(page, console, page.get_by_role("button", name="Sign in as Auditor (demo)"), 180_000)
            add_account(deployed)
            page.get_by_label("Username", exact=True).fill(USERNAME)
            page.get_by_label("Password", exact=True).fill(PASSWORD)
            page.get_by_role("button", name="Sign in", exact=True).click()
            first = allowed_pages(ROLE)[0]
            page.get_by_role("heading", name=first.label, level=1).wait_for(timeout=60_000)
            wait_drawn(page, PAGES[first].charts)
            assert_clean(page)
            assert page.evaluate("location.protocol") == "https:"
            assert page.evaluate("window.__cspViolations || []") == []
            assert [text for text in console if "Content Security Policy" in text] == []
            context.close()
        finally:
            browser.close()
    signed_in = [e for e in read_events(deployed.paths, user=USERNAME, action="sign_in")]
    assert len(signed_in) == 1 and signed_in[0]["outcome"] == "success"
    upgraded = re.compile(r'"GET /_stcore/stream HTTP/1\.1" 101 ')
    deadline = time.monotonic() + 15  # nginx logs an upgraded connection when it closes
    while not upgraded.search(deployed.proxy.access_log.read_text()) and time.monotonic() < deadline:
        time.sleep(0.2)
    assert upgraded.search(deployed.proxy.access_log.read_text())


def open_sign_in(browser, deployed: Deployed, **options) -> tuple:
    """A new browser (context: its own cookies) on the sign-in page; returns it, its page and its console."""
    context = browser.new_context(viewport={"width": WIDTH, "height": 1000}, **options)
    page, console = context.new_page(), []
    page.on("console", lambda message: console.append(message.text))
    page.goto(deployed.proxy.url)
    shown(page, console, page.get_by_label("Username", exact=True), 180_000)  # after the first start's build, if any
    return context, page, console


def sign_in_locally(page, console: list[str], username: str) -> None:
    shown(page, console, page.get_by_label("Username", exact=True), 90_000)
    page.get_by_label("Username", exact=True).fill(username)
    page.get_by_label("Password", exact=True).fill(PASSWORD)
    page.get_by_role("button", name="Sign in", exact=True).click()
    first = allowed_pages(ROLE)[0]
    shown(page, console, page.get_by_role("heading", name=first.label, level=1), 90_000)
    wait_drawn(page, PAGES[first].charts)
    assert_clean(page)


def test_browsers_are_spread_over_both_processes_and_each_serves_a_sign_in(deployed):
    """Browsers are pinned to processes by their route cookie, each keeping to one; over a few browsers both
    processes get some, and a browser on each signs in and is served (one accounts store, one access log)."""
    with pinned_browser(deployed.cert) as browser:
        first_on, opened = {}, []
        for _ in range(12):  # with 2 processes, all 12 on one has a chance of 1 in 2,048
            context, page, console = open_sign_in(browser, deployed)
            opened.append(context)
            (upstream,) = {r.upstream for r in requests_of(deployed.proxy, route_of(context))}
            first_on.setdefault(upstream, (context, page, console))
            if len(first_on) == len(deployed.upstreams):
                break
        assert set(first_on) == deployed.upstreams
        users = {}
        for number, (upstream, (context, page, console)) in enumerate(sorted(first_on.items())):
            users[upstream] = (f"it.process{number}", route_of(context))
            add_account(deployed, users[upstream][0])
            sign_in_locally(page, console, users[upstream][0])
        for context in opened:
            context.close()
    for upstream, (username, route) in users.items():
        assert {r.upstream for r in requests_of(deployed.proxy, route, streams=1)} == {upstream}  # its WebSocket too
        signed_in = read_events(deployed.paths, user=username, action="sign_in")
        assert [e["outcome"] for e in signed_in] == ["success"]
    verified = subprocess.run([sys.executable, "manage.py", "verify-log"], cwd=REPO, env=deployed.env,
                              capture_output=True, text=True, timeout=120)
    assert verified.returncode == 0, verified.stdout + verified.stderr  # both processes appended to one chain


def test_one_browser_keeps_to_one_process_through_a_download_and_a_reload_and_may_move_after_one(deployed):
    """The WebSocket, the deferred CSV download (a file in that process's memory) and every request after a reload
    go to one process; a reload is a new session (signed in again). With the route of a browser on the other
    process (as when this one's process is removed), the next reload carries on there."""
    with pinned_browser(deployed.cert) as browser:
        context, page, console = open_sign_in(browser, deployed, accept_downloads=True)
        add_account(deployed, "it.download")
        sign_in_locally(page, console, "it.download")
        page.get_by_text("Table and CSV: headline rates").click()
        page.get_by_text("Use inside the organisation").first.click()
        with page.expect_download(timeout=90_000) as download:
            page.get_by_role("button", name="Download CSV").first.click()  # enabled once the purpose is chosen
        assert open(download.value.path()).read().startswith("metric,")
        route = route_of(context)
        page.reload()
        sign_in_locally(page, console, "it.download")
        assert route_of(context) == route
        (home,) = {r.upstream for r in requests_of(deployed.proxy, route)}
        (elsewhere,) = deployed.upstreams - {home}
        other = route_to(deployed.proxy, deployed.cert, elsewhere)
        context.add_cookies([{"name": ROUTE_COOKIE, "value": other, "url": deployed.proxy.url}])
        page.reload()
        sign_in_locally(page, console, "it.download")
        context.close()
    mine = requests_of(deployed.proxy, route, streams=2)
    assert {r.upstream for r in mine} == {home}
    assert [r.status for r in mine if r.request.startswith("GET /_stcore/stream ")] == [101, 101]
    fetched = [r.status for r in mine if r.request.startswith("GET /media/")]  # the front end may fetch it twice
    assert fetched and set(fetched) == {200}
    assert {r.upstream for r in requests_of(deployed.proxy, other, streams=1)} == deployed.upstreams - {home}
    assert [e["outcome"] for e in read_events(deployed.paths, user="it.download", action="sign_in")] == ["success"] * 3
