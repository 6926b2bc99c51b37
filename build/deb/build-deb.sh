#!/usr/bin/env bash
# Builds idkiosk_<version>_<arch>.deb with Debian's own dpkg-deb (electron-builder's deb target
# downloads its tools at build time, which this build machine cannot). The package carries:
#   /usr/lib/idkiosk/node      its own Node runtime (Debian 12's nodejs is older than `engines`)
#   /usr/lib/idkiosk/app       the app: package.json, dist/, renderer files, demo cards, the
#                              production node_modules with the native modules built here
#                              (the PC/SC binding included: counter PCs need no headers)
#   /usr/bin/idkiosk           the CLI;  /usr/bin/idkiosk-browser  Chromium --kiosk on the host
#   idkiosk.service            the headless host as a systemd service (user idkiosk)
# Usage: npm run build && bash build/deb/build-deb.sh [--version V] [--out DIR]
set -euo pipefail
root=$(cd "$(dirname "$0")/../.." && pwd)
here="$root/build/deb"
version=""
out="$root/release"
while [ $# -gt 0 ]; do
  case "$1" in
    --version) version=$2; shift 2 ;;
    --out) out=$2; shift 2 ;;
    *) echo "build-deb: unknown argument $1 (--version V, --out DIR)" >&2; exit 2 ;;
  esac
done
node=$(readlink -f "$(command -v node)")
[ -n "$version" ] || version=$("$node" -p "require('$root/package.json').version")
arch=$(dpkg --print-architecture)
fail() { echo "build-deb: $*" >&2; exit 1; }
command -v dpkg-deb >/dev/null || fail "dpkg-deb is missing: apt-get install dpkg"
[ -f "$root/dist/main/cli.js" ] || fail "dist/ is missing: run npm run build"
[ -f "$root/node_modules/smartcard/build/Release/smartcard_napi.node" ] ||
  fail "the PC/SC binding is not built, and the package must carry it: apt-get install libpcsclite-dev, then npm install"
"$node" -e "
  const want = require('$root/package.json').engines.node.replace(/^>=/, '').split('.').map(Number);
  const have = process.versions.node.split('.').map(Number);
  const ok = have[0] > want[0] || (have[0] === want[0] && (have[1] > want[1] || (have[1] === want[1] && have[2] >= (want[2] ?? 0))));
  if (!ok) { console.error('build-deb: Node ' + process.version + ' is older than engines.node ' + want.join('.')); process.exit(1); }
"

work=$(mktemp -d)
trap 'rm -rf "$work"' EXIT
stage="$work/idkiosk_${version}_${arch}"
app="$stage/usr/lib/idkiosk/app"
mkdir -p "$app" "$stage/DEBIAN"

# The app: the same selection as electron-builder.yml's `files`, without the tests' compiled code.
cp "$root/package.json" "$root/package-lock.json" "$app/"
(cd "$root" && find dist -type f \( -name '*.js' -o -name '*.cjs' \) ! -path 'dist/test/*' -print0 |
  tar --null -cf - -T - renderer/index.html renderer/style.css renderer/img drivers/emulator/demo) | tar -C "$app" -xf -
# Production dependencies as built on this machine (native modules for this Node's ABI).
cp -a "$root/node_modules" "$app/node_modules"
(cd "$app" && npm prune --omit=dev --no-audit --no-fund --ignore-scripts >/dev/null)
# Build by-products of the native modules are not needed at run time.
find "$app/node_modules" -type d -name obj.target -prune -exec rm -rf {} +
find "$app/node_modules" -mindepth 1 -maxdepth 1 -type d -empty -delete

install -D -m 0755 "$node" "$stage/usr/lib/idkiosk/node/bin/node"
for lic in /usr/share/doc/nodejs/LICENSE "$(dirname "$node")/../share/doc/node/LICENSE"; do
  if [ -f "$lic" ]; then install -D -m 0644 "$lic" "$stage/usr/lib/idkiosk/node/LICENSE"; break; fi
done
install -D -m 0755 "$here/idkiosk" "$stage/usr/bin/idkiosk"
install -D -m 0755 "$here/idkiosk-browser" "$stage/usr/bin/idkiosk-browser"
install -D -m 0644 "$here/idkiosk.service" "$stage/lib/systemd/system/idkiosk.service"
install -D -m 0644 "$here/default" "$stage/etc/default/idkiosk"
install -D -m 0644 "$here/chromium-policy.json" "$stage/etc/chromium/policies/managed/idkiosk.json"
install -D -m 0644 "$here/idkiosk-browser.desktop" "$stage/usr/share/applications/idkiosk.desktop"
install -D -m 0644 "$root/README.md" "$stage/usr/share/doc/idkiosk/README.md"
install -D -m 0644 "$root/docs/app.md" "$stage/usr/share/doc/idkiosk/app.md"

install -m 0755 "$here/DEBIAN/postinst" "$here/DEBIAN/prerm" "$here/DEBIAN/postrm" "$stage/DEBIAN/"
install -m 0644 "$here/DEBIAN/templates" "$stage/DEBIAN/"
printf '/etc/default/idkiosk\n/etc/chromium/policies/managed/idkiosk.json\n' > "$stage/DEBIAN/conffiles"
size=$(du -sk --exclude=DEBIAN "$stage" | cut -f1)
cat > "$stage/DEBIAN/control" <<CONTROL
Package: idkiosk
Version: $version
Architecture: $arch
Maintainer: idkiosk <support@idkiosk.invalid>
Installed-Size: $size
Depends: pcscd, libpcsclite1, chromium, fonts-noto-core, debconf (>= 0.5) | debconf-2.0, libc6, libstdc++6, passwd, util-linux, init-system-helpers
Recommends: libccid
Section: misc
Priority: optional
Description: chip ID card verification kiosk (CCCD, ICAO 9303 eMRTD)
 Reads the chip of Vietnamese citizen ID cards (CCCD) and e-passports through
 PC/SC readers, checks locally that the chip is genuine, matches the face, and
 keeps signed verification records until the central ingest server has them.
 Runs as the systemd service idkiosk (headless host on 127.0.0.1:8917);
 idkiosk-browser opens it in Chromium's kiosk mode. Includes its own Node.js.
CONTROL
(cd "$stage" && find . -path ./DEBIAN -prune -o -type f -printf '%P\0' | xargs -0 md5sum > DEBIAN/md5sums)
mkdir -p "$out"
deb="$out/idkiosk_${version}_${arch}.deb"
dpkg-deb --root-owner-group -Zzstd -z3 --build "$stage" "$deb" >/dev/null
echo "$deb"
