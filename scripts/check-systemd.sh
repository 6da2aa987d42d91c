#!/usr/bin/env bash
# The real install, proven in a booted systemd: boots a Debian 12 container (systemd-nspawn), runs
# scripts/install.sh --bundle in it with a file camera and checks what a user relies on:
#
#   the unit reaches active (running) after READY=1       detections arrive on MQTT
#   systemctl reload applies a threshold change           systemctl reload fails on a refused config
#   kill -9 of the main PID is followed by a restart      a frozen process (SIGSTOP) is killed by the watchdog
#   systemctl stop exits cleanly, availability offline    journal lines are readable, tagged lookout
#   systemd-analyze security scores <= 2.0                uninstall.sh leaves only what it says it keeps
#   the page's Save (HTTP API) rewrites /etc/lookout/config.yaml with a backup, the next detections
#   and base/config follow it; a refused save leaves the file alone; the service cannot reach the
#   credentials folder; a drop-in with ReadOnlyPaths=/etc/lookout turns Save off
#
#   sudo scripts/check-systemd.sh [--bundle FILE] [--keep]
#
# Opt-in (minutes, root, not part of npm test). Needs an x86_64 Debian 12 host; makes (and caches in
# /var/cache/lookout-systemd) a minbase bookworm root with systemd, the bundle's apt runtime packages
# and Mosquitto, installed before boot because the container runs with a private network. Without
# --bundle it builds the x64 bundle first (scripts/bundle.sh). --keep leaves the container running
# and prints how to enter it. Its last output belongs in docs/service.md.
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
CACHE=${LOOKOUT_SYSTEMD_CACHE:-/var/cache/lookout-systemd}
BUNDLE=""
KEEP=0
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) BUNDLE=$2; shift 2 ;;
    --bundle=*) BUNDLE=${1#--bundle=}; shift ;;
    --keep) KEEP=1; shift ;;
    -h|--help) sed -n '2,20p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-systemd: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || { echo "check-systemd: run as root (debootstrap, systemd-nspawn)" >&2; exit 1; }
[ "$(uname -m)" = x86_64 ] || { echo "check-systemd: needs an x86_64 host (the container runs the x64 bundle)" >&2; exit 1; }

T0=$(date +%s)
TS=$T0
STEP=""
step() {
  local now; now=$(date +%s)
  [ -n "$STEP" ] && echo "    ($((now - TS)) s)"
  STEP="$1"; TS=$now; echo "==> $1"
}
PASSED=()
FAILED=()
pass() { PASSED+=("$1"); echo "    PASS  $1"; }
fail() { FAILED+=("$1"); echo "    FAIL  $1"; }
check() { local what=$1; shift; if "$@"; then pass "$what"; else fail "$what"; fi; }

NSPAWN_PID=""
CT=""
WORK=$(mktemp -d /tmp/lookout-systemd-check.XXXXXX)
chmod 0755 "$WORK"
cleanup() {
  if [ -n "$NSPAWN_PID" ] && [ "$KEEP" -eq 0 ]; then
    kill "$NSPAWN_PID" 2>/dev/null || true
    for _ in $(seq 1 50); do kill -0 "$NSPAWN_PID" 2>/dev/null || break; sleep 0.2; done
    kill -9 "$NSPAWN_PID" 2>/dev/null || true
  fi
  [ "$KEEP" -eq 1 ] || rm -rf "$WORK"
}
trap cleanup EXIT

step "host tools"
need=()
for p in systemd-container debootstrap; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
done
if [ ${#need[@]} -gt 0 ]; then
  apt-get update -qq && DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
fi
echo "    systemd-nspawn $(systemd-nspawn --version | head -1 | awk '{print $2}'), debootstrap present"

step "bundle"
if [ -z "$BUNDLE" ]; then
  mkdir -p "$CACHE"
  "$ROOT/scripts/bundle.sh" --arch x64 --out "$CACHE/bundles" > "$CACHE/bundle.log" 2>&1 \
    || { tail -20 "$CACHE/bundle.log" >&2; echo "check-systemd: scripts/bundle.sh failed; see $CACHE/bundle.log" >&2; exit 1; }
  grep -E '^==> bundle: done' -A1 "$CACHE/bundle.log" | tail -1 | sed 's/^ */    built: /'
  BUNDLE=$(ls -t "$CACHE"/bundles/lookout-*-linux-x64.tar.gz | head -1)
fi
[ -f "$BUNDLE" ] || { echo "check-systemd: no bundle at '$BUNDLE'" >&2; exit 1; }
BUNDLE=$(cd "$(dirname "$BUNDLE")" && pwd)/$(basename "$BUNDLE")
echo "    $BUNDLE ($(du -m "$BUNDLE" | cut -f1) MB)"
APT_RUNTIME=$(tar -xzOf "$BUNDLE" --wildcards '*/BUNDLE' | sed -n 's/^APT_RUNTIME="\{0,1\}\([^"]*\)"\{0,1\}$/\1/p' | head -1)
[ -n "$APT_RUNTIME" ] || { echo "check-systemd: the bundle's BUNDLE file names no APT_RUNTIME packages" >&2; exit 1; }

step "Debian 12 root with systemd (cached)"
MIRROR=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
[ -n "$MIRROR" ] || MIRROR=$(grep -hsE '^deb ' /etc/apt/sources.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
MIRROR=${MIRROR:-http://deb.debian.org/debian}
KEY=$(echo "$APT_RUNTIME mosquitto mosquitto-clients" | sha256sum | cut -c1-12)
CTROOT=$CACHE/root-$KEY
BASE=$CACHE/base
if [ ! -f "$BASE/.lookout-ready" ]; then
  rm -rf "$BASE.tmp"
  mkdir -p "$CACHE"
  debootstrap --variant=minbase --include=systemd,systemd-sysv,dbus,ca-certificates,procps bookworm "$BASE.tmp" "$MIRROR" \
    > "$CACHE/debootstrap.log" 2>&1 || { tail -5 "$CACHE/debootstrap.log" >&2; exit 1; }
  # debootstrap leaves no /etc/hosts (localhost would not resolve) and apt sources of its own.
  printf '127.0.0.1 localhost\n::1 localhost\n' > "$BASE.tmp/etc/hosts"
  printf 'deb %s bookworm main\ndeb %s bookworm-updates main\n' "$MIRROR" "$MIRROR" > "$BASE.tmp/etc/apt/sources.list"
  touch "$BASE.tmp/.lookout-ready"
  mv "$BASE.tmp" "$BASE"
  echo "    made $BASE"
fi
if [ ! -f "$CTROOT/.lookout-ready" ]; then
  rm -rf "$CTROOT.tmp"
  cp -a "$BASE" "$CTROOT.tmp"
  rm -f "$CTROOT.tmp/.lookout-ready"
  cp /etc/resolv.conf "$CTROOT.tmp/etc/resolv.conf" 2>/dev/null || true
  # The container has no network: everything install.sh would fetch is installed now, through chroot.
  for d in proc sys dev; do mount --bind "/$d" "$CTROOT.tmp/$d"; done
  rc=0
  { chroot "$CTROOT.tmp" apt-get update -qq &&
    # shellcheck disable=SC2086
    chroot "$CTROOT.tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      $APT_RUNTIME mosquitto mosquitto-clients; } > "$CACHE/apt.log" 2>&1 || rc=$?
  for d in dev sys proc; do umount "$CTROOT.tmp/$d"; done
  [ $rc -eq 0 ] || { echo "check-systemd: apt in the root failed; see $CACHE/apt.log" >&2; tail -5 "$CACHE/apt.log" >&2; exit 1; }
  chroot "$CTROOT.tmp" apt-get clean
  touch "$CTROOT.tmp/.lookout-ready"
  mv "$CTROOT.tmp" "$CTROOT"
  echo "    made $CTROOT"
else
  echo "    cached: $CTROOT"
fi

step "boot the container"
cp "$BUNDLE" "$WORK/"
# A short clip of the demo video, played in a loop: the service runs on it as on a camera.
VIDEO=$ROOT/.cache/testdata/vtest.avi
[ -f "$VIDEO" ] || { echo "check-systemd: $VIDEO missing (scripts/setup.sh --test)" >&2; exit 1; }
cp "$VIDEO" "$WORK/vtest.avi"
# The page's requests, as its own script makes them (same origin, JSON): node page.js METHOD PATH [BODY]
# prints "<status> <body>". The container has no curl; the bundle's Node has everything needed.
cat > "$WORK/page.js" <<'JS'
const http = require('node:http');
const [method, path, body] = process.argv.slice(2);
const headers = { origin: 'http://127.0.0.1:9464', ...(body ? { 'content-type': 'application/json' } : {}) };
const req = http.request({ host: '127.0.0.1', port: 9464, method, path, headers }, (res) => {
  let text = '';
  res.on('data', (c) => (text += c));
  res.on('end', () => console.log(`${res.statusCode} ${text}`));
});
req.on('error', (e) => console.log(`000 ${e.message}`));
req.end(body);
JS
chmod 0644 "$WORK"/*
NAME=lookout-check-$$
systemd-nspawn -D "$CTROOT" --machine="$NAME" --register=no --keep-unit --private-network --volatile=overlay \
  --bind-ro="$WORK:/check" -b > "$WORK.console.log" 2>&1 &
NSPAWN_PID=$!
for _ in $(seq 1 100); do
  CT=$(pgrep -P "$NSPAWN_PID" -x systemd || true)
  [ -n "$CT" ] && break
  sleep 0.1
done
[ -n "$CT" ] || { echo "check-systemd: the container did not boot; console:" >&2; tail -20 "$WORK.console.log" >&2; exit 1; }
ct() { nsenter -t "$CT" -a "$@"; }
state=""
for _ in $(seq 1 100); do
  state=$(ct systemctl is-system-running 2>/dev/null || true)
  case "$state" in running|degraded) break ;; esac
  sleep 0.2
done
echo "    container PID 1 is host PID $CT, system $state, $(ct systemctl --version | head -1)"
ct systemctl is-active --quiet mosquitto || ct systemctl start mosquitto

step "install from the bundle (scripts/install.sh --bundle)"
# No config yet: the install writes its starter config, with the video as the camera (a container
# has no camera device) and the container's Mosquitto as the broker.
INSTALL_START=$(date +%s)
ct bash -c "mkdir -p /tmp/b && tar -xzf /check/$(basename "$BUNDLE") -C /tmp/b && /tmp/b/*/scripts/install.sh --bundle /check/$(basename "$BUNDLE") --camera /check/vtest.avi --mqtt-url mqtt://127.0.0.1:1883 --device-id ct" > "$WORK.install.log" 2>&1 \
  && pass "install.sh --bundle exits 0 ($(( $(date +%s) - INSTALL_START )) s)" \
  || { fail "install.sh --bundle exits 0"; tail -20 "$WORK.install.log"; exit 1; }
sed 's/^/    | /' "$WORK.install.log" | grep -E 'install: done|camera:|broker:|bundle:|sha256|node:' | head -12

prop() { ct systemctl show -p "$1" --value lookout; }
wait_for() { # wait_for SECONDS COMMAND...: true once COMMAND succeeds
  local until=$(( $(date +%s) + $1 )); shift
  while [ "$(date +%s)" -lt "$until" ]; do "$@" && return 0; sleep 0.5; done
  return 1
}
active_running() { [ "$(prop ActiveState)" = active ] && [ "$(prop SubState)" = running ]; }
sub1() { ct timeout "$2" mosquitto_sub -h 127.0.0.1 -C 1 -t "$1" 2>/dev/null; }

step "service runs and publishes"
check "unit active (running) after READY=1" wait_for 120 active_running
check "detections arrive on lookout/ct/camera1/detections" bash -c "[ -n \"\$(nsenter -t $CT -a timeout 60 mosquitto_sub -h 127.0.0.1 -C 1 -t lookout/ct/camera1/detections)\" ]"
check "availability is online (retained)" bash -c "[ \"\$(nsenter -t $CT -a timeout 10 mosquitto_sub -h 127.0.0.1 -C 1 -t lookout/ct/availability)\" = online ]"
check "lookout is on PATH in the container" ct bash -c 'command -v lookout >/dev/null'
check "the starter config has no schedule and the full example lies beside it" ct bash -c '! grep -qE "^ *schedule:" /etc/lookout/config.yaml && [ -f /etc/lookout/config.example.yaml ]'
check "lookout doctor, as the service user, passes" ct runuser -u lookout -- lookout doctor --no-cameras

step "reload"
HASH_BEFORE=$(sub1 lookout/ct/config 10 | sed -n 's/.*"hash":"\([^"]*\)".*/\1/p')
ct sed -i 's/^    max_fps: 5$/    max_fps: 5\n    objects: {min_score: 0.9}/' /etc/lookout/config.yaml
check "systemctl reload with a valid change exits 0" ct systemctl reload lookout
reload_applied() { local h; h=$(sub1 lookout/ct/config 5 | sed -n 's/.*"hash":"\([^"]*\)".*/\1/p'); [ -n "$h" ] && [ "$h" != "$HASH_BEFORE" ]; }
check "the new config runs (base/config hash changed)" wait_for 30 reload_applied
scores_high() { local p; p=$(ct timeout 30 mosquitto_sub -h 127.0.0.1 -C 5 -t lookout/ct/camera1/detections | grep -o '"score":[0-9.]*' | cut -d: -f2); [ -z "$p" ] || ! echo "$p" | awk '$1 < 0.9 {bad=1} END {exit !bad}'; }
check "published detections respect the new min_score 0.9" scores_high
GOOD=$(ct cat /etc/lookout/config.yaml)
ct sed -i 's/min_score: 0.9/min_score: 7/' /etc/lookout/config.yaml
RELOAD_RC=0
ct systemctl reload lookout > /dev/null 2>&1 || RELOAD_RC=$?
check "systemctl reload with a refused config fails (exit $RELOAD_RC)" [ "$RELOAD_RC" -ne 0 ]
check "the refusal names the key in the journal" bash -c "nsenter -t $CT -a journalctl -u lookout --no-pager | grep -q 'objects.min_score'"
check "the service keeps running after the refused reload" active_running
printf '%s\n' "$GOOD" | ct tee /etc/lookout/config.yaml > /dev/null

step "save from the page (HTTP API, loopback)"
# The installed service saves into its own config: /etc/lookout is root:lookout 2770 and writable in
# the sandbox (ConfigurationDirectory= binds it), config.yaml root:lookout 0640 until the first save
# makes it the service's.
page() { ct /opt/lookout/node/bin/node /check/page.js "$@"; }
sum_of() { ct sha256sum "$1" | cut -d' ' -f1; }
backups() { ct bash -c 'ls /etc/lookout/config.yaml.*.bak 2>/dev/null | wc -l'; }
answered() { [[ $1 == "$2"* ]]; }   # answered ANSWER PREFIX
modes() { ct stat -c '%U:%G %a' /etc/lookout /etc/lookout/credentials | tr '\n' ' ' | sed 's/ $//'; }
check "/etc/lookout root:lookout 2770, its credentials root:root 700 ($(modes))" [ "$(modes)" = "root:lookout 2770 root:root 700" ]
check "the page lists camera1 (GET /api/cameras)" answered "$(page GET /api/cameras)" '200 {"cameras":[{"name":"camera1"'
SUM=$(sum_of /etc/lookout/config.yaml)
HASH_BEFORE=$(sub1 lookout/ct/config 10 | sed -n 's/.*"hash":"\([^"]*\)".*/\1/p')
SAVE=$(page POST /api/cameras/camera1/tuning '{"zones":[{"name":"door","polygon":[[0,0],[1,0],[1,1],[0,1]]}],"min_score":0.5}')
echo "    | ${SAVE:0:200}"
check "Save answers 200 ok" answered "$SAVE" '200 {"ok":true'
check "config.yaml has the zone and the score; comments and the rest kept" ct bash -c 'f=/etc/lookout/config.yaml; grep -q "name: door" $f && grep -q "min_score: 0.5" $f && grep -q "^# Lookout starter config" $f && grep -q "^  id: ct" $f'
BACKUP=$(ct bash -c 'ls -t /etc/lookout/config.yaml.*.bak 2>/dev/null | head -1')
backup_is_previous() { [ -n "$BACKUP" ] && [ "$(sum_of "$BACKUP")" = "$SUM" ]; }
check "the previous file is kept as a backup (${BACKUP:-none})" backup_is_previous
check "config.yaml keeps group lookout and mode 640 (now $(ct stat -c '%U:%G %a' /etc/lookout/config.yaml))" [ "$(ct stat -c '%G %a' /etc/lookout/config.yaml)" = "lookout 640" ]
check "the saved config runs (base/config hash changed)" wait_for 30 reload_applied
zone_in_detections() { ct timeout 30 mosquitto_sub -h 127.0.0.1 -C 20 -t lookout/ct/camera1/detections | grep -q '"zones":\["door"\]'; }
check "the next detections carry the saved zone" zone_in_detections
SUM=$(sum_of /etc/lookout/config.yaml); N=$(backups)
REFUSED=$(page POST /api/cameras/camera1/tuning '{"zones":[{"name":"door","polygon":[[0.1,0.1],[1.5,0.1]]}]}')
echo "    | ${REFUSED:0:200}"
check "a bad polygon is refused (422), naming the key" answered "$REFUSED" '422 {"ok":false,"problems":["cameras[0].zones[0].polygon'
check "the refused save leaves the file and the backups alone" [ "$(sum_of /etc/lookout/config.yaml)/$(backups)" = "$SUM/$N" ]
check "the service still runs after the refused save" active_running
# The service's own view, entered as the service user in its mount namespace.
MAIN=$(prop MainPID); SVC_UID=$(ct id -u lookout); SVC_GID=$(ct id -g lookout)
in_sandbox() { ct nsenter -t "$MAIN" -m -S "$1" -G "$2" -- "${@:3}"; }   # in_sandbox UID GID COMMAND...
# The user may write /etc/lookout, so only the mount (InaccessiblePaths=) stops the rename: EBUSY.
creds_out_of_reach() {
  local err
  ! in_sandbox "$SVC_UID" "$SVC_GID" ls /etc/lookout/credentials >/dev/null 2>&1 \
    && ! err=$(in_sandbox "$SVC_UID" "$SVC_GID" mv /etc/lookout/credentials /etc/lookout/moved 2>&1) \
    && [[ $err == *"resource busy"* ]] && ct test -d /etc/lookout/credentials
}
check "in the service's sandbox the credentials folder can be neither read nor renamed (EBUSY)" creds_out_of_reach
etc_read_only() { ! in_sandbox 0 0 touch /etc/lookout-probe 2>/dev/null; }
check "in the service's sandbox the rest of /etc stays read-only (even to root)" etc_read_only
# Opting out: a drop-in with ReadOnlyPaths=/etc/lookout (docs/service.md); Save then answers the error.
ct bash -c 'mkdir -p /etc/systemd/system/lookout.service.d && printf "[Service]\nReadOnlyPaths=/etc/lookout\n" > /etc/systemd/system/lookout.service.d/no-save.conf && systemctl daemon-reload && systemctl restart lookout'
wait_for 120 active_running || true
SUM=$(sum_of /etc/lookout/config.yaml); N=$(backups)
OFF=$(page POST /api/cameras/camera1/tuning '{"min_score":0.6}')
echo "    | ${OFF:0:200}"
check "opted out (ReadOnlyPaths=/etc/lookout): Save answers the write error" answered "$OFF" '500 {"ok":false,"problems":["/etc/lookout/config.yaml: cannot write in /etc/lookout (EROFS)'
check "opted out: the file and the backups stay as they were" [ "$(sum_of /etc/lookout/config.yaml)/$(backups)" = "$SUM/$N" ]
ct bash -c 'rm /etc/systemd/system/lookout.service.d/no-save.conf && systemctl daemon-reload && systemctl restart lookout'
check "without the drop-in again: active (running)" wait_for 120 active_running

step "crash and watchdog"
PID1=$(prop MainPID); R1=$(prop NRestarts)
ct kill -9 "$PID1"
restarted() { local p; p=$(prop MainPID); [ "$p" != 0 ] && [ "$p" != "$1" ] && active_running; }
if wait_for 90 restarted "$PID1"; then pass "kill -9 of the main PID: restarted (NRestarts $R1 -> $(prop NRestarts), new PID $(prop MainPID))"
else fail "kill -9 of the main PID: restarted"; fi
PID2=$(prop MainPID)
ct kill -STOP "$PID2"
check "SIGSTOP: the watchdog kills and restarts it within WatchdogSec + RestartSec" wait_for 120 restarted "$PID2"
check "the journal names the watchdog" bash -c "nsenter -t $CT -a journalctl -u lookout --no-pager | grep -qi 'watchdog timeout'"

step "journal"
check "entries tagged lookout, readable lines (no raw JSON)" bash -c "out=\$(nsenter -t $CT -a journalctl -t lookout --no-pager -o cat | head -50); [ -n \"\$out\" ] && ! echo \"\$out\" | grep -q '^{\"level\"'"
check "no ConfigurationDirectory mode warning" bash -c "! nsenter -t $CT -a journalctl --no-pager | grep -q 'already exists but the mode is different'"
ct journalctl -t lookout --no-pager -o short | tail -4 | sed 's/^/    | /'

step "security"
EXPOSURE=$(ct systemd-analyze security lookout.service --no-pager 2>/dev/null | sed -n 's/.*Overall exposure level for lookout.service: \([0-9.]*\).*/\1/p')
check "systemd-analyze security: ${EXPOSURE:-?} <= 2.0" awk -v e="${EXPOSURE:-99}" 'BEGIN {exit !(e <= 2.0)}'

step "stop"
ct systemctl stop lookout
check "systemctl stop: inactive with result success ($(prop Result), exit $(prop ExecMainStatus))" bash -c "[ \"\$(nsenter -t $CT -a systemctl show -p Result --value lookout)\" = success ]"
check "availability is offline after the stop" bash -c "[ \"\$(nsenter -t $CT -a timeout 10 mosquitto_sub -h 127.0.0.1 -C 1 -t lookout/ct/availability)\" = offline ]"

step "uninstall"
ct bash -c '/opt/lookout/scripts/uninstall.sh' > "$WORK.uninstall.log" 2>&1 && pass "uninstall.sh exits 0" || fail "uninstall.sh exits 0"
sed 's/^/    | /' "$WORK.uninstall.log" | tail -6
check "program, unit and wrapper gone" ct bash -c '[ ! -e /opt/lookout ] && [ ! -e /etc/systemd/system/lookout.service ] && [ ! -e /usr/local/bin/lookout ]'
check "config and state kept, as uninstall says" ct bash -c '[ -f /etc/lookout/config.yaml ] && [ -d /var/lib/lookout ]'

step "done"
echo "    $(( $(date +%s) - T0 )) s in all; ${#PASSED[@]} passed, ${#FAILED[@]} failed"
for f in "${FAILED[@]}"; do echo "    failed: $f"; done
if [ "$KEEP" -eq 1 ]; then echo "    container left running: nsenter -t $CT -a bash   (stop: kill $NSPAWN_PID)"; fi
[ ${#FAILED[@]} -eq 0 ]
