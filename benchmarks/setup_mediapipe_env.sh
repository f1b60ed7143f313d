#!/usr/bin/env bash
# A separate virtual environment with MediaPipe 0.10.14, for benchmarks/mediapipe_compare.py only.
# The station itself never needs mediapipe.
set -euo pipefail
dest=${1:-/tmp/mpenv}
python3.11 -m venv "$dest"
"$dest/bin/pip" install --quiet "mediapipe==0.10.14" "numpy<2" "opencv-python-headless<4.11"
echo "mediapipe environment ready: $dest/bin/python"
