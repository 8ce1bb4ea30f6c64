"""Run pip's own requirements-file parser over the cases the Go test sends.

Used by internal/pydeps/pipdiff_test.go (the pip differential). It reads a
JSON document on stdin:

    {"cases": [{"name": "...", "main": "requirements.txt", "constraint": false,
                "files": {"requirements.txt": "<base64>", ...},
                "dirs": ["local-pkg"]}],
     "envs": [{"python_version": "3.11", ...}, ...]}

and for each case writes the files into a fresh temporary directory (each
name in "dirs" becomes an installable project directory), changes into it,
and runs pip exactly as `pip install -r main` (or `-c main`) would parse it:
req_file.parse_requirements, then constructors.install_req_from_parsed_
requirement for every requirement. It prints one JSON result per case with
what pip produced (name, specifiers, extras, marker and its value in each
environment, link, editable, constraint, hashes, the index options of
option lines, logged warnings) or the error that stops pip.

pip is whatever `import pip` finds: Debian's python3-pip, or a source tree
put first on PYTHONPATH. Nothing is installed and nothing is fetched: a
remote include or URL is never requested (a session that refuses is used).
"""

import base64
import json
import logging
import os
import re
import sys
import tempfile
import urllib.parse

import pip
from pip._internal.req import req_file
from pip._internal.req.constructors import install_req_from_parsed_requirement

try:
    from pip._vendor.packaging.utils import canonicalize_name
except ImportError:  # pragma: no cover
    canonicalize_name = None


class NoNetwork:
    """A session that refuses every request (remote includes fail)."""

    def get(self, url, *a, **kw):
        raise RuntimeError("network access refused in the differential: %s" % url)


class Captured(logging.Handler):
    def __init__(self):
        super().__init__(logging.WARNING)
        self.messages = []

    def emit(self, record):
        try:
            self.messages.append(record.getMessage())
        except Exception:  # pragma: no cover
            self.messages.append(str(record.msg))


OPTION_FIELDS = [
    ("index_url", "--index-url", False),
    ("extra_index_urls", "--extra-index-url", True),
    ("trusted_hosts", "--trusted-host", True),
    ("find_links", "--find-links", True),
    ("no_index", "--no-index", False),
    ("pre", "--pre", False),
    ("require_hashes", "--require-hashes", False),
    ("no_require_hashes", "--no-require-hashes", False),
]


def option_records(opts, filename, lineno, root):
    out = []
    for attr, name, many in OPTION_FIELDS:
        v = getattr(opts, attr, None)
        if not v:
            continue
        values = v if many else [v]
        for x in values:
            out.append({"file": rel(filename, root), "line": lineno, "option": name,
                        "value": "" if x is True else str(x)})
    return out


def rel(p, root):
    p = str(p)
    if os.path.isabs(p):
        p = os.path.relpath(p, root)
    return os.path.normpath(p).replace(os.sep, "/")


def link_url(link, root):
    """The link, with file: URLs into the case directory (or next to it)
    written relative to it as the requirement line wrote them."""
    if link is None:
        return None
    u = link.url
    if u.startswith("file://"):
        p = urllib.parse.unquote(urllib.parse.urlsplit(u).path)
        parent = os.path.dirname(root)
        if p == root or p.startswith(root + "/"):
            return "./" + p[len(root) + 1:] if p != root else "."
        if p.startswith(parent + "/"):
            return "../" + p[len(parent) + 1:]
    return u


def run_case(case, envs):
    root = tempfile.mkdtemp(prefix="pipdiff-")
    root = os.path.realpath(root)
    for name, b64 in case["files"].items():
        p = os.path.join(root, name)
        os.makedirs(os.path.dirname(p), exist_ok=True)
        with open(p, "wb") as f:
            f.write(base64.b64decode(b64))
    for d in case.get("dirs") or []:
        p = os.path.join(root, d)
        os.makedirs(p, exist_ok=True)
        with open(os.path.join(p, "pyproject.toml"), "w") as f:
            f.write('[project]\nname = "local"\nversion = "1.0"\n')
    old = os.getcwd()
    os.chdir(root)
    options = []
    orig = req_file.handle_option_line

    def recording(opts, filename, lineno, *a, **kw):
        options.extend(option_records(opts, filename, lineno, root))
        return orig(opts, filename, lineno, *a, **kw)

    req_file.handle_option_line = recording
    cap = Captured()
    logging.getLogger().addHandler(cap)
    logging.getLogger().setLevel(logging.WARNING)
    reqs = []
    error = None
    try:
        for parsed in req_file.parse_requirements(case["main"], session=NoNetwork(),
                                                  constraint=case.get("constraint", False)):
            ireq = install_req_from_parsed_requirement(parsed)
            m = re.search(r"^-[rc] (.*) \(line (\d+)\)$", parsed.comes_from)
            marker = ireq.markers
            evals = []
            if marker is not None:
                for env in envs:
                    try:
                        evals.append(bool(marker.evaluate(dict(env))))
                    except Exception as e:  # undefined comparisons
                        evals.append("error: %s" % type(e).__name__)
            hashes = []
            for algo, digests in sorted((ireq.hash_options or {}).items()):
                hashes.extend("%s:%s" % (algo, d) for d in digests)
            name = ireq.req.name if ireq.req is not None else None
            reqs.append({
                "file": rel(m.group(1), root) if m else None,
                "line": int(m.group(2)) if m else 0,
                "name": name,
                "canonical": canonicalize_name(name) if name and canonicalize_name else name,
                "specifier": sorted(str(s) for s in ireq.req.specifier) if ireq.req is not None else [],
                "extras": sorted(e.lower() for e in ireq.extras),
                "marker": str(marker) if marker is not None else None,
                "marker_eval": evals,
                "url": link_url(ireq.link, root),
                "editable": bool(ireq.editable),
                "constraint": bool(ireq.constraint),
                "hashes": sorted(hashes),
            })
    except BaseException as e:  # pip stops at the first error
        if isinstance(e, KeyboardInterrupt):
            raise
        error = "%s: %s" % (type(e).__name__, str(e).splitlines()[0] if str(e) else "")
    finally:
        req_file.handle_option_line = orig
        logging.getLogger().removeHandler(cap)
        os.chdir(old)
    return {"name": case["name"], "error": error, "reqs": reqs, "options": options,
            "warnings": cap.messages}


def main():
    doc = json.load(sys.stdin)
    out = {"pip": pip.__version__, "python": sys.version.split()[0],
           "pip_file": pip.__file__, "results": []}
    sys.setrecursionlimit(400)  # pip < 24.3 recurses on include cycles
    for case in doc["cases"]:
        out["results"].append(run_case(case, doc.get("envs", [])))
    json.dump(out, sys.stdout)


if __name__ == "__main__":
    main()
