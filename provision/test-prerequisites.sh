#!/usr/bin/env bash
# What `npm test` needs on a fresh Debian 12 machine, installed or started only when missing (runs as `pretest`):
#  - Debian packages (as root, `apt-get update` first): QEMU (simulated VMs' consoles), Chromium (e2e), sshd,
#    Kea + dhclient (DHCP), iproute2 (network namespaces), MariaDB, the fonts the SSH terminal draws with,
#    TigerVNC's Xvnc with xclip, xdotool and xev (x11-utils) (a real VNC server: clipboard, keys, pointer);
#  - MariaDB running at 127.0.0.1:3306 with root and an empty password over TCP (as on CI's machine), started the way
#    this machine's own services are (start-stop-daemon), if it is not running;
#  - npm dependencies (`npm ci`) when node_modules is missing or older than package-lock.json.
set -uo pipefail
cd "$(dirname "$0")/.."
log() { printf '[prerequisites] %s\n' "$*" >&2; }

DEBS=(qemu-system-x86 chromium openssh-server openssh-client kea-dhcp4-server kea-admin isc-dhcp-client iproute2
      mariadb-server mariadb-client fonts-dejavu-core fonts-droid-fallback
      tigervnc-standalone-server xclip xdotool x11-utils)
missing=()
for p in "${DEBS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
if [ ${#missing[@]} -gt 0 ]; then
  if [ "$(id -u)" -ne 0 ]; then
    log "missing Debian packages: ${missing[*]} (run as root once, or install them); tests that need them will fail"
  else
    log "installing ${missing[*]}"
    export DEBIAN_FRONTEND=noninteractive
    { apt-get update -qq && apt-get install -y -qq --no-install-recommends "${missing[@]}"; } >&2 \
      || { log "apt-get install failed"; exit 1; }
  fi
fi

if command -v mariadbd >/dev/null 2>&1 || [ -x /usr/sbin/mariadbd ]; then
  if ! mysqladmin --protocol=tcp -h127.0.0.1 -uroot ping >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    log "starting MariaDB"
    mkdir -p /run/mysqld && chown mysql:mysql /run/mysqld
    start-stop-daemon --start --oknodo --background --exec /usr/sbin/mariadbd -- --user=mysql --bind-address=127.0.0.1
    for _ in $(seq 1 300); do mysqladmin --protocol=tcp -h127.0.0.1 -uroot ping >/dev/null 2>&1 && break; sleep 0.1; done
  fi
  # A fresh Debian install lets root in through the unix socket only; the tests connect over TCP as root, no password.
  if ! mysql --protocol=tcp -h127.0.0.1 -uroot -e 'SELECT 1' >/dev/null 2>&1 && [ "$(id -u)" -eq 0 ]; then
    log "allowing root over TCP without a password (as on CI's machine)"
    mysql -uroot -e "ALTER USER root@localhost IDENTIFIED VIA mysql_native_password USING PASSWORD('') OR unix_socket" || true
  fi
fi

if [ ! -f node_modules/.package-lock.json ] || [ package-lock.json -nt node_modules/.package-lock.json ]; then
  log "npm ci"
  npm ci --no-audit --no-fund >&2 || { log "npm ci failed"; exit 1; }
fi
exit 0
