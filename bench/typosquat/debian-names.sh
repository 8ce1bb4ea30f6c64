#!/usr/bin/env bash
# Regenerates internal/typosquat/testdata/debian-python3-names.txt: the
# Python packages Debian ships (`apt-cache pkgnames python3-`), as the
# precision corpus of legitimate, mostly less popular project names. The
# "python3-" prefix is dropped; -dbg and -doc variants are not projects.
set -euo pipefail
cd "$(dirname "$0")/../.."
out=internal/typosquat/testdata/debian-python3-names.txt
{
  echo "# Debian Python package names: apt-cache pkgnames python3- on Debian $(cat /etc/debian_version),"
  echo "# $(date -u +%Y-%m-%d), prefix python3- removed, -dbg/-doc variants dropped."
  echo "# Regenerate: bench/typosquat/debian-names.sh"
  apt-cache pkgnames python3- | sed 's/^python3-//' | grep -vE -- '-(dbg|doc)$' | LC_ALL=C sort -u
} > "$out"
wc -l "$out"
