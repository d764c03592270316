#!/bin/bash
# Talks memcached's text protocol over TCP with bash alone (no nc/php needed on the caller):
# set, get and delete one key, and prints the server's replies. Run as: bash -s -- HOST PORT KEY VALUE
set -u
host=$1 port=$2 key=$3 value=$4
if ! exec 3<>"/dev/tcp/$host/$port"; then
  echo "cannot connect to $host:$port"
  exit 2
fi
printf 'set %s 0 60 %d\r\n%s\r\nget %s\r\ndelete %s\r\nquit\r\n' "$key" "${#value}" "$value" "$key" "$key" >&3
timeout 5 cat <&3 | tr -d '\r'
