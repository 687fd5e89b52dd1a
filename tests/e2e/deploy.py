"""The shipped deployment files (deploy/) made runnable in a test: the nginx site rendered onto loopback ports,
a temporary certificate and temporary log folders; the systemd unit read for its command, environment and
hardening; the example environment file read as systemd reads it. Each swap names the exact text of the
shipped file it replaces and fails if that text is gone, so the tests always run the shipped files, never a
copy that could drift from them."""
from __future__ import annotations

import base64
import hashlib
import os
import re
import shlex
import socket
import subprocess
import time
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from tests.e2e.harness import REPO

DEPLOY = REPO / "deploy"
SITE = DEPLOY / "nginx" / "codeaudit.conf"
UNIT = DEPLOY / "systemd" / "codeaudit-dashboard.service"
ENV_FILE = DEPLOY / "codeaudit.env"
NGINX = Path("/usr/sbin/nginx")
SYSTEMD_ANALYZE = Path("/usr/bin/systemd-analyze")
# The values an IT team changes in the shipped site, and the loopback upstream the unit binds.
SHIPPED_HOST = "dashboard.example.org"
SHIPPED_CERT = "/etc/ssl/codeaudit/fullchain.pem"
SHIPPED_KEY = "/etc/ssl/codeaudit/privkey.pem"
SHIPPED_UPSTREAM = "server 127.0.0.1:8501;"


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


def render_proxy(root: Path, cert: Certificate, https_port: int, http_port: int, upstream_port: int) -> Proxy:
    """The shipped site on loopback ports, in front of `upstream_port`, inside a minimal main configuration
    that keeps every file nginx writes (pid, logs, temporary bodies) under `root`. The main file stands in
    for Debian's /etc/nginx/nginx.conf, which includes the site the same way."""
    for sub in ("logs", "tmp"):
        (root / sub).mkdir(parents=True, exist_ok=True)
    site = swapped(SITE.read_text(), [
        ("listen 80;", f"listen 127.0.0.1:{http_port};", 1),
        ("listen 443 ssl;", f"listen 127.0.0.1:{https_port} ssl;", 1),
        (SHIPPED_UPSTREAM, f"server 127.0.0.1:{upstream_port};", 1),
        (SHIPPED_CERT, str(cert.cert), 1),
        (SHIPPED_KEY, str(cert.key), 1),
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
{temp}
    include {root}/codeaudit.conf;
}}
""")
    return Proxy(root, conf, https_port, http_port)


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
