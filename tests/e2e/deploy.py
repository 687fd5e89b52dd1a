"""The shipped deployment files (deploy/) made runnable in a test: the nginx site rendered onto loopback ports,
a temporary certificate and temporary log folders, its access log in a test-only format naming the dashboard
process each request went to; the systemd template unit read for its command, environment and hardening; the
example environment file read as systemd reads it; and the clients that reach the site as a user would (a TLS
connection for the shipped host name, Chromium resolving it to loopback). Each swap names the exact text of the
shipped file it replaces and fails if that text is gone, so the tests always run the shipped files, never a
copy that could drift from them."""
from __future__ import annotations

import base64
import hashlib
import http.client
import os
import re
import shlex
import socket
import ssl
import subprocess
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.conftest import require_chromium, require_tool
from tests.e2e.harness import CHROMIUM, CHROMIUM_ARGS, REPO

DEPLOY = REPO / "deploy"
SITE = DEPLOY / "nginx" / "codeaudit.conf"
UNIT = DEPLOY / "systemd" / "codeaudit-dashboard@.service"
ENV_FILE = DEPLOY / "codeaudit.env"
NGINX = Path("/usr/sbin/nginx")
SYSTEMD_ANALYZE = Path("/usr/bin/systemd-analyze")
# The values an IT team changes in the shipped site, and the ports of the unit's instances the site forwards to.
SHIPPED_HOST = "dashboard.example.org"
SHIPPED_CERT = "/etc/ssl/codeaudit/fullchain.pem"
SHIPPED_KEY = "/etc/ssl/codeaudit/privkey.pem"
SHIPPED_PORTS = (8501, 8502)
SHIPPED_ACCESS_LOG = "access_log /var/log/nginx/codeaudit.access.log;"
ROUTE_COOKIE = "codeaudit_route"  # the shipped site's cookie pinning a browser to one dashboard process
# Streamlit's option server.cookieSecret as an environment variable: deploy/codeaudit.env gets one at install.
COOKIE_SECRET = "STREAMLIT_SERVER_COOKIE_SECRET"
# Test-only: each request with the dashboard process it went to and the browser's route key (the shipped site's
# map: the codeaudit_route cookie, or the id of the request that sets it).
ROUTED = re.compile(r'^"(?P<request>[^"]*)" (?P<status>\d{3}) upstream=(?P<upstream>\S+) route=(?P<route>\S+)$')


def swapped(text: str, swaps: list[tuple[str, str, int]], source: Path) -> str:
    """`text` with each (old, new, count) applied, after checking `old` occurs exactly `count` times."""
    for old, new, count in swaps:
        found = text.count(old)
        assert found == count, f"{source} has {old!r} {found} time(s), not {count}: update tests/e2e/deploy.py with it"
        text = text.replace(old, new)
    return text


@dataclass(frozen=True)
class Certificate:
    cert: Path
    key: Path
    spki_sha256: str  # base64 of SHA-256 over the DER SubjectPublicKeyInfo, as Chromium's SPKI list wants it


def self_signed(folder: Path, host: str) -> Certificate:
    """A throwaway ECDSA P-256 certificate for `host`, valid for a day, made for one test run."""
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes, serialization
    from cryptography.hazmat.primitives.asymmetric import ec
    from cryptography.x509.oid import NameOID

    key = ec.generate_private_key(ec.SECP256R1())
    name = x509.Name([x509.NameAttribute(NameOID.COMMON_NAME, host)])
    now = datetime.now(UTC)
    cert = (x509.CertificateBuilder().subject_name(name).issuer_name(name).public_key(key.public_key())
            .serial_number(x509.random_serial_number()).not_valid_before(now - timedelta(minutes=5))
            .not_valid_after(now + timedelta(days=1))
            .add_extension(x509.SubjectAlternativeName([x509.DNSName(host)]), critical=False)
            .add_extension(x509.BasicConstraints(ca=True, path_length=None), critical=True)
            .sign(key, hashes.SHA256()))
    cert_path, key_path = folder / "cert.pem", folder / "key.pem"
    cert_path.write_bytes(cert.public_bytes(serialization.Encoding.PEM))
    key_path.write_bytes(key.private_bytes(serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8,
                                           serialization.NoEncryption()))
    key_path.chmod(0o600)
    spki = key.public_key().public_bytes(serialization.Encoding.DER, serialization.PublicFormat.SubjectPublicKeyInfo)
    return Certificate(cert_path, key_path, base64.b64encode(hashlib.sha256(spki).digest()).decode())


@dataclass(frozen=True)
class Proxy:
    root: Path
    conf: Path
    https_port: int
    http_port: int

    @property
    def access_log(self) -> Path:
        return self.root / "logs" / "codeaudit.access.log"

    @property
    def url(self) -> str:
        return f"https://{SHIPPED_HOST}:{self.https_port}"


def render_proxy(root: Path, cert: Certificate, https_port: int, http_port: int, upstream_ports: Sequence[int]) -> Proxy:
    """The shipped site on loopback ports, in front of the dashboards on `upstream_ports` (one for each shipped
    instance), inside a minimal main configuration that keeps every file nginx writes (pid, logs, temporary
    bodies) under `root`. The main file stands in for Debian's /etc/nginx/nginx.conf, which includes the site
    the same way; it adds the test-only log format (ROUTED) the site's access log is switched to."""
    assert len(upstream_ports) == len(SHIPPED_PORTS), f"the shipped site lists {len(SHIPPED_PORTS)} dashboard processes"
    for sub in ("logs", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    site = swapped(SITE.read_text(), [
        ("listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;", 1),
        *((f"server 127.0.0.1:{shipped} ", f"server 127.0.0.1:{port} ", 2)  # the pages' upstream and the WebSocket's
          for shipped, port in zip(SHIPPED_PORTS, upstream_ports, strict=True)),
        (SHIPPED_CERT, str(cert.cert), 1),
        (SHIPPED_KEY, str(cert.key), 1),
        (SHIPPED_ACCESS_LOG, SHIPPED_ACCESS_LOG.replace(";", " routed;"), 1),
        ("/var/log/nginx/", f"{root}/logs/", 2),
    ], SITE)
    (root / "codeaudit.conf").write_text(site)
    temp = "\n".join(f"    {kind}_temp_path {root}/tmp/{kind};" for kind in ("client_body", "proxy", "fastcgi", "uwsgi", "scgi"))
    # As root, nginx would hand its workers to `nobody`, who cannot write the temporary folders here.
    user = "user root;\n" if os.geteuid() == 0 else ""
    conf = root / "nginx.conf"
    conf.write_text(f"""{user}pid {root}/nginx.pid;
error_log {root}/logs/error.log;
events {{ worker_connections 128; }}
http {{
    include /etc/nginx/mime.types;
    access_log {root}/logs/access.log;
    log_format routed '"$request" $status upstream=$upstream_addr route=$codeaudit_route';
{temp}
    include {root}/codeaudit.conf;
}}
""")
    return Proxy(root, conf, https_port, http_port)


@dataclass(frozen=True)
class Routed:
    """One request in the site's access log: what it was, its status, the dashboard process it went to
    (127.0.0.1:PORT) and the browser's route key."""

    request: str
    status: int
    upstream: str
    route: str


def routed(proxy: Proxy) -> list[Routed]:
    """Every request the site has logged so far (an upgraded WebSocket is logged when it closes)."""
    found = []
    for line in proxy.access_log.read_text().splitlines():
        match = ROUTED.match(line)
        assert match, f"not in the test's log format: {line!r}"
        found.append(Routed(match["request"], int(match["status"]), match["upstream"], match["route"]))
    return found


def route_to(proxy: Proxy, cert: Certificate, upstream: str) -> str:
    """A route key the site's hash sends to `upstream` (127.0.0.1:PORT): probe keys with a health request each until
    one lands there. Not taken from earlier lines of the log: they may all have gone to one process, or been
    refused by nginx itself (a 413 is logged with no upstream)."""
    for n in range(64):
        key = f"probe-{n}"
        request(proxy.https_port, trusting(cert), "GET", "/_stcore/health", headers={"Cookie": f"{ROUTE_COOKIE}={key}"})
        deadline = time.monotonic() + 5
        while not (landed := [r.upstream for r in routed(proxy) if r.route == key]) and time.monotonic() < deadline:
            time.sleep(0.05)  # nginx writes the line as the request ends
        if landed == [upstream]:
            return key
    raise AssertionError(f"no route key of 64 reached {upstream}")


def nginx_test(proxy: Proxy) -> subprocess.CompletedProcess:
    return subprocess.run([str(NGINX), "-t", "-p", str(proxy.root), "-c", str(proxy.conf)],
                          capture_output=True, text=True, timeout=30)


def start_nginx(proxy: Proxy) -> subprocess.Popen:
    process = subprocess.Popen([str(NGINX), "-p", str(proxy.root), "-c", str(proxy.conf), "-g", "daemon off;"],
                               stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, start_new_session=True)
    deadline = time.monotonic() + 20
    while time.monotonic() < deadline:
        if process.poll() is not None:
            raise RuntimeError(f"nginx exited: {process.stderr.read().decode()}")
        try:
            socket.create_connection(("127.0.0.1", proxy.https_port), timeout=1).close()
            return process
        except OSError:
            time.sleep(0.1)
    raise TimeoutError("nginx did not listen within 20 s")


@dataclass(frozen=True)
class Unit:
    """The [Service] section of the shipped unit: each key with all its values, in order."""

    service: dict[str, list[str]]

    def one(self, key: str) -> str:
        values = self.service.get(key, [])
        assert len(values) == 1, f"{UNIT} should set {key}= once, not {len(values)} time(s)"
        return values[0]

    @property
    def argv(self) -> list[str]:
        return shlex.split(self.one("ExecStart"))

    def instance_argv(self, instance: str) -> list[str]:
        """ExecStart of the instance `instance` (codeaudit-dashboard@INSTANCE), %i expanded as systemd does."""
        argv = [arg.replace("%i", instance) for arg in self.argv]
        assert not [arg for arg in argv if "%" in arg], f"{UNIT}: a specifier other than %i in ExecStart: {argv}"
        return argv

    @property
    def environment(self) -> dict[str, str]:
        return dict(v.split("=", 1) for line in self.service.get("Environment", []) for v in shlex.split(line))


def read_unit(path: Path = UNIT) -> Unit:
    section, service = "", {}
    for line in path.read_text().splitlines():
        line = line.strip()
        if not line or line.startswith(("#", ";")):
            continue
        if line.startswith("["):
            section = line
        elif section == "[Service]":
            key, value = line.split("=", 1)
            service.setdefault(key.strip(), []).append(value.strip())
    return Unit(service)


LINE = re.compile(r"^(#?)([A-Z][A-Z0-9_]*)=(.*)$")


def read_env_file(path: Path = ENV_FILE, commented: bool = False) -> dict[str, str]:
    """The variables the file sets, as systemd reads them (a value in single quotes is taken literally);
    with `commented`, also the examples left commented out (`#VARIABLE=value`)."""
    found = {}
    for line in path.read_text().splitlines():
        match = LINE.match(line.strip())
        if match and (commented or not match.group(1)):
            value = match.group(3)
            found[match.group(2)] = value[1:-1] if len(value) > 1 and value[0] == value[-1] == "'" else value
    return found


def loopback_listeners(port: int) -> list[str]:
    """The local addresses of every socket listening on `port` (from /proc/net/tcp and tcp6), as text."""
    found = []
    for table, width in (("/proc/net/tcp", 8), ("/proc/net/tcp6", 32)):
        if not Path(table).exists():
            continue
        for row in Path(table).read_text().splitlines()[1:]:
            local, state = row.split()[1], row.split()[3]
            address, local_port = local.split(":")
            if state == "0A" and int(local_port, 16) == port:  # 0A: LISTEN
                raw = bytes.fromhex(address)
                words = b"".join(raw[i:i + 4][::-1] for i in range(0, len(raw), 4))  # little-endian words
                family = socket.AF_INET if width == 8 else socket.AF_INET6
                found.append(socket.inet_ntop(family, words))
    return found


def non_loopback_addresses() -> list[str]:
    """This machine's addresses other than loopback: the source address of its default routes, and what
    its host name resolves to."""
    found = set()
    for family, probe in ((socket.AF_INET, "192.0.2.1"), (socket.AF_INET6, "2001:db8::1")):
        try:
            with socket.socket(family, socket.SOCK_DGRAM) as sock:
                sock.connect((probe, 9))  # UDP: chooses a route, sends nothing
                found.add(sock.getsockname()[0])
        except OSError:
            pass
    try:
        found |= {info[4][0] for info in socket.getaddrinfo(socket.gethostname(), None)}
    except OSError:
        pass
    return sorted(a for a in found if not a.startswith("127.") and a not in ("::1", "0.0.0.0", "::")
                  and not a.startswith("fe80"))


def require(tool: Path, package: str) -> None:
    require_tool(tool, package, "deployment tests")


def connect(port: int, context: ssl.SSLContext | None) -> socket.socket:
    """A connection to `port` on loopback, for the shipped host name (as its DNS entry would give)."""
    raw = socket.create_connection(("127.0.0.1", port), timeout=30)
    return context.wrap_socket(raw, server_hostname=SHIPPED_HOST) if context else raw


def trusting(cert: Certificate) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=str(cert.cert))


def request(port: int, context: ssl.SSLContext | None, method: str, path: str, body: bytes | None = None,
            headers: dict[str, str] | None = None) -> tuple[http.client.HTTPResponse, bytes]:
    kind = http.client.HTTPSConnection if context else http.client.HTTPConnection
    conn = kind(SHIPPED_HOST, port, timeout=30)
    conn.sock = connect(port, context)
    conn.request(method, path, body=body, headers=headers or {})
    response = conn.getresponse()
    data = response.read()
    conn.close()
    return response, data


CSP_WATCH = """document.addEventListener('securitypolicyviolation', (e) => {
    (window.__cspViolations = window.__cspViolations || []).push(e.violatedDirective + ' ' + e.blockedURI);
});"""


def launch(playwright, *extra: str):
    return playwright.chromium.launch(executable_path=str(CHROMIUM),
                                      args=[*CHROMIUM_ARGS, f"--host-resolver-rules=MAP {SHIPPED_HOST} 127.0.0.1", *extra])


def shown(page, console: list[str], locator, timeout_ms: float) -> None:
    """Wait for `locator`; on a timeout, say what the browser saw (its console, CSP violations, the page's text)."""
    from playwright.sync_api import TimeoutError as PlaywrightTimeout

    try:
        locator.wait_for(timeout=timeout_ms)
    except PlaywrightTimeout:
        raise AssertionError(f"not shown within {timeout_ms / 1000:.0f} s; console: {console[-10:]}; CSP violations: "
                             f"{page.evaluate('window.__cspViolations || []')}; page: {page.inner_text('body')[:500]!r}") from None


@contextmanager
def pinned_browser(cert: Certificate) -> Iterator:
    """Chromium trusting the test's certificate only (its SPKI hash pinned)."""
    require_chromium()
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        browser = launch(playwright, f"--ignore-certificate-errors-spki-list={cert.spki_sha256}")
        try:
            yield browser
        finally:
            browser.close()


def route_of(context) -> str:
    (value,) = [cookie["value"] for cookie in context.cookies() if cookie["name"] == ROUTE_COOKIE]
    return value


def requests_of(proxy: Proxy, route: str, streams: int = 0) -> list[Routed]:
    """The requests logged for the browser with `route`, after waiting (15 s at most) for `streams` of its
    WebSocket connections: nginx logs an upgraded connection when it closes."""
    deadline = time.monotonic() + 15
    while True:
        mine = [r for r in routed(proxy) if r.route == route]
        if sum(r.request.startswith("GET /_stcore/stream ") for r in mine) >= streams or time.monotonic() > deadline:
            return mine
        time.sleep(0.2)
