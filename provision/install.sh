#!/usr/bin/env bash
# Installs EarCandle on a fresh Debian 12 gateway VM, as root:
#   MariaDB (one database for Guacamole tables + EarCandle + sessions; a second one for Kea), Kea DHCPv4 with the
#   MySQL host backend, nginx for TLS, the earcandle user, the built application in /opt/earcandle and its units.
# Usage: provision/install.sh [--with-kea] [--with-nginx]   (run from a checkout that `npm ci && npm run build` built)
set -euo pipefail

WITH_KEA=0; WITH_NGINX=0
for arg in "$@"; do
  case "$arg" in
    --with-kea) WITH_KEA=1 ;;
    --with-nginx) WITH_NGINX=1 ;;
    *) echo "install.sh: unknown option $arg" >&2; exit 64 ;;
  esac
done

[ "$(id -u)" -eq 0 ] || { echo "install.sh: run as root" >&2; exit 77; }
src=$(cd "$(dirname "$0")/.." && pwd)
[ -f "$src/dist/src/cli.js" ] || { echo "install.sh: build first (npm ci && npm run build)" >&2; exit 66; }
node_major=$(node -p 'process.versions.node.split(".")[0]' 2>/dev/null || echo 0)
[ "$node_major" -ge 20 ] || { echo "install.sh: Node.js 20 or newer is required (found ${node_major})" >&2; exit 69; }

export DEBIAN_FRONTEND=noninteractive
apt-get update -qq
apt-get install -y -qq --no-install-recommends mariadb-server openssl
[ "$WITH_KEA" -eq 1 ] && apt-get install -y -qq --no-install-recommends kea-dhcp4-server kea-admin
[ "$WITH_NGINX" -eq 1 ] && apt-get install -y -qq --no-install-recommends nginx

install -m 0644 "$src/provision/mariadb/60-earcandle.cnf" /etc/mysql/mariadb.conf.d/60-earcandle.cnf
systemctl restart mariadb

id earcandle >/dev/null 2>&1 || useradd --system --home /var/lib/earcandle --shell /usr/sbin/nologin earcandle
install -d -o earcandle -g earcandle -m 0750 /var/lib/earcandle
install -d -m 0750 -g earcandle /etc/earcandle

# Database and credentials, generated once.
if [ ! -f /etc/earcandle/earcandle.env ]; then
  db_pw=$(openssl rand -hex 24)
  mysql -e "CREATE DATABASE IF NOT EXISTS earcandle CHARACTER SET utf8mb4 COLLATE utf8mb4_unicode_ci;
            CREATE USER IF NOT EXISTS 'earcandle'@'localhost' IDENTIFIED BY '${db_pw}';
            CREATE USER IF NOT EXISTS 'earcandle'@'127.0.0.1' IDENTIFIED BY '${db_pw}';
            GRANT ALL ON earcandle.* TO 'earcandle'@'localhost', 'earcandle'@'127.0.0.1';"
  umask 027
  cat > /etc/earcandle/earcandle.env <<ENV
EARCANDLE_DB_URL=mysql://earcandle:${db_pw}@127.0.0.1:3306/earcandle
EARCANDLE_SECRETS_SESSION_SECRET=$(openssl rand -hex 32)
EARCANDLE_SECRETS_CONSOLE_TOKEN_KEY=$(openssl rand -hex 32)
EARCANDLE_SECRETS_ENCRYPTION_KEY=$(openssl rand -hex 32)
ENV
  chgrp earcandle /etc/earcandle/earcandle.env
fi
[ -f /etc/earcandle/earcandle.json ] || echo '{ "http": { "bind": "127.0.0.1", "port": 8080, "secureCookies": true, "trustProxy": true } }' \
  > /etc/earcandle/earcandle.json

if [ "$WITH_KEA" -eq 1 ]; then
  kea_pw=$(openssl rand -hex 24)
  if ! mysql -e 'USE earcandle_kea' 2>/dev/null; then
    mysql -e "CREATE DATABASE earcandle_kea;
              CREATE USER IF NOT EXISTS 'kea'@'localhost' IDENTIFIED BY '${kea_pw}';
              GRANT ALL ON earcandle_kea.* TO 'kea'@'localhost';
              GRANT SELECT, INSERT, UPDATE, DELETE ON earcandle_kea.* TO 'earcandle'@'localhost', 'earcandle'@'127.0.0.1';"
    kea-admin db-init mysql -u kea -p "$kea_pw" -n earcandle_kea
    sed "s/CHANGE-ME/${kea_pw}/" "$src/provision/kea/kea-dhcp4.json" > /etc/kea/kea-dhcp4.conf
    echo 'EARCANDLE_DHCP_KEA_DATABASE=earcandle_kea' >> /etc/earcandle/earcandle.env
    echo "install.sh: edit /etc/kea/kea-dhcp4.conf (interface, subnet), then: systemctl restart kea-dhcp4-server"
  fi
fi

rsync -a --delete --exclude .git --exclude test --exclude bench "$src/" /opt/earcandle/ 2>/dev/null || cp -a "$src/." /opt/earcandle/
install -m 0644 "$src/provision/systemd/earcandle.service" "$src/provision/systemd/earcandle-migrate.service" /etc/systemd/system/
systemctl daemon-reload
systemctl enable --now earcandle-migrate.service earcandle.service

if [ "$WITH_NGINX" -eq 1 ]; then
  install -d -m 0750 /etc/earcandle/tls
  if [ ! -f /etc/earcandle/tls/fullchain.pem ]; then
    openssl req -x509 -newkey rsa:3072 -nodes -days 825 -subj "/CN=$(hostname -f)" \
      -keyout /etc/earcandle/tls/privkey.pem -out /etc/earcandle/tls/fullchain.pem 2>/dev/null
  fi
  install -m 0644 "$src/provision/nginx/earcandle.conf" /etc/nginx/sites-available/earcandle.conf
  ln -sf /etc/nginx/sites-available/earcandle.conf /etc/nginx/sites-enabled/earcandle.conf
  rm -f /etc/nginx/sites-enabled/default
  nginx -t && systemctl reload nginx
fi

echo "EarCandle is installed. Create the first admin:"
echo "  sudo -u earcandle env \$(cat /etc/earcandle/earcandle.env) node /opt/earcandle/dist/src/cli.js user add admin --admin --password-stdin"
