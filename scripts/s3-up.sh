#!/usr/bin/env bash
# Start a throwaway S3 server for tests: Ceph's RADOS Gateway on a one-mon, one-memstore-OSD cluster
# with auth none, listening on 127.0.0.1 only, everything (config, data, logs, pids) under DIR.
# Ready in about a second; stop it with scripts/s3-down.sh DIR. Needs the Debian packages
# ceph-mon ceph-osd radosgw ceph-common (scripts/setup.sh installs them).
#
# Usage: scripts/s3-up.sh DIR [MONPORT RGWPORT]
#   DIR must be absent or empty. Ports default to free loopback ports.
# Env:   S3_ACCESS_KEY, S3_SECRET_KEY  credentials of the S3 user created (default: random)
#        S3_MEMSTORE_BYTES             in-memory OSD capacity (default 1 GiB)
#        COHORT_S3_OWNER_PID           stop the cluster once this process is gone (crashed test runs)
# Prints KEY=VALUE lines (S3_ENDPOINT, S3_REGION, S3_ACCESS_KEY, S3_SECRET_KEY, S3_DIR) on stdout and
# writes them to DIR/s3.env. On failure it prints the daemons' log tails, stops them and exits 1.
set -Eeuo pipefail

HERE=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
[ $# -eq 1 ] || [ $# -eq 3 ] || {
  echo "usage: $0 DIR [MONPORT RGWPORT]" >&2
  exit 2
}
mkdir -p "$1"
D=$(cd "$1" && pwd)
[ -z "$(ls -A "$D")" ] || {
  echo "s3-up: $D is not empty" >&2
  exit 2
}
for bin in monmaptool ceph-mon ceph-osd radosgw radosgw-admin ceph; do
  command -v "$bin" >/dev/null || {
    echo "s3-up: $bin not found; install ceph-mon ceph-osd radosgw ceph-common (scripts/setup.sh)" >&2
    exit 2
  }
done

# Nothing answers a connect on a free port. Another process may still take it before the daemon
# binds; the ListAllMyBucketsResult check below catches the gateway port, `ceph` timeouts the mon's.
port_free() { ! (exec 3<>"/dev/tcp/127.0.0.1/$1") 2>/dev/null; }
free_port() {
  local p
  for _ in $(seq 200); do
    p=$((20000 + RANDOM % 40000))
    if port_free "$p"; then
      echo "$p"
      return 0
    fi
  done
  echo "s3-up: no free port found" >&2
  return 1
}
if [ $# -eq 3 ]; then
  MONPORT=$2
  RGWPORT=$3
  for p in "$MONPORT" "$RGWPORT"; do
    port_free "$p" || {
      echo "s3-up: port $p is in use" >&2
      exit 1
    }
  done
else
  MONPORT=$(free_port)
  RGWPORT=$(free_port)
  while [ "$RGWPORT" = "$MONPORT" ]; do RGWPORT=$(free_port); done
fi

uuid() { cat /proc/sys/kernel/random/uuid; }
random_token() { tr -dc 'A-Za-z0-9' </dev/urandom | head -c "$1" || true; }
ACCESS_KEY=${S3_ACCESS_KEY:-$(random_token 20)}
SECRET_KEY=${S3_SECRET_KEY:-$(random_token 40)}

# The body of GET / on the gateway port, over bash's /dev/tcp (no curl needed); empty when nothing answers.
http_get_root() {
  (
    exec 3<>"/dev/tcp/127.0.0.1/$1" || exit 0
    printf 'GET / HTTP/1.0\r\nHost: 127.0.0.1\r\n\r\n' >&3
    timeout 2 cat <&3
  ) 2>/dev/null || true
}

# wait_for WHAT SECONDS PIDFILE CMD...: poll CMD every 0.05 s until it succeeds; give up after SECONDS
# or as soon as the daemon in PIDFILE has exited (a taken port, a bad config).
wait_for() {
  local what=$1 seconds=$2 pidfile=$3
  shift 3
  local deadline=$((SECONDS + seconds))
  until "$@"; do
    if ! kill -0 "$(cat "$pidfile")" 2>/dev/null; then
      echo "s3-up: $what exited during start" >&2
      return 1
    fi
    if [ "$SECONDS" -ge "$deadline" ]; then
      echo "s3-up: $what not ready within ${seconds}s" >&2
      return 1
    fi
    sleep 0.05
  done
}

fail() {
  echo "s3-up: start failed in $D (mon port $MONPORT, gateway port $RGWPORT)" >&2
  for f in "$D"/log/*.out "$D"/log/ceph-client.rgw.test.log; do
    [ -f "$f" ] || continue
    echo "--- $f" >&2
    tail -n 12 "$f" >&2
  done
  "$HERE/s3-down.sh" "$D" >&2 || true
  exit 1
}
trap fail ERR

mkdir -p "$D"/{run,log,crash,mon,osd/ceph-0,rgw}
FSID=$(uuid)
sed -e "s#@DIR@#$D#g;s#@FSID@#$FSID#;s#@MONPORT@#$MONPORT#;s#@RGWPORT@#$RGWPORT#" \
  -e "s#@MEMSTORE_BYTES@#${S3_MEMSTORE_BYTES:-1073741824}#" "$HERE/ceph.conf.in" >"$D/ceph.conf"
export CEPH_CONF=$D/ceph.conf
CEPH=(timeout 30 ceph --connect-timeout 20)

monmaptool --create --fsid "$FSID" --addv a "[v2:127.0.0.1:$MONPORT]" "$D/monmap" >"$D/log/mkfs.out" 2>&1
ceph-mon --mkfs -i a --monmap "$D/monmap" >>"$D/log/mkfs.out" 2>&1
ceph-mon -i a -f >"$D/log/mon.out" 2>&1 </dev/null &
echo $! >"$D/mon.pid"
wait_for "ceph-mon" 20 "$D/mon.pid" eval '! port_free "$MONPORT"'

OSD_UUID=$(uuid)
[ "$("${CEPH[@]}" osd new "$OSD_UUID" 2>>"$D/log/mkfs.out")" = 0 ]
ceph-osd -i 0 --mkfs --osd-uuid "$OSD_UUID" >>"$D/log/mkfs.out" 2>&1
ceph-osd -i 0 -f >"$D/log/osd.out" 2>&1 </dev/null &
echo $! >"$D/osd.pid"
# The gateway must not start before the OSD is up, else its start stalls for seconds. The OSD logs the
# moment the mon marks it up; reading that is 0.3 s faster per poll than `ceph osd stat` (Python).
wait_for "ceph-osd" 30 "$D/osd.pid" grep -q "state: booting -> active" "$D/log/ceph-osd.0.log"

radosgw -n client.rgw.test -f >"$D/log/rgw.out" 2>&1 </dev/null &
echo $! >"$D/rgw.pid"
# Anonymous GET / must list buckets in S3's XML: proves the answer comes from our gateway, not another server.
wait_for "radosgw" 30 "$D/rgw.pid" eval 'http_get_root "$RGWPORT" | grep -q ListAllMyBucketsResult'

timeout 30 radosgw-admin -n client.admin user create --uid=cohort-test --display-name=cohort-test \
  --access-key="$ACCESS_KEY" --secret-key="$SECRET_KEY" >"$D/user.json" 2>>"$D/log/mkfs.out"

if [ -n "${COHORT_S3_OWNER_PID:-}" ]; then
  # Watchdog: when the owner dies without stopping us (SIGKILL, crash), stop the cluster.
  (
    trap - ERR
    while kill -0 "$COHORT_S3_OWNER_PID" 2>/dev/null && [ -f "$D/ceph.conf" ]; do sleep 1; done
    if [ -f "$D/ceph.conf" ]; then "$HERE/s3-down.sh" "$D"; fi
  ) >/dev/null 2>&1 </dev/null &
  echo $! >"$D/watchdog.pid"
  disown
fi

trap - ERR
cat >"$D/s3.env" <<ENV
S3_ENDPOINT=http://127.0.0.1:$RGWPORT
S3_REGION=us-east-1
S3_ACCESS_KEY=$ACCESS_KEY
S3_SECRET_KEY=$SECRET_KEY
S3_DIR=$D
ENV
cat "$D/s3.env"
