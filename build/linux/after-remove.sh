#!/bin/sh
set -e
rm -f /etc/xdg/autostart/idkiosk.desktop
