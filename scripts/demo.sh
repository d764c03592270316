#!/usr/bin/env bash
# The README's first command: on a fresh Debian 12 machine, as root, from a checkout of this repository.
# Installs what it needs, builds lnmp-deploy, brings up the four-host local lab (lb01, web01, web02, db01),
# deploys everything lnmp-deploy knows to it, and proves it with verify. The lab stays up afterwards so you
# can look around (`node bin/run.js lab status`, `ssh -F /var/tmp/lnmp-lab/ssh_config web01`);
# `node bin/run.js lab down` stops it.
set -euo pipefail
cd "$(dirname "$0")/.."
[ "$(id -u)" = 0 ] || { echo "demo: run as root (the lab creates containers, a bridge and firewall rules)" >&2; exit 9; }

say() { printf '\n\033[1m==> %s\033[0m\n' "$*"; }
cli() { node bin/run.js "$@"; }
config=${LNMP_LAB_DIR:-/var/tmp/lnmp-lab}/lnmp-deploy.yml
t0=$SECONDS

say "system packages (openssh, lxc, debootstrap, apt-cacher-ng, iptables)"
bash scripts/system-deps.sh
say "npm ci and build"
npm ci --no-audit --no-fund --loglevel=error
npm run build --silent
say "lab up: four Debian 12 hosts as LXC containers (the base image is built once, ~2 min)"
cli lab up --with-artifacts
say "plan: what the run will do"
cli plan -c "$config" | tail -n 30
say "run: deploy"
cli run -c "$config"
say "run again: nothing left to change"
cli run -c "$config"
say "verify"
cli verify -c "$config"

say "proven in $((SECONDS - t0)) s"
echo "Every check above passed on the lab hosts, reached over SSH with their host keys pinned in"
echo "$(dirname "$config")/known_hosts, and a second run changed nothing. Config: $config"
