#!/bin/sh
# Start the kiosk with every desktop session (Electron's login items do not exist on Linux).
set -e
install -D -m 0644 /opt/idkiosk/resources/idkiosk-autostart.desktop /etc/xdg/autostart/idkiosk.desktop 2>/dev/null || true
