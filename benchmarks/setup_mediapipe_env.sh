#!/usr/bin/env bash
# A separate virtual environment with MediaPipe 0.10.14, for benchmarks/mediapipe_compare.py only.
# The station itself never needs mediapipe. Its packages come from their own lock
# (requirements/mediapipe.txt: x86_64, CPython 3.11, every file's sha256).
set -euo pipefail
here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
dest=${1:-$here/../.cache/mpenv}
python3.11 -m venv "$dest"
"$dest/bin/pip" install --quiet --disable-pip-version-check --require-hashes --no-deps \
    -r "$here/../requirements/mediapipe.txt"
echo "mediapipe environment ready: $dest/bin/python"
