#!/usr/bin/env bash
# Lookout on arm64, checked under emulation on an x86_64 Debian 12 machine (as root). Opt-in: not
# part of `npm test`; see docs/arm64.md for what it proves and a recorded run.
#
#   sudo scripts/check-arm64.sh [--bundle FILE] [--run-messages N] [--keep] [--arch x64]
#
# It prepares (and caches in /var/cache/lookout-arm64) an arm64 Debian bookworm root under
# qemu-user, builds the arm64 bundle (scripts/bundle.sh --arch arm64) unless --bundle names one,
# installs it into a fresh copy of the root with scripts/install.sh --bundle (no compiler, no npm
# there), and under emulation runs: `lookout model verify` for every model in the bundle, `lookout
# detect --json` on the test photos for every model, compared with this machine's x86 results
# (scores and boxes within 1e-4, the same detections), and a short `lookout run` on the demo video
# publishing to the daemon's embedded broker. Prints each step's time and a summary; exit 1 if any
# check failed. Needs a set-up clone (scripts/setup.sh --test: dist/, models, .cache/testdata).
# --keep leaves the installed root in place for a look around (chroot /var/cache/lookout-arm64/check-arm64).
# --arch x64 runs the same checks natively for the x64 bundle in a fresh amd64 bookworm root.
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib/arm64-root.sh
. "$ROOT/scripts/lib/arm64-root.sh"

BUNDLE=""
ARCH=arm64
RUN_MESSAGES=3
KEEP=0
TOL=1e-4
die() { echo "check-arm64: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --bundle) [ $# -ge 2 ] || die "--bundle needs a file"; BUNDLE=$(readlink -f "$2"); shift 2 ;;
    --bundle=*) BUNDLE=$(readlink -f "${1#--bundle=}"); shift ;;
    --run-messages) [ $# -ge 2 ] || die "--run-messages needs a number"; RUN_MESSAGES=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --arch) [ $# -ge 2 ] || die "--arch needs arm64 or x64"; ARCH=$2; shift 2 ;;
    -h|--help) sed -n '2,17p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "check-arm64: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "run as root (it mounts binfmt_misc, runs debootstrap and chroot)"
[ "$(uname -m)" = x86_64 ] || die "this check emulates arm64 on an x86_64 host (this is $(uname -m))"
[ -f dist/cli.js ] && [ -d .cache/testdata ] || die "set up the clone first: scripts/setup.sh --test"
[ -z "$BUNDLE" ] || [ -f "$BUNDLE" ] || die "--bundle $BUNDLE: no such file"
case "$ARCH" in arm64) DEB_ARCH=arm64 ;; x64) DEB_ARCH=amd64 ;; *) die "--arch must be arm64 or x64 (got '$ARCH')" ;; esac

CHECK=$ARM64_CACHE/check-$ARCH
WORK=$ARM64_CACHE/work-$ARCH
mkdir -p "$WORK"
RESULTS=()
FAILED=0
T_ALL=$(date +%s)
STEP=""
T_STEP=0
# begin NAME / end ok|FAIL [NOTE]: one timed line per step in the summary.
begin() { STEP=$1; T_STEP=$(date +%s); echo "==> check-arm64: $1"; }
end() {
  local secs=$(( $(date +%s) - T_STEP ))
  [ "$1" = ok ] || FAILED=1
  RESULTS+=("$(printf '%-4s %5ss  %s%s' "$1" "$secs" "$STEP" "${2:+  ($2)}")")
  echo "    $1 (${secs} s)${2:+ — $2}"
}
cleanup() { arm64_umount "$CHECK"; }
trap cleanup EXIT

summary() {
  echo
  echo "check-arm64 summary, $ARCH ($(date -u +%Y-%m-%dT%H:%MZ); host: $(nproc) cores, $(. /etc/os-release; echo "$PRETTY_NAME"), $(uname -m)$( [ "$ARCH" = arm64 ] && echo ', arm64 under qemu-user')):"
  printf '  %s\n' "${RESULTS[@]}"
  echo "  total $(( $(date +%s) - T_ALL )) s: $([ $FAILED -eq 0 ] && echo 'all checks passed' || echo 'SOME CHECKS FAILED')"
}

begin "host tools (qemu-user-static, binfmt-support, debootstrap, aarch64 cross compiler)"
if arm64_host_tools && { [ "$ARCH" != arm64 ] || arm64_binfmt; }; then end ok; else end FAIL; summary; exit 1; fi

begin "$DEB_ARCH bookworm root (debootstrap$( [ "$ARCH" = arm64 ] && echo ' under emulation'); cached)"
if arm64_base "$DEB_ARCH"; then end ok "$(arm64_base_dir "$DEB_ARCH")"; else end FAIL; summary; exit 1; fi

if [ -z "$BUNDLE" ]; then
  begin "$ARCH bundle (scripts/bundle.sh --arch $ARCH)"
  if scripts/bundle.sh --arch "$ARCH" --out "$WORK" > "$WORK/bundle.log" 2>&1; then
    BUNDLE=$(ls -t "$WORK"/lookout-*-linux-"$ARCH".tar.gz | head -1)
    end ok "$(basename "$BUNDLE"), $(du -m "$BUNDLE" | cut -f1) MB"
  else
    tail -15 "$WORK/bundle.log"; end FAIL "log: $WORK/bundle.log"; summary; exit 1
  fi
fi
case "$(basename "$BUNDLE")" in *-linux-"$ARCH".tar.gz) ;; *) die "$BUNDLE is not an $ARCH bundle (lookout-*-linux-$ARCH.tar.gz)" ;; esac

begin "fresh root: a copy of the base root (no compiler, no Node, no npm)"
arm64_umount "$CHECK"
rm -rf "$CHECK"
if cp -a "$(arm64_base_dir "$DEB_ARCH")" "$CHECK" && arm64_mount "$CHECK"; then
  cp "$BUNDLE" "$CHECK/tmp/"
  cp scripts/install.sh "$CHECK/tmp/install.sh"
  cp -r scripts/lib "$CHECK/tmp/lib"
  FOUND=$(arm64_chroot "$CHECK" sh -c 'for c in node npm cc gcc g++ make python3; do command -v $c; done' | tr '\n' ' ')
  if [ -z "$FOUND" ]; then end ok "no node, npm, cc, gcc, g++, make, python3"; else end FAIL "the root is not bare: $FOUND"; fi
else
  end FAIL; summary; exit 1
fi

begin "install: scripts/install.sh --bundle --no-systemd (apt runtime libraries$( [ "$ARCH" = arm64 ] && echo ' under emulation'))"
# --mqtt-url: the run below brings its own broker, so the install adds no Mosquitto (a first install
# without one would) and apt installs only what the bundle needs.
if arm64_chroot "$CHECK" bash /tmp/install.sh --bundle "/tmp/$(basename "$BUNDLE")" --no-systemd \
     --mqtt-url mqtt://127.0.0.1:1883 > "$WORK/install.log" 2>&1; then
  grep -E '^    (needed|installing):' "$WORK/install.log" | cut -c1-160
  UNIT_EXEC=$(grep -m1 '^ExecStart=' "$CHECK/etc/systemd/system/lookout.service" | cut -d' ' -f1)
  if grep -q 'systemd-analyze verify reported problems' "$WORK/install.log"; then
    grep -B3 'systemd-analyze verify reported problems' "$WORK/install.log"; end FAIL "the installed unit does not verify"
  elif [ "$UNIT_EXEC" != "ExecStart=/opt/lookout/node/bin/node" ]; then
    end FAIL "the unit runs $UNIT_EXEC, not the bundle's Node"
  else
    end ok "$(du -sm "$CHECK/opt/lookout" | cut -f1) MB in /opt/lookout; unit $UNIT_EXEC; log: $WORK/install.log"
  fi
else
  tail -20 "$WORK/install.log"; end FAIL "log: $WORK/install.log"; summary; exit 1
fi
LOOKOUT=(arm64_chroot "$CHECK" /usr/local/bin/lookout)
echo "    $(arm64_chroot "$CHECK" /opt/lookout/node/bin/node -p '`node ${process.version} ${process.arch}, uname -m: ` + require("os").machine()')"

MODELS=$(sed -n 's/^MODELS="\(.*\)"$/\1/p' "$CHECK/opt/lookout/BUNDLE")
for m in $MODELS; do
  begin "lookout model verify $m"
  if "${LOOKOUT[@]}" model verify "$m" > "$WORK/verify-$m.log" 2>&1; then
    end ok "$(tail -1 "$WORK/verify-$m.log" | cut -c1-100)"
  else
    tail -10 "$WORK/verify-$m.log"; end FAIL "log: $WORK/verify-$m.log"
  fi
done

# Photos only: JPEG/PNG decode bit-identically on both architectures, video codecs do not.
mkdir -p "$CHECK/tmp/photos"
PHOTOS=$(find .cache/testdata -maxdepth 1 -type f \( -name '*.jpg' -o -name '*.png' \) | sort)
cp $PHOTOS "$CHECK/tmp/photos/"
NPHOTOS=$(echo "$PHOTOS" | wc -l)
for m in $MODELS; do
  begin "lookout detect --json on $NPHOTOS photos, model $m: $ARCH root vs this host (tolerance $TOL)"
  node bin/lookout.js detect $PHOTOS --json --min-score 0.3 --model "$m" > "$WORK/detect-$m-x86.jsonl" 2> "$WORK/detect-$m-x86.err"
  "${LOOKOUT[@]}" detect /tmp/photos --json --min-score 0.3 --model "$m" > "$WORK/detect-$m-$ARCH.jsonl" 2> "$WORK/detect-$m-$ARCH.err"
  if node scripts/lib/compare-detections.js "$WORK/detect-$m-x86.jsonl" "$WORK/detect-$m-$ARCH.jsonl" "$TOL" > "$WORK/compare-$m-$ARCH.txt" 2>&1; then
    cat "$WORK/compare-$m-$ARCH.txt"; end ok "$(tail -1 "$WORK/compare-$m-$ARCH.txt" | sed 's/^ *//')"
  else
    cat "$WORK/compare-$m-$ARCH.txt"; tail -5 "$WORK/detect-$m-$ARCH.err"
    end FAIL "$(tail -1 "$WORK/compare-$m-$ARCH.txt" | sed 's/^ *//')"
  fi
done

begin "lookout run on the demo video, $RUN_MESSAGES detections messages through the embedded broker"
# The chroot shares the host's network: take a free port, not 1883.
PORT=$(node -e 'const s=require("net").createServer().listen(0,"127.0.0.1",()=>{console.log(s.address().port);s.close()})')
cp .cache/testdata/vtest.avi "$CHECK/tmp/vtest.avi"
cat > "$CHECK/tmp/run.yaml" <<EOF
device: {id: $ARCH-check}
log: {level: info, format: json}
state_dir: /tmp/lookout-state
mqtt:
  url: mqtt://127.0.0.1:$PORT
  embedded: {mode: "on", host: 127.0.0.1, port: $PORT}
homeassistant: {discovery: false}
http: {enabled: false}
cameras:
  - name: demo
    source: {type: file, path: /tmp/vtest.avi, loop: true, realtime: false}
    max_fps: 5
    objects: {track: [person], min_score: 0.5}
EOF
"${LOOKOUT[@]}" run --config /tmp/run.yaml > "$WORK/run.log" 2>&1 &
RUN_PID=$!
if arm64_chroot "$CHECK" /opt/lookout/node/bin/node /opt/lookout/scripts/lib/mqtt-expect.js \
     "mqtt://127.0.0.1:$PORT" "lookout/$ARCH-check" "$RUN_MESSAGES" 240 > "$WORK/run-mqtt.log" 2>&1; then
  cat "$WORK/run-mqtt.log"; end ok "$(grep -c detections "$WORK/run-mqtt.log") detections messages received"
else
  cat "$WORK/run-mqtt.log"; tail -10 "$WORK/run.log"; end FAIL "log: $WORK/run.log"
fi
# SIGTERM is the daemon's clean stop. $RUN_PID is the subshell running arm64_chroot; chroot, env
# and the lookout wrapper exec each other, so its one child is the daemon's node.
for pid in $(pgrep -P "$RUN_PID"); do kill -TERM "$pid" 2>/dev/null; done
wait "$RUN_PID" 2>/dev/null

summary
if [ $KEEP -eq 0 ]; then arm64_umount "$CHECK"; rm -rf "$CHECK"; fi
exit $FAILED
