#!/usr/bin/env bash
# Lookout setup: system packages, npm dependencies (OpenCV binding built against the system OpenCV,
# ONNX Runtime CPU binaries from the npm tarball), TypeScript build, the default model and, with
# --test, the test data. Idempotent: each step is skipped when its result is already present.
#
#   scripts/setup.sh            set up to run the daemon (with the demo video, ~96 MB download once)
#   scripts/setup.sh --test     also everything the test suite needs
#   scripts/setup.sh --no-demo  skip the demo video (installs that use a real camera)
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
WITH_TEST=0
WITH_DEMO=1
for arg in "$@"; do
  case "$arg" in
    --test) WITH_TEST=1 ;;
    --no-demo) WITH_DEMO=0 ;;
    -h|--help) sed -n '2,9p' "$0"; exit 0 ;;
    *) echo "setup: unknown argument '$arg' (try --help)" >&2; exit 2 ;;
  esac
done

STEP=""
T0=$(date +%s)
TS=$T0
# Each step says how long the one before took, so a slow board shows where its minutes go.
step() {
  local now; now=$(date +%s)
  [ -n "$STEP" ] && echo "    ($((now - TS)) s)"
  STEP="$1"; TS=$now; echo "==> setup: $1"
}
# Runs a long, quiet command with a line every 30 s, so nobody takes a compile for a hang.
with_ticker() {
  local start; start=$(date +%s)
  ( while sleep 30; do echo "    ... $1: $(( $(date +%s) - start )) s so far"; done ) &
  local ticker=$! rc=0
  shift
  "$@" || rc=$?
  kill "$ticker" 2>/dev/null || true
  wait "$ticker" 2>/dev/null || true
  return $rc
}
trap 'rc=$?; [ $rc -ne 0 ] && echo "setup: FAILED at step: ${STEP} (exit $rc)" >&2' EXIT

SUDO=""
if [ "$(id -u)" -ne 0 ]; then
  command -v sudo >/dev/null || { echo "setup: not root and no sudo; install sudo or run as root" >&2; exit 1; }
  SUDO="sudo"
fi

step "check platform"
ARCH=$(uname -m)
case "$ARCH" in
  x86_64) MULTIARCH=x86_64-linux-gnu ;;
  aarch64) MULTIARCH=aarch64-linux-gnu ;;
  *) echo "setup: unsupported CPU architecture '$ARCH' (need x86_64 or aarch64, i.e. a 64-bit OS)" >&2; exit 1 ;;
esac
# A 64-bit kernel can run a 32-bit (armhf) Raspberry Pi OS, which onnxruntime-node has no build for.
[ "$(getconf LONG_BIT)" = 64 ] || { echo "setup: 32-bit userland on a $ARCH kernel; flash the 64-bit OS (Raspberry Pi OS (64-bit))" >&2; exit 1; }
# shellcheck source=lib/platform.sh
. "$ROOT/scripts/lib/platform.sh"
PLATFORM="$(. /etc/os-release 2>/dev/null; echo "${PRETTY_NAME:-unknown Linux}"), $ARCH"
PI_OS=0; JETSON=0
if lookout_is_raspberry_pi_os; then PI_OS=1; PLATFORM="$PLATFORM, Raspberry Pi OS"; fi
if [ -f /etc/nv_tegra_release ]; then JETSON=1; PLATFORM="$PLATFORM, NVIDIA Jetson ($(head -1 /etc/nv_tegra_release | cut -c1-40))"; fi
echo "    $PLATFORM"
[ "$JETSON" -eq 1 ] && echo "    note: Jetson: builds against JetPack's OpenCV (libopencv-dev from NVIDIA's apt repository, with GStreamer); the npm onnxruntime-node runs on the CPU cores; for CUDA/TensorRT see docs/arm64.md (LOOKOUT_ONNXRUNTIME_NODE)"
command -v node >/dev/null || { echo "setup: node not found; install Node.js 20 or newer (22 LTS recommended)" >&2; exit 1; }
NODE_MAJOR=$(node -p 'process.versions.node.split(".")[0]')
if [ "$NODE_MAJOR" -lt 20 ]; then
  echo "setup: Node.js $(node -v) is too old; need 20 or newer (22 LTS recommended)" >&2; exit 1
fi
[ "$NODE_MAJOR" -eq 20 ] && echo "    note: Node.js 20 is past end of life; Node 22 LTS is recommended on devices"

step "system packages"
PKGS=(libopencv-dev gstreamer1.0-plugins-base gstreamer1.0-plugins-good gstreamer1.0-tools
      mosquitto-clients openssl python3 python3-venv make g++ pkg-config ca-certificates)
# The tests start their own Mosquitto brokers. A device gets a broker only when it wants one
# (install.sh --with-broker): Debian's package starts a system-wide broker as it installs.
[ "$WITH_TEST" -eq 1 ] && PKGS+=(mosquitto)
# The RTSP test serves H.264 from a real RTSP server (test/support/rtsp-server.py): gst-rtsp-server
# through the system Python's gi, x264enc (ugly) and the libav decoder of vtest.avi's DivX 3.
[ "$WITH_TEST" -eq 1 ] && PKGS+=(python3-gi gir1.2-gst-rtsp-server-1.0 gstreamer1.0-plugins-ugly gstreamer1.0-libav)
# The page's tests drive Debian's Chromium with puppeteer-core (which downloads no browser).
[ "$WITH_TEST" -eq 1 ] && PKGS+=(chromium)
# The Pi camera modules (CSI) are read through libcamera's GStreamer element.
[ "$PI_OS" -eq 1 ] && PKGS+=(gstreamer1.0-libcamera)
MISSING=()
for p in "${PKGS[@]}"; do
  dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || MISSING+=("$p")
done
if [ ${#MISSING[@]} -gt 0 ]; then
  echo "    installing: ${MISSING[*]}"
  $SUDO apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${MISSING[@]}"
else
  echo "    all present"
fi
# Camera elements the sources use (config source types v4l2, csi-pi, csi-jetson): a missing one is
# named with its package now rather than found when a camera fails to open.
GST_ELEMENTS=(appsink videoconvert v4l2src)
[ "$PI_OS" -eq 1 ] && GST_ELEMENTS+=(libcamerasrc)
[ "$JETSON" -eq 1 ] && GST_ELEMENTS+=(nvarguscamerasrc)
lookout_check_gst_elements "${GST_ELEMENTS[@]}" || echo "    (cameras that need a missing element will not open until its package is installed)"

step "npm dependencies"
# opencv4nodejs compiles against Debian's OpenCV; its auto-build would download OpenCV sources.
export OPENCV4NODEJS_DISABLE_AUTOBUILD=1
export OPENCV_INCLUDE_DIR=/usr/include/opencv4
export OPENCV_LIB_DIR=/usr/lib/$MULTIARCH
export OPENCV_BIN_DIR=/usr/bin
export ONNXRUNTIME_NODE_INSTALL=skip
# node-gyp downloads Node's headers from nodejs.org unless told where they are, which fails offline and
# behind many firewalls. Every Node install (the official tarball, NodeSource, Debian's nodejs) carries
# them beside its binary: point node-gyp there unless npm already has a nodedir.
if [ -z "${npm_config_nodedir:-}" ] && [ "$(npm config get nodedir 2>/dev/null)" = undefined ]; then
  NODE_PREFIX=$(node -p 'require("path").resolve(process.execPath, "..", "..")')
  if [ -f "$NODE_PREFIX/include/node/common.gypi" ]; then
    export npm_config_nodedir=$NODE_PREFIX
    echo "    Node headers: $NODE_PREFIX/include/node"
  fi
fi
# node-gyp's parallel compile: one job per core, but each g++ of the binding needs ~1 GB, so a
# 1-2 GB board compiles with fewer jobs instead of running out of memory.
MEM_AVAILABLE_MB=$(awk '/^MemAvailable:/ {print int($2 / 1024)}' /proc/meminfo)
JOBS=$(nproc)
[ $(( MEM_AVAILABLE_MB / 1024 )) -lt "$JOBS" ] && JOBS=$(( MEM_AVAILABLE_MB / 1024 ))
[ "$JOBS" -ge 1 ] || JOBS=1
export JOBS
LOCK_HASH=$(sha256sum package-lock.json | cut -d' ' -f1)
STAMP=node_modules/.lookout-setup-stamp
if [ -f "$STAMP" ] && [ "$(cat "$STAMP")" = "$LOCK_HASH-$(node -v)-$ARCH" ]; then
  echo "    node_modules up to date"
else
  echo "    npm ci (compiles the OpenCV binding with $JOBS parallel job(s), ${MEM_AVAILABLE_MB} MB free: several minutes, 30+ on a Pi 4)"
  with_ticker "npm ci" npm ci --no-audit --no-fund
  node -e "require('@u4/opencv4nodejs')" >/dev/null 2>&1 \
    || { echo "setup: @u4/opencv4nodejs does not load after npm ci; see the build log above" >&2; exit 1; }
  echo "$LOCK_HASH-$(node -v)-$ARCH" > "$STAMP"
fi

step "build TypeScript"
npm run -s build

step "model ssdlite_mobilenet_v2_coco"
if [ -f models/ssdlite_mobilenet_v2_coco.onnx ] && node bin/lookout.js model verify ssdlite_mobilenet_v2_coco >/dev/null 2>&1; then
  echo "    present and verified"
else
  node bin/lookout.js model build ssdlite_mobilenet_v2_coco
fi

step "model ssdlite_mobilenet_v2_coco_int8"
# Quantized from the FP32 file with the committed calibration table; the Python venv it needs
# (.cache/quantize-venv) is created only when the model is missing or does not verify.
if [ -f models/ssdlite_mobilenet_v2_coco_int8.onnx ] && node bin/lookout.js model verify ssdlite_mobilenet_v2_coco_int8 >/dev/null 2>&1; then
  echo "    present and verified"
else
  node bin/lookout.js model build ssdlite_mobilenet_v2_coco_int8
fi

step "model face_ssd_mobilenet_v1"
# face-api's SSD face detector rebuilt as ONNX from its pinned npm tarball (a few seconds).
if [ -f models/face_ssd_mobilenet_v1.onnx ] && node bin/lookout.js model verify face_ssd_mobilenet_v1 >/dev/null 2>&1; then
  echo "    present and verified"
else
  node bin/lookout.js model build face_ssd_mobilenet_v1
fi

if [ "$WITH_TEST" -eq 1 ] || [ "$WITH_DEMO" -eq 1 ]; then
  # The demo video (vtest.avi) and the test images come from Debian's opencv-doc package.
  step "demo video and test data"
  bash scripts/fetch-testdata.sh
fi
step "done"
echo "    $(( $(date +%s) - T0 )) s in all"
