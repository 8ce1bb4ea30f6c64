#!/bin/sh
# Developer bootstrap: local devpi cache, then the company index.
set -eu
pip install --index-url http://127.0.0.1:3141/root/pypi/+simple/ -r requirements.txt
pip config set global.extra-index-url https://pkgs.acme.example/simple
