#!/usr/bin/env bash
# Print the path of a Python interpreter of the given minor version (e.g. 3.10), also under pyenv,
# where `python3.10` on PATH is a shim that refuses when 3.10 is not the selected version.
set -euo pipefail
version="$1"
if command -v "python$version" >/dev/null 2>&1 && "python$version" -c 'import sys' >/dev/null 2>&1; then
  command -v "python$version"
  exit 0
fi
root="$(pyenv root 2>/dev/null || echo "$HOME/.pyenv")"
for candidate in "$root"/versions/"$version".*/bin/"python$version"; do
  if [ -x "$candidate" ]; then
    echo "$candidate"
    exit 0
  fi
done
echo "Python $version not found: install it (Debian/Ubuntu: apt-get install python$version, or pyenv install $version)" >&2
exit 1
