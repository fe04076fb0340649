#!/usr/bin/env bash
# Installs drivebot on a Debian or Ubuntu server as two systemd services: the daemon
# (drivebot.service) and the verification page (drivebot-web.service). Run as root from a
# checkout of drivebot; run it again to upgrade (the workspace and its configuration are kept).
#
#   sudo bash deploy/install.sh [--prefix /opt/drivebot] [--workspace /var/lib/drivebot]
#                               [--user drivebot] [--no-start]
set -euo pipefail
source_dir="$(cd "$(dirname "$0")/.." && pwd)"
prefix=/opt/drivebot
workspace=/var/lib/drivebot
user=drivebot
start=yes
while [ $# -gt 0 ]; do
    case "$1" in
        --prefix) prefix="$2"; shift 2 ;;
        --workspace) workspace="$2"; shift 2 ;;
        --user) user="$2"; shift 2 ;;
        --no-start) start=no; shift ;;
        *) echo "unknown option: $1" >&2; exit 2 ;;
    esac
done
[ "$(id -u)" -eq 0 ] || { echo "run as root (sudo)" >&2; exit 2; }

if ! python3 -c "import ensurepip, venv" 2>/dev/null; then
    apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq python3-venv
fi
id -u "$user" >/dev/null 2>&1 || useradd --system --home-dir "$workspace" --no-create-home \
    --shell /usr/sbin/nologin "$user"

install -d -m 0755 "$prefix"
[ -x "$prefix/venv/bin/python" ] || python3 -m venv "$prefix/venv"
"$prefix/venv/bin/pip" install -q --disable-pip-version-check --upgrade "$source_dir"
install -m 0644 "$source_dir/README.md" "$prefix/README.md"

install -d -o "$user" -g "$user" -m 0750 "$workspace"
runuser -u "$user" -- "$prefix/venv/bin/drivebot" init "$workspace"

for unit in drivebot.service drivebot-web.service; do
    sed -e "s#/opt/drivebot#$prefix#g" -e "s#/var/lib/drivebot#$workspace#g" \
        -e "s#^User=drivebot#User=$user#" -e "s#^Group=drivebot#Group=$user#" \
        "$source_dir/deploy/$unit" > "/etc/systemd/system/$unit"
done
systemctl daemon-reload
systemctl enable drivebot.service drivebot-web.service
if [ "$start" = yes ]; then
    systemctl restart drivebot.service drivebot-web.service
fi
cat <<MSG
drivebot is installed in $prefix, its workspace is $workspace.
Next: edit $workspace/drivebot.toml (OPDs, reviewers, admins, [web] base_url), then
  systemctl reload drivebot        # the daemon reads the configuration again
  systemctl restart drivebot-web
and put the reverse proxy in front of the page (deploy/Caddyfile or deploy/nginx.conf).
Health: runuser -u $user -- $prefix/venv/bin/drivebot health --workspace $workspace
MSG
