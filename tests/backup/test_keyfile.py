"""The key file's format (backup/keyfile.py) as a known answer: a fixed vector opened by the module and, field by
field, by the format's description alone (Argon2id, then AES-256-GCM over the canonical header); and what it
refuses: a wrong passphrase, an altered header, parameters out of bounds, a short passphrase."""
from __future__ import annotations

import base64
import json

import pytest
from argon2.low_level import Type, hash_secret_raw
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from backup.keyfile import BackedUpKeys, KeyFileError, open_sealed, seal

PASSPHRASE = "correct horse battery staple"
K1, K2 = base64.b64encode(bytes(range(32))).decode(), base64.b64encode(bytes(range(32, 64))).decode()
RING = json.dumps({"primary": "k2", "keys": {"k1": K1, "k2": K2}}, indent=2)
KEYS = BackedUpKeys(RING, base64.b64encode(b"\x11" * 32).decode(), base64.b64encode(b"\x22" * 32).decode())
SALT, NONCE = bytes(range(16)), bytes(range(100, 112))
VECTOR = b"""{
  "format": "codeaudit-keys-1",
  "kdf": {
    "name": "argon2id",
    "time_cost": 3,
    "memory_kib": 65536,
    "parallelism": 4,
    "salt": "AAECAwQFBgcICQoLDA0ODw=="
  },
  "cipher": "AES-256-GCM",
  "nonce": "ZGVmZ2hpamtsbW5v",
  "ciphertext": "oWVtlBOB9A+aSqe87sgYqkdNMtFlHh1RxLbMaPw9xG1EVBJc3eM0lWSlANpN0rrgvA6bw1lHG09a2TMJtyYCGH18JVNHixj5xXPZQ3F2q+0Fz0UZ8Plo49EVTjmG94MUZvUUIFdE++TlCIPLkbNfb6FjCxIv1Prudxor4vFHhzDKymWVsRxEPK1+5NBRCxm7qhETBcODhC02Tgd8Gh3plri3ypVvKUusHKxc8JtlhBoSOpbh1Pw6V0bSZ094fVWLl9DDhTitrHpUck+vhYpF37M0hsI7jN7BAV0kVS3BgihUBg8BeG0gkI6kI9BlrffJm6Nucf4vMfWKQv5vmVYTji89d91xEZY5t4/DJrCu6dR6UREaAvs7"
}
"""


def test_the_fixed_vector_opens_to_its_keys():
    assert open_sealed(VECTOR, PASSPHRASE) == KEYS


def test_the_vector_decrypts_by_the_documented_format_alone():
    body = json.loads(VECTOR)
    kdf = body["kdf"]
    key = hash_secret_raw(PASSPHRASE.encode(), base64.b64decode(kdf["salt"]), 3, 65536, 4, 32, Type.ID)
    header = {k: body[k] for k in ("format", "kdf", "cipher", "nonce")}
    aad = json.dumps(header, sort_keys=True, separators=(",", ":")).encode()
    plain = AESGCM(key).decrypt(base64.b64decode(body["nonce"]), base64.b64decode(body["ciphertext"]), aad)
    assert json.loads(plain) == {"data_keys": {"primary": "k2", "keys": {"k1": K1, "k2": K2}},
                                 "pseudonym_key": base64.b64encode(b"\x11" * 32).decode(),
                                 "log_key": base64.b64encode(b"\x22" * 32).decode()}


def test_sealing_with_the_vectors_salt_and_nonce_gives_the_vector():
    assert seal(KEYS, PASSPHRASE, salt=SALT, nonce=NONCE) == VECTOR


def test_fresh_files_use_fresh_salt_and_nonce_and_open():
    first, second = seal(KEYS, PASSPHRASE), seal(KEYS, PASSPHRASE)
    assert json.loads(first)["kdf"]["salt"] != json.loads(second)["kdf"]["salt"]
    assert json.loads(first)["nonce"] != json.loads(second)["nonce"]
    assert open_sealed(first, PASSPHRASE) == KEYS


def test_a_wrong_passphrase_is_refused_in_one_sentence():
    with pytest.raises(KeyFileError, match=r"^The passphrase is wrong, or the key file was damaged or altered; "):
        open_sealed(VECTOR, PASSPHRASE + "!")


@pytest.mark.parametrize("change", [
    lambda b: b.__setitem__("kdf", {**b["kdf"], "time_cost": 4}),  # a header field is authenticated
    lambda b: b.__setitem__("ciphertext", base64.b64encode(b"\0" + base64.b64decode(b["ciphertext"])[1:]).decode()),
])
def test_an_altered_file_is_refused(change):
    body = json.loads(VECTOR)
    change(body)
    with pytest.raises(KeyFileError, match="damaged or altered"):
        open_sealed(json.dumps(body).encode(), PASSPHRASE)


@pytest.mark.parametrize("kdf", [{"memory_kib": 1 << 24}, {"time_cost": 1000}, {"name": "pbkdf2"}])
def test_parameters_out_of_bounds_are_refused_before_any_work(kdf):
    body = json.loads(VECTOR)
    body["kdf"].update(kdf)
    with pytest.raises(KeyFileError, match="parameters this version accepts"):
        open_sealed(json.dumps(body).encode(), PASSPHRASE)


def test_not_a_key_file_and_a_short_passphrase():
    with pytest.raises(KeyFileError, match="not a key file"):
        open_sealed(b"PK\x03\x04 a zip file", PASSPHRASE)
    with pytest.raises(KeyFileError, match="at least 16 characters"):
        seal(KEYS, "short words")
