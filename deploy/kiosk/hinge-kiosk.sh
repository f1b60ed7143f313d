#!/usr/bin/env bash
# Optional wall screen: Chromium full-screen on the member page, in the cage Wayland kiosk.
# Install: sudo apt install cage chromium; sudo install -m 0644 hinge-kiosk.service /etc/systemd/system/
#          sudo systemctl enable --now hinge-kiosk.service
set -euo pipefail
url=${HINGE_KIOSK_URL:-http://localhost:8000/}
# Wait for the station's page before opening it, so the screen never shows an error page.
for _ in $(seq 1 60); do
    if curl -fsS -o /dev/null "$url"; then break; fi
    sleep 2
done
exec cage -d -- chromium --ozone-platform=wayland --kiosk --noerrdialogs --disable-infobars --incognito --no-first-run \
    --disable-translate --check-for-update-interval=31536000 "$url"
