#!/usr/bin/env bash
# Stop a test S3 server started by scripts/s3-up.sh DIR and delete DIR: SIGTERM to the gateway, then the
# OSD, then the mon (that order keeps shutdown quick), SIGKILL for any that outlives 10 s.
# Idempotent; only signals processes whose pid file is in DIR and whose name matches the daemon.
# Usage: scripts/s3-down.sh DIR   (S3_KEEP_DIR=1 keeps DIR, e.g. to read the logs)
set -uo pipefail

[ $# -eq 1 ] || {
  echo "usage: $0 DIR" >&2
  exit 2
}
D=$1
[ -d "$D" ] || exit 0

# Running and not a zombie: the daemons are orphans once s3-up.sh exits, and an init that reaps lazily
# leaves an exited one a zombie for a while (2 s seen), which `kill -0` still reports as alive.
alive() { [ -r "/proc/$1/stat" ] && [ "$(cut -d' ' -f3 "/proc/$1/stat" 2>/dev/null)" != Z ]; }

# stop NAME PROCESS_NAME: TERM the daemon whose pid is in $D/NAME.pid, wait for it, KILL after 10 s.
stop() {
  local pidfile=$D/$1.pid pid
  [ -f "$pidfile" ] || return 0
  pid=$(cat "$pidfile")
  if [ -n "$pid" ] && [ "$(cat "/proc/$pid/comm" 2>/dev/null)" = "$2" ]; then
    kill -TERM "$pid" 2>/dev/null
    for _ in $(seq 500); do
      alive "$pid" || break
      sleep 0.02
    done
    if alive "$pid"; then kill -KILL "$pid" 2>/dev/null; fi
  fi
  rm -f "$pidfile"
}

stop rgw radosgw
stop osd ceph-osd
stop mon ceph-mon
if [ -f "$D/watchdog.pid" ]; then
  # The watchdog exits by itself once ceph.conf is gone; stop it early when this runs on its own.
  wd=$(cat "$D/watchdog.pid")
  comm=$(cat "/proc/$wd/comm" 2>/dev/null)
  if [ "$wd" != "$PPID" ] && { [ "$comm" = bash ] || [ "$comm" = s3-up.sh ]; }; then kill -TERM "$wd" 2>/dev/null; fi
  rm -f "$D/watchdog.pid"
fi
if [ "${S3_KEEP_DIR:-0}" != 1 ] && [ -f "$D/ceph.conf" ]; then rm -rf "$D"; fi
exit 0
