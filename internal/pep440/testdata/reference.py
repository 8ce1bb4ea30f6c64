# Reference oracle for the differential test: evaluates every case the Go
# test generated with pip's vendored packaging (21.3) in one process.
# Input (stdin): {"versions": [s...], "pairs": [[a, b]...], "specs": [[spec, item]...]}
# Output (stdout): the same shape with results; null where packaging rejects
# the input.
import json
import sys

from pip._vendor.packaging.specifiers import InvalidSpecifier, Specifier, SpecifierSet
from pip._vendor.packaging.version import InvalidVersion, Version


def parse(s):
    try:
        return Version(s)
    except InvalidVersion:
        return None


def main():
    d = json.load(sys.stdin)
    out = {"versions": [], "pairs": [], "specs": []}
    for s in d["versions"]:
        v = parse(s)
        if v is None:
            out["versions"].append(None)
        else:
            out["versions"].append([str(v), v.is_prerelease, v.is_postrelease, v.public, v.base_version, v.local or ""])
    for a, b in d["pairs"]:
        va, vb = parse(a), parse(b)
        out["pairs"].append(None if va is None or vb is None else (va > vb) - (va < vb))
    cache = {}
    for spec, item in d["specs"]:
        if spec not in cache:
            try:
                # Each clause must be a PEP 440 Specifier: SpecifierSet would
                # silently fall back to LegacySpecifier, which we do not support.
                for part in spec.split(","):
                    if part.strip():
                        Specifier(part.strip())
                cache[spec] = SpecifierSet(spec)
            except InvalidSpecifier:
                cache[spec] = None
        ss = cache[spec]
        out["specs"].append(None if ss is None else ss.contains(item))
    json.dump(out, sys.stdout)


main()
