"""Peer implementation for bench/record: verify every installed file of an
environment against its RECORD with the standard library, the way the
ad-hoc scripts people use for this do (importlib.metadata files() and
PackagePath.hash; pip itself has no such command). Prints counts."""
import base64
import hashlib
import importlib.metadata as md
import sys


def main(site):
    files = modified = missing = 0
    for dist in md.distributions(path=[site]):
        for f in dist.files or []:
            if f.hash is None:
                continue
            try:
                with open(f.locate(), "rb") as fh:
                    data = fh.read()
            except FileNotFoundError:
                missing += 1
                continue
            files += 1
            digest = hashlib.new(f.hash.mode, data).digest()
            if base64.urlsafe_b64encode(digest).rstrip(b"=").decode() != f.hash.value:
                modified += 1
    print("files=%d modified=%d missing=%d" % (files, modified, missing))


if __name__ == "__main__":
    main(sys.argv[1])
