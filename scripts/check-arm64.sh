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
CHECK_NAME=check-arm64
# shellcheck source=lib/check-steps.sh
. "$ROOT/scripts/lib/check-steps.sh"
root_lookout() { arm64_chroot "$CHECK" /usr/local/bin/lookout "$@"; }
root_mqtt_expect() { arm64_chroot "$CHECK" /opt/lookout/node/bin/node /opt/lookout/scripts/lib/mqtt-expect.js "$@"; }
HEADING="$ARCH$( [ "$ARCH" = arm64 ] && echo ', arm64 under qemu-user')"
cleanup() { arm64_umount "$CHECK"; }
trap cleanup EXIT

begin "host tools (qemu-user-static, binfmt-support, debootstrap, aarch64 cross compiler)"
if arm64_host_tools && { [ "$ARCH" != arm64 ] || arm64_binfmt; }; then end ok; else end FAIL; summary "$HEADING"; exit 1; fi

begin "$DEB_ARCH bookworm root (debootstrap$( [ "$ARCH" = arm64 ] && echo ' under emulation'); cached)"
if arm64_base "$DEB_ARCH"; then end ok "$(arm64_base_dir "$DEB_ARCH")"; else end FAIL; summary "$HEADING"; exit 1; fi

if [ -z "$BUNDLE" ]; then
  begin "$ARCH bundle (scripts/bundle.sh --arch $ARCH)"
  if scripts/bundle.sh --arch "$ARCH" --out "$WORK" > "$WORK/bundle.log" 2>&1; then
    BUNDLE=$(ls -t "$WORK"/lookout-*-linux-"$ARCH".tar.gz | head -1)
    end ok "$(basename "$BUNDLE"), $(du -m "$BUNDLE" | cut -f1) MB"
  else
    tail -15 "$WORK/bundle.log"; end FAIL "log: $WORK/bundle.log"; summary "$HEADING"; exit 1
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
  end FAIL; summary "$HEADING"; exit 1
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
  tail -20 "$WORK/install.log"; end FAIL "log: $WORK/install.log"; summary "$HEADING"; exit 1
fi
echo "    $(arm64_chroot "$CHECK" /opt/lookout/node/bin/node -p '`node ${process.version} ${process.arch}, uname -m: ` + require("os").machine()')"

MODELS=$(sed -n 's/^MODELS="\(.*\)"$/\1/p' "$CHECK/opt/lookout/BUNDLE")
# shellcheck disable=SC2086 # one model name per word
check_models_verify $MODELS
# shellcheck disable=SC2086
check_detect_photos "$ARCH root" "$TOL" $MODELS
cp .cache/testdata/vtest.avi "$CHECK/tmp/vtest.avi"
check_run_demo "$ARCH-check" /tmp/vtest.avi "$RUN_MESSAGES"

summary "$HEADING"
if [ $KEEP -eq 0 ]; then arm64_umount "$CHECK"; rm -rf "$CHECK"; fi
exit $CHECK_FAILED
