#!/usr/bin/env python3
"""Seeds fuzz/corpus/<target>/ from the MLS working group's vectors.

Deterministic: the same vector files always give the same files, each named
by the SHA-1 of its content (libFuzzer's own naming, so a later merge does not
duplicate a seed). Existing files are left alone; nothing is deleted.

    python3 fuzz/seed_corpus.py            # from the repository root

Forms written (see testdata/README.md for the sources):
  bare     every distinct bare KeyPackage (665)
  message  the same key packages as MLSMessage (mls10, mls_key_package)
  welcome  every MLSMessage Welcome of the vectors
  secrets  every GroupSecrets of messages.json
"""

import hashlib
import json
import os
import sys

ROOT = os.path.dirname(os.path.dirname(os.path.abspath(__file__)))
VECTORS = os.path.join(ROOT, "testdata", "mlswg")
CORPUS = os.path.join(ROOT, "fuzz", "corpus")

KEY_PACKAGE_HEADER = bytes.fromhex("00010005")
WELCOME_HEADER = bytes.fromhex("00010003")

TARGETS = {
    "decode_key_package": ["bare"],
    "decode_message": ["message", "welcome", "secrets"],
    "round_trip": ["bare", "message", "welcome"],
    "decode_validate_rustcrypto": ["bare", "message"],
    "decode_validate_ring": ["bare", "message"],
}


def load(name):
    with open(os.path.join(VECTORS, name), encoding="utf-8") as f:
        return json.load(f)


def unique(items):
    seen, out = set(), []
    for item in items:
        if item not in seen:
            seen.add(item)
            out.append(item)
    return out


def strip(message):
    if message[:4] != KEY_PACKAGE_HEADER:
        sys.exit("not an mls_key_package MLSMessage")
    return message[4:]


def forms():
    messages = load("messages.json")
    bare, welcomes, secrets = [], [], []
    for case in messages:
        bare.append(strip(bytes.fromhex(case["mls_key_package"])))
        bare.append(bytes.fromhex(case["add_proposal"]))
        welcomes.append(bytes.fromhex(case["mls_welcome"]))
        secrets.append(bytes.fromhex(case["group_secrets"]))
    for name in ("passive-client-welcome.json", "welcome.json"):
        for case in load(name):
            bare.append(strip(bytes.fromhex(case["key_package"])))
            welcomes.append(bytes.fromhex(case["welcome"]))
    for case in load("tree-operations.json"):
        proposal = bytes.fromhex(case["proposal"])
        if proposal[:2] == b"\x00\x01":  # Add
            bare.append(proposal[2:])
    bare = unique(bare)
    if len(bare) != 665:
        sys.exit(f"expected 665 distinct key packages, found {len(bare)}")
    for w in welcomes:
        if w[:4] != WELCOME_HEADER:
            sys.exit("a welcome is not an mls_welcome MLSMessage")
    return {
        "bare": bare,
        "message": [KEY_PACKAGE_HEADER + b for b in bare],
        "welcome": unique(welcomes),
        "secrets": unique(secrets),
    }


def main():
    all_forms = forms()
    for target, kinds in TARGETS.items():
        directory = os.path.join(CORPUS, target)
        os.makedirs(directory, exist_ok=True)
        written = 0
        for kind in kinds:
            for data in all_forms[kind]:
                path = os.path.join(directory, hashlib.sha1(data).hexdigest())
                if not os.path.exists(path):
                    with open(path, "wb") as f:
                        f.write(data)
                    written += 1
        print(f"{target}: {written} new seeds")


if __name__ == "__main__":
    main()
