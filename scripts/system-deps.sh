#!/usr/bin/env bash
# Debian packages the controller needs for the tests and the local lab: a real OpenSSH server for the
# integration tests, LXC + debootstrap + apt-cacher-ng + iptables for the lab. Services are kept from
# starting on install (policy-rc.d): the lab starts exactly what it needs, and lxc-net's NAT bridge never.
set -euo pipefail
[ "$(id -u)" = 0 ] || { echo "system-deps: run as root (apt-get install)" >&2; exit 9; }

pkgs=(openssh-server openssh-client sudo lxc debootstrap apt-cacher-ng iptables netcat-openbsd curl xz-utils dpkg-dev)
missing=()
for p in "${pkgs[@]}"; do
  dpkg-query -W -f '${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || missing+=("$p")
done
[ ${#missing[@]} = 0 ] && exit 0

created_policy=0
if [ ! -e /usr/sbin/policy-rc.d ]; then
  printf '#!/bin/sh\nexit 101\n' > /usr/sbin/policy-rc.d && chmod +x /usr/sbin/policy-rc.d && created_policy=1
fi
trap '[ $created_policy = 1 ] && rm -f /usr/sbin/policy-rc.d' EXIT
echo "system-deps: installing ${missing[*]}" >&2
apt-get update -qq
DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}" >/dev/null
