#!/usr/bin/env bash
# Install Lookout as a systemd service on Raspberry Pi OS (bookworm, 64-bit), Debian, Ubuntu and
# Jetson Linux. Run as root from a checkout (builds there with scripts/setup.sh), or with a prebuilt
# bundle (no compiler, no npm: only apt runtime libraries). Safe to run again to upgrade: the config
# in /etc/lookout and the state in /var/lib/lookout are kept.
#
#   sudo scripts/install.sh               install (or upgrade), enable and (re)start
#   sudo scripts/install.sh --bundle FILE install from lookout-<version>-linux-<arch>.tar.gz
#                                         (also what runs when this script sits in an unpacked bundle)
#   sudo scripts/install.sh --no-start    install and enable, do not start now
#   scripts/install.sh --dry-run          print every step, change nothing (no root needed)
#   --prefix DIR                          install the program to DIR (default /opt/lookout)
#   --node PATH                           bundle: run with this Node instead of the bundled one
#                                         (must have the bundle's Node major version)
#   --no-systemd                          install files and unit, skip systemctl (images, chroots)
#
# A first install writes a short starter config (/etc/lookout/config.yaml: this machine's camera, no
# schedule, the default labels) and keeps the full, documented example beside it
# (config.example.yaml). An existing config is never touched. For the starter:
#   --camera SOURCE                       /dev/videoN, a /dev/v4l/by-id link, csi-pi, csi-jetson,
#                                         rtsp://... or a video file (default: the camera found)
#   --mqtt-url URL                        the broker, e.g. Home Assistant's: mqtt://homeassistant.local:1883
#   --mqtt-user NAME                      its user; the password is asked for (or read from
#                                         --mqtt-password-file FILE) and kept as a systemd credential
#   --device-id ID                        topic level and Home Assistant id (default: the hostname)
#   --with-broker                         install Mosquitto here too (what happens without --mqtt-url)
#
# Testing hooks (environment): LOOKOUT_INSTALL_ARCH, LOOKOUT_INSTALL_LONG_BIT, LOOKOUT_INSTALL_NODE,
# LOOKOUT_INSTALL_OS_RELEASE replace the detected dpkg architecture, `getconf LONG_BIT`, node binary
# and /etc/os-release; LOOKOUT_INSTALL_JETSON=1|0 forces the Jetson drop-in on or off.
set -euo pipefail

SRC=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
PREFIX=/opt/lookout
START=1
DRY=0
SERVICE_USER=lookout
CONF_DIR=/etc/lookout
CRED_DIR=$CONF_DIR/credentials
STATE_DIR=/var/lib/lookout
UNIT_DIR=/etc/systemd/system
UNIT=$UNIT_DIR/lookout.service
DROPIN_DIR=$UNIT_DIR/lookout.service.d
CREDENTIALS=(mqtt_password mqtt_key_passphrase)
BUNDLE_FILE=""
BUNDLE_MODE=0
NO_SYSTEMD=0
NODE_ARG=""
CAMERA=""
MQTT_URL=""
MQTT_USER=""
MQTT_PASSWORD_FILE=""
DEVICE_ID=""
WITH_BROKER=0
WRAPPER=/usr/local/bin/lookout
WRAPPER_MARK="# lookout wrapper installed by scripts/install.sh"

# The header comment above is the help text: every line from the second up to the first that is not
# a comment.
usage() { awk 'NR == 1 { next } /^#/ { sub(/^# ?/, ""); print; next } { exit }' "$0"; }
die() { echo "install: $*" >&2; exit 1; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    --no-start) START=0; shift ;;
    --bundle) [ $# -ge 2 ] || die "--bundle needs a file (lookout-<version>-linux-<arch>.tar.gz)"; BUNDLE_FILE=$2; shift 2 ;;
    --bundle=*) BUNDLE_FILE=${1#--bundle=}; shift ;;
    --node) [ $# -ge 2 ] || die "--node needs the path of a node binary"; NODE_ARG=$2; shift 2 ;;
    --node=*) NODE_ARG=${1#--node=}; shift ;;
    --no-systemd) NO_SYSTEMD=1; shift ;;
    --camera) [ $# -ge 2 ] || die "--camera needs a source (/dev/video0, csi-pi, rtsp://...)"; CAMERA=$2; shift 2 ;;
    --camera=*) CAMERA=${1#--camera=}; shift ;;
    --mqtt-url) [ $# -ge 2 ] || die "--mqtt-url needs a URL (mqtt://host:1883)"; MQTT_URL=$2; shift 2 ;;
    --mqtt-url=*) MQTT_URL=${1#--mqtt-url=}; shift ;;
    --mqtt-user) [ $# -ge 2 ] || die "--mqtt-user needs a user name"; MQTT_USER=$2; shift 2 ;;
    --mqtt-user=*) MQTT_USER=${1#--mqtt-user=}; shift ;;
    --mqtt-password-file) [ $# -ge 2 ] || die "--mqtt-password-file needs a file"; MQTT_PASSWORD_FILE=$2; shift 2 ;;
    --mqtt-password-file=*) MQTT_PASSWORD_FILE=${1#--mqtt-password-file=}; shift ;;
    --device-id) [ $# -ge 2 ] || die "--device-id needs an id"; DEVICE_ID=$2; shift 2 ;;
    --device-id=*) DEVICE_ID=${1#--device-id=}; shift ;;
    --with-broker) WITH_BROKER=1; shift ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path (got '$PREFIX')" ;; esac
PREFIX=${PREFIX%/}

STEP=""
TS=$(date +%s)
T0=$TS
# Each step says how long the one before took (apt and the compile take minutes on a Pi).
step() {
  local now; now=$(date +%s)
  [ -n "$STEP" ] && [ $((now - TS)) -gt 0 ] && echo "    ($((now - TS)) s)"
  STEP="$1"; TS=$now; echo "==> install: $1"
}
trap 'rc=$?; [ $rc -ne 0 ] && [ -n "$STEP" ] && echo "install: FAILED at step: $STEP (exit $rc)" >&2' EXIT

# run CMD...: execute, or under --dry-run print it.
run() {
  if [ "$DRY" -eq 1 ]; then echo "    would run:$(printf ' %q' "$@")"; else "$@"; fi
}
note() { echo "    $*"; }

step "check platform"
[ "$(uname -s)" = Linux ] || die "Lookout runs on Linux only (this is $(uname -s))"
if [ "$DRY" -eq 0 ] && [ "$(id -u)" -ne 0 ]; then
  die "run as root (sudo $0), or with --dry-run to see the steps"
fi
ARCH=${LOOKOUT_INSTALL_ARCH:-$(dpkg --print-architecture 2>/dev/null || uname -m)}
LONG_BIT=${LOOKOUT_INSTALL_LONG_BIT:-$(getconf LONG_BIT)}
case "$ARCH" in
  arm64|aarch64|amd64|x86_64) ;;
  armhf|armel|arm*|i386|i686)
    die "32-bit userland ($ARCH) detected$( [ "$(uname -m)" = aarch64 ] && echo ' on a 64-bit kernel'). Lookout needs a 64-bit OS (arm64 or amd64): ONNX Runtime ships no 32-bit ARM build. On a Raspberry Pi, flash \"Raspberry Pi OS (64-bit)\" with Raspberry Pi Imager." ;;
  *) die "unsupported architecture '$ARCH' (need arm64 or amd64)" ;;
esac
[ "$LONG_BIT" = 64 ] || die "32-bit userland (getconf LONG_BIT = $LONG_BIT) on $ARCH. Lookout needs a 64-bit OS (arm64 or amd64)."
note "architecture: $ARCH, 64-bit userland"
case "$ARCH" in aarch64) ARCH=arm64 ;; x86_64) ARCH=amd64 ;; esac

# A bundle is recognised by its BUNDLE file: given as --bundle FILE (unpacked to a temporary folder
# here) or this script running from an unpacked bundle.
if [ -n "$BUNDLE_FILE" ]; then
  [ -f "$BUNDLE_FILE" ] || die "--bundle $BUNDLE_FILE: no such file"
  BUNDLE_TMP=$(mktemp -d /tmp/lookout-bundle.XXXXXX)
  trap 'rc=$?; rm -rf "$BUNDLE_TMP"; [ $rc -ne 0 ] && [ -n "$STEP" ] && echo "install: FAILED at step: $STEP (exit $rc)" >&2' EXIT
  tar -xzf "$BUNDLE_FILE" -C "$BUNDLE_TMP" || die "--bundle $BUNDLE_FILE: not a readable .tar.gz"
  # shellcheck disable=SC2012
  [ "$(ls -A "$BUNDLE_TMP" | wc -l)" = 1 ] || die "--bundle $BUNDLE_FILE: expected one top-level folder (lookout-<version>-linux-<arch>/)"
  SRC=$(echo "$BUNDLE_TMP"/*)
  [ -f "$SRC/BUNDLE" ] || die "--bundle $BUNDLE_FILE: no BUNDLE file inside; is it a Lookout bundle (scripts/bundle.sh)?"
fi
[ -f "$SRC/BUNDLE" ] && BUNDLE_MODE=1
if [ "$BUNDLE_MODE" = 1 ]; then
  bundle_key() { sed -n "s/^$1=\"\{0,1\}\([^\"]*\)\"\{0,1\}\$/\1/p" "$SRC/BUNDLE" | head -1; }
  B_NAME=$(bundle_key NAME); B_ARCH=$(bundle_key ARCH); B_NODE=$(bundle_key NODE_VERSION); B_ABI=$(bundle_key NODE_ABI)
  B_RELEASE=$(bundle_key DEBIAN_RELEASE); B_APT=$(bundle_key APT_RUNTIME); B_MODELS=$(bundle_key MODELS)
  note "bundle: $B_NAME (for $B_ARCH, Debian $B_RELEASE, Node $B_NODE)"
  [ -f "$SRC/SHA256SUMS" ] || die "bundle $B_NAME has no SHA256SUMS; it is incomplete"
  BAD=$(cd "$SRC" && sha256sum --quiet -c SHA256SUMS 2>&1 | head -5) \
    || die "bundle $B_NAME: files do not match SHA256SUMS (damaged or altered download):
$BAD"
  note "sha256 of $(wc -l < "$SRC/SHA256SUMS") files: ok"
  [ "$ARCH" = "$B_ARCH" ] || die "bundle $B_NAME is built for $B_ARCH; this machine is $ARCH. Use lookout-*-linux-$( [ "$ARCH" = arm64 ] && echo arm64 || echo x64 ).tar.gz"
  OS_RELEASE=${LOOKOUT_INSTALL_OS_RELEASE:-/etc/os-release}
  CODENAME=$(sed -n 's/^VERSION_CODENAME=//p' "$OS_RELEASE" 2>/dev/null | tr -d '"')
  PRETTY=$(sed -n 's/^PRETTY_NAME=//p' "$OS_RELEASE" 2>/dev/null | tr -d '"')
  [ "$CODENAME" = "$B_RELEASE" ] || die "bundle $B_NAME is built against Debian $B_RELEASE's OpenCV 4.6 libraries; this system is ${PRETTY:-unknown} (${CODENAME:-no VERSION_CODENAME}). Install from a checkout instead (scripts/install.sh without --bundle builds against this system's OpenCV)."
  note "system: $PRETTY"
fi

if [ "$BUNDLE_MODE" = 1 ]; then
  # The native modules are built for one Node ABI; the bundled Node is that one.
  if [ -n "$NODE_ARG$( [ -n "${LOOKOUT_INSTALL_NODE:-}" ] && echo x)" ]; then
    NODE=$(readlink -f "${NODE_ARG:-$LOOKOUT_INSTALL_NODE}")
    [ -x "$NODE" ] || die "node '$NODE' is not executable"
    NODE_VERSION=$("$NODE" -p 'process.versions.node') || die "'$NODE' does not run"
    NODE_ABI=$("$NODE" -p 'process.versions.modules')
    [ "$NODE_ABI" = "$B_ABI" ] || die "bundle $B_NAME is built for Node ${B_NODE%%.*} (ABI $B_ABI); $NODE is Node $NODE_VERSION (ABI $NODE_ABI). Leave out --node to use the Node inside the bundle, or use Node ${B_NODE%%.*}."
    note "node: $NODE ($NODE_VERSION, ABI $NODE_ABI, as the bundle needs)"
  else
    "$SRC/node/bin/node" -e 'process.exit(0)' 2>/dev/null \
      || die "the bundle's Node ($SRC/node/bin/node) does not run on this machine ($(uname -m))"
    NODE=$PREFIX/node/bin/node
    note "node: the bundle's Node $B_NODE, installed as $NODE"
  fi
else
NODE=${LOOKOUT_INSTALL_NODE:-$(command -v node || true)}
[ -n "$NODE" ] || die "node not found. Install Node.js 22 LTS (20 works but is past end of life), e.g. from https://github.com/nodesource/distributions, then run this again."
NODE=$(readlink -f "$NODE")
[ -x "$NODE" ] || die "node '$NODE' is not executable"
NODE_VERSION=$("$NODE" -p 'process.versions.node') || die "'$NODE' does not run"
NODE_MAJOR=${NODE_VERSION%%.*}
[ "$NODE_MAJOR" -ge 20 ] || die "Node.js $NODE_VERSION at $NODE is too old: need 20 or newer (22 LTS recommended)"
note "node: $NODE ($NODE_VERSION)"
[ "$NODE_MAJOR" -ge 22 ] || note "note: Node.js $NODE_MAJOR is past end of life; Node 22 LTS is recommended"
case "$NODE" in
  /home/*|/root/*) note "warning: $NODE lives in a home directory, which the service cannot see (ProtectHome=yes); install node system-wide (e.g. /usr/bin/node)" ;;
esac
fi

if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  HAVE_SYSTEMD=1
  note "systemd: $(systemctl --version | head -1)"
else
  HAVE_SYSTEMD=0
  [ "$DRY" -eq 1 ] || [ "$NO_SYSTEMD" -eq 1 ] || die "systemd is not running on this machine; Lookout installs as a systemd service (--no-systemd installs the files and the unit without starting anything, e.g. into an image)"
  note "systemd: not running here ($( [ "$NO_SYSTEMD" -eq 1 ] && echo '--no-systemd: systemctl steps skipped' || echo 'dry run goes on'))"
fi
[ "$NO_SYSTEMD" -eq 1 ] && HAVE_SYSTEMD=0

JETSON=0
if [ -n "${LOOKOUT_INSTALL_JETSON:-}" ]; then JETSON=$LOOKOUT_INSTALL_JETSON
elif [ -f /etc/nv_tegra_release ]; then JETSON=1; fi
[ "$JETSON" = 1 ] && note "NVIDIA Jetson detected: the Jetson drop-in will be installed"
[ -f "$SRC/systemd/lookout.service" ] || die "$SRC/systemd/lookout.service missing: run this from a Lookout checkout"
[ -f "$SRC/config/lookout.example.yaml" ] || die "$SRC/config/lookout.example.yaml missing: run this from a Lookout checkout"

# What the first config and the broker will be, decided (and the password asked for) before the
# long steps, so nobody has to wait at the prompt.
FIRST_CONFIG=0
[ -e "$CONF_DIR/config.yaml" ] || FIRST_CONFIG=1
BROKER_WHY=""
if [ "$WITH_BROKER" = 1 ]; then BROKER_WHY="--with-broker"
elif [ "$FIRST_CONFIG" = 1 ] && [ -z "$MQTT_URL" ]; then
  WITH_BROKER=1
  BROKER_WHY="no --mqtt-url given, so Lookout gets a broker on this machine"
fi
if [ "$FIRST_CONFIG" = 0 ] && [ -n "$CAMERA$MQTT_URL$DEVICE_ID" ]; then
  note "warning: $CONF_DIR/config.yaml exists and is kept; --camera, --mqtt-url and --device-id only shape a first config (edit the file, then: sudo systemctl restart lookout)"
fi
MQTT_PASSWORD=""
HAVE_PASSWORD=0
if [ -n "$MQTT_USER" ]; then
  if [ -n "$MQTT_PASSWORD_FILE" ]; then
    [ -r "$MQTT_PASSWORD_FILE" ] || die "--mqtt-password-file $MQTT_PASSWORD_FILE: cannot read it"
    MQTT_PASSWORD=$(cat "$MQTT_PASSWORD_FILE"); HAVE_PASSWORD=1
  elif [ -n "${LOOKOUT_MQTT_PASSWORD+x}" ]; then
    MQTT_PASSWORD=$LOOKOUT_MQTT_PASSWORD; HAVE_PASSWORD=1
  elif [ -t 0 ] && [ "$DRY" -eq 0 ]; then
    read -rsp "    MQTT password for '$MQTT_USER' (kept as a root-only systemd credential): " MQTT_PASSWORD; echo
    HAVE_PASSWORD=1
  else
    note "no password for '$MQTT_USER' given (no terminal to ask on); put it into $CRED_DIR/mqtt_password later"
  fi
fi

step "system user '$SERVICE_USER'"
GROUPS_WANTED=video
getent group render >/dev/null 2>&1 && GROUPS_WANTED=video,render
getent group video >/dev/null 2>&1 || run groupadd --system video
if id "$SERVICE_USER" >/dev/null 2>&1; then
  note "exists; making sure it is in $GROUPS_WANTED"
  run usermod --append --groups "$GROUPS_WANTED" "$SERVICE_USER"
else
  run useradd --system --user-group --home-dir "$STATE_DIR" --no-create-home \
    --shell /usr/sbin/nologin --groups "$GROUPS_WANTED" --comment "Lookout object detection" "$SERVICE_USER"
fi

step "program files → $PREFIX"
# node_modules, built models and the TypeScript output stay in $PREFIX across upgrades
# (setup.sh rebuilds only what changed); test data and git metadata are not installed.
EXCLUDES=(--exclude=.git --exclude=node_modules --exclude=.cache --exclude=dist --exclude=coverage
          --exclude='models/*.onnx' --exclude='models/*.onnx.tmp*')
if [ "$BUNDLE_MODE" = 0 ] && [ -f "$SRC/node_modules/.lookout-setup-stamp" ] \
   && [ "$(cat "$SRC/node_modules/.lookout-setup-stamp")" = "$(sha256sum "$SRC/package-lock.json" | cut -d' ' -f1)-$("$NODE" -v)-$(uname -m)" ]; then
  # The checkout was set up with this Node on this architecture: its compiled OpenCV binding and
  # built models are what setup.sh would make again (one compile per install, not two).
  EXCLUDES=(--exclude=.git --exclude=.cache --exclude=dist --exclude=coverage --exclude='models/*.onnx.tmp*')
  note "reusing $SRC's node_modules and models (set up with the same Node, architecture and lock file)"
fi
if [ "$BUNDLE_MODE" = 1 ]; then
  # A bundle replaces the whole program folder (nothing of an older version may linger in
  # node_modules); the new tree is complete before the old one is moved away.
  case "$PREFIX" in /|/usr|/usr/*|/etc|/etc/*|/var|/home|/root|/opt|/tmp) die "refusing to replace '$PREFIX' with a bundle; choose e.g. /opt/lookout" ;; esac
  [ ! -d "$PREFIX" ] || [ -f "$PREFIX/bin/lookout.js" ] || die "$PREFIX exists and is not a Lookout install; not replacing it"
  [ "$SRC" != "$PREFIX" ] || die "run the bundle's install.sh from the unpacked bundle or with --bundle FILE, not from $PREFIX"
  run rm -rf "$PREFIX.new" "$PREFIX.old"
  run cp -a "$SRC" "$PREFIX.new"
  if [ -d "$PREFIX" ]; then run mv "$PREFIX" "$PREFIX.old"; fi
  run mv "$PREFIX.new" "$PREFIX"
  run rm -rf "$PREFIX.old"
elif [ "$SRC" = "$PREFIX" ]; then
  note "running from $PREFIX itself; nothing to copy"
elif command -v rsync >/dev/null 2>&1; then
  run mkdir -p "$PREFIX"
  run rsync -a --delete "${EXCLUDES[@]}" --exclude=/state "$SRC/" "$PREFIX/"
else
  run mkdir -p "$PREFIX"
  if [ "$DRY" -eq 1 ]; then
    echo "    would run: tar -C $SRC ${EXCLUDES[*]} --exclude=./state -cf - . | tar -C $PREFIX -xf -"
  else
    tar -C "$SRC" "${EXCLUDES[@]}" --exclude=./state -cf - . | tar -C "$PREFIX" -xf -
  fi
fi
run chown -R root:root "$PREFIX"

if [ "$BUNDLE_MODE" = 1 ]; then
  step "runtime libraries (apt)"
  PLATFORM_SH=$(dirname "${BASH_SOURCE[0]}")/lib/platform.sh
  [ -f "$PLATFORM_SH" ] || PLATFORM_SH=$SRC/scripts/lib/platform.sh
  [ -f "$PLATFORM_SH" ] || die "scripts/lib/platform.sh is missing (beside this script and in the bundle)"
  # shellcheck source=lib/platform.sh
  . "$PLATFORM_SH"
  read -r -a APT_PKGS <<< "$B_APT"
  if lookout_is_raspberry_pi_os; then
    APT_PKGS+=(gstreamer1.0-libcamera)
    note "Raspberry Pi OS: adding gstreamer1.0-libcamera (the Pi camera's GStreamer element)"
  fi
  MISSING=()
  for p in "${APT_PKGS[@]}"; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || MISSING+=("$p")
  done
  note "needed: ${APT_PKGS[*]}"
  if [ ${#MISSING[@]} -gt 0 ]; then
    note "installing: ${MISSING[*]}"
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${MISSING[@]}"
  else
    note "all present"
  fi
  step "check the bundle on this machine"
  if [ "$DRY" -eq 1 ]; then
    echo "    would check: the OpenCV and ONNX Runtime bindings load; lookout model verify $B_MODELS"
  else
    (cd "$PREFIX" && "$NODE" -e "require('@u4/opencv4nodejs'); require('onnxruntime-node')" >/dev/null 2>"$PREFIX/.install-check.err") \
      || { cat "$PREFIX/.install-check.err" >&2; die "the bundle's native modules do not load (above); are the runtime libraries installed?"; }
    rm -f "$PREFIX/.install-check.err"
    note "OpenCV and ONNX Runtime bindings load"
    for m in $B_MODELS; do
      "$NODE" "$PREFIX/bin/lookout.js" model verify "$m" >/dev/null || die "model $m in $PREFIX/models does not verify"
      note "model $m: verified"
    done
  fi
else
step "dependencies, build and model (scripts/setup.sh in $PREFIX)"
# setup.sh must build with the same node the unit will run.
# --no-demo: the service reads a real camera; the demo video is for trying Lookout from a clone.
run env PATH="$(dirname "$NODE"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" bash "$PREFIX/scripts/setup.sh" --no-demo
fi

if [ "$WITH_BROKER" = 1 ]; then
  step "local MQTT broker (Mosquitto)"
  note "why: $BROKER_WHY"
  BROKER_MISSING=()
  for p in mosquitto mosquitto-clients; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || BROKER_MISSING+=("$p")
  done
  if [ ${#BROKER_MISSING[@]} -gt 0 ]; then
    run apt-get update -qq
    run env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${BROKER_MISSING[@]}"
  else
    note "mosquitto is installed"
  fi
  if [ "$HAVE_SYSTEMD" -eq 1 ] || [ "$DRY" -eq 1 ]; then run systemctl enable --now mosquitto.service; fi
  note "Debian's Mosquitto listens on localhost only; for Home Assistant on another machine, point Lookout at HA's broker (--mqtt-url) or bridge this one (docs/fleet.md)"
fi

step "configuration in $CONF_DIR"
# The service may write here: the page's Save replaces config.yaml (a temp file renamed over it) and
# keeps backups beside it. Group-writable for lookout, setgid so files made here stay in that group;
# an older install made it 0750, and this line fixes that on upgrade. Whatever the service could have
# put here is not trusted below: temp names come from mktemp, the credentials folder must be root's.
run install -d -o root -g "$SERVICE_USER" -m 2770 "$CONF_DIR"
if [ -L "$CRED_DIR" ] || { [ -e "$CRED_DIR" ] && [ "$(stat -c %u "$CRED_DIR")" != 0 ]; }; then
  die "$CRED_DIR is a link or not owned by root; the service can write in $CONF_DIR, so this folder cannot be trusted with secrets. Look at it, remove it, and run this again."
fi
CAMERA_CHOSEN="(the existing config's)"
if [ "$FIRST_CONFIG" = 0 ]; then
  note "$CONF_DIR/config.yaml exists; kept (every key is documented in $CONF_DIR/config.example.yaml)"
else
  STARTER=(config starter --mqtt-url "${MQTT_URL:-mqtt://127.0.0.1:1883}")
  [ -n "$CAMERA" ] && STARTER+=(--camera "$CAMERA")
  [ -n "$MQTT_USER" ] && STARTER+=(--mqtt-user "$MQTT_USER")
  [ -n "$DEVICE_ID" ] && STARTER+=(--device-id "$DEVICE_ID")
  if [ "$DRY" -eq 1 ]; then
    echo "    would write: $CONF_DIR/config.yaml (starter:$(printf ' %q' lookout "${STARTER[@]}"))"
    CAMERA_CHOSEN="(chosen at install)"
  else
    # mktemp, not fixed names: a fixed name in a folder the service can write could be its symlink.
    STARTER_TMP=$(mktemp "$CONF_DIR/.config.yaml.XXXXXX")
    STARTER_LOG=$(mktemp /tmp/lookout-starter.XXXXXX)
    "$NODE" "$PREFIX/bin/lookout.js" "${STARTER[@]}" > "$STARTER_TMP" 2> "$STARTER_LOG" \
      || { cat "$STARTER_LOG" >&2; rm -f "$STARTER_TMP" "$STARTER_LOG"; die "could not write the starter config"; }
    CAMERA_CHOSEN=$(sed -n 's/^camera: //p' "$STARTER_LOG")
    rm -f "$STARTER_LOG"
    chown root:"$SERVICE_USER" "$STARTER_TMP"
    chmod 0640 "$STARTER_TMP"
    mv -T "$STARTER_TMP" "$CONF_DIR/config.yaml"
    note "wrote a starter config; camera: $CAMERA_CHOSEN"
  fi
fi
run install -o root -g "$SERVICE_USER" -m 0640 "$SRC/config/lookout.example.yaml" "$CONF_DIR/config.example.yaml"
# systemd reads these as root and hands copies to the service in $CREDENTIALS_DIRECTORY;
# LoadCredential= fails the start when a source file is missing, so create empty ones (= unset).
run install -d -o root -g root -m 0700 "$CRED_DIR"
# A folder made in the setgid $CONF_DIR inherits the bit, and install -d keeps it: plain 0700 here.
run chmod g-s "$CRED_DIR"
for cred in "${CREDENTIALS[@]}"; do
  if [ -e "$CRED_DIR/$cred" ]; then note "credential $cred exists; kept"
  else run install -o root -g root -m 0600 /dev/null "$CRED_DIR/$cred"; fi
done
if [ "$HAVE_PASSWORD" = 1 ]; then
  if [ "$DRY" -eq 1 ]; then echo "    would write: $CRED_DIR/mqtt_password (the password for '$MQTT_USER')"
  else
    (umask 077; printf '%s' "$MQTT_PASSWORD" > "$CRED_DIR/mqtt_password.tmp")
    mv "$CRED_DIR/mqtt_password.tmp" "$CRED_DIR/mqtt_password"
    note "password for '$MQTT_USER' stored in $CRED_DIR/mqtt_password (root only; the service reads it as a credential)"
  fi
fi

step "systemd unit"
if [ "$DRY" -eq 1 ]; then
  echo "    would write: $UNIT (ExecStart=$NODE $PREFIX/bin/lookout.js run --config $CONF_DIR/config.yaml)"
else
  # ExecStart and ExecReload both run node: both get the node this install uses.
  sed -e "s#^\(Exec[A-Za-z]*=\)/usr/bin/node /opt/lookout/#\1$NODE $PREFIX/#" \
      -e "s#^WorkingDirectory=/opt/lookout\$#WorkingDirectory=$PREFIX#" \
      -e "s#file:/opt/lookout/#file:$PREFIX/#" \
      "$SRC/systemd/lookout.service" > "$UNIT.tmp"
  chmod 0644 "$UNIT.tmp"
  mv "$UNIT.tmp" "$UNIT"
fi
if [ "$JETSON" = 1 ]; then
  run install -d -m 0755 "$DROPIN_DIR"
  run install -m 0644 "$SRC/systemd/lookout-jetson.conf" "$DROPIN_DIR/jetson.conf"
elif [ -e "$DROPIN_DIR/jetson.conf" ]; then
  run rm -f "$DROPIN_DIR/jetson.conf"
fi
# sd_notify from the node process itself needs the optional native unix-dgram; without it the
# systemd-notify fallback needs NotifyAccess=all.
if [ "$DRY" -eq 1 ]; then
  echo "    would check: unix-dgram loads in $PREFIX, else install $DROPIN_DIR/notify-access.conf (NotifyAccess=all)"
elif (cd "$PREFIX" && "$NODE" -e "require('unix-dgram')" >/dev/null 2>&1); then
  rm -f "$DROPIN_DIR/notify-access.conf"
else
  note "unix-dgram did not build; sd_notify falls back to systemd-notify (NotifyAccess=all)"
  install -d -m 0755 "$DROPIN_DIR"
  install -m 0644 "$SRC/systemd/lookout-notify-all.conf" "$DROPIN_DIR/notify-access.conf"
fi
if [ "$DRY" -eq 0 ] && command -v systemd-analyze >/dev/null 2>&1; then
  systemd-analyze verify "$UNIT" || note "warning: systemd-analyze verify reported problems (above)"
fi

step "command $WRAPPER"
if [ -e "$WRAPPER" ] && ! grep -qF "$WRAPPER_MARK" "$WRAPPER" 2>/dev/null; then
  note "$WRAPPER exists and is not ours; left alone (run: $NODE $PREFIX/bin/lookout.js)"
elif [ "$DRY" -eq 1 ]; then
  echo "    would write: $WRAPPER (exec $NODE $PREFIX/bin/lookout.js)"
else
  printf '#!/bin/sh\n%s\nexec %s %s/bin/lookout.js "$@"\n' "$WRAPPER_MARK" "$NODE" "$PREFIX" > "$WRAPPER.tmp"
  chmod 0755 "$WRAPPER.tmp"
  mv "$WRAPPER.tmp" "$WRAPPER"
  note "lookout detect|bench|config|model ... runs the installed program"
fi

step "check the configuration"
if [ "$DRY" -eq 1 ]; then
  echo "    would run: $NODE $PREFIX/bin/lookout.js config check $CONF_DIR/config.yaml"
elif ! "$NODE" "$PREFIX/bin/lookout.js" config check "$CONF_DIR/config.yaml"; then
  note "the config has errors (listed above); fix $CONF_DIR/config.yaml, then: sudo systemctl restart lookout"
  START=0
fi

step "enable$( [ "$START" -eq 1 ] && echo ' and start') the service"
if [ "$NO_SYSTEMD" -eq 1 ]; then
  note "--no-systemd: not enabled; on the booted system: systemctl enable --now lookout"
elif [ "$HAVE_SYSTEMD" -eq 1 ] || [ "$DRY" -eq 1 ]; then
  run systemctl daemon-reload
  run systemctl enable lookout.service
  if [ "$START" -eq 1 ]; then
    run systemctl restart lookout.service
  else
    note "not started (--no-start or config errors); start with: sudo systemctl start lookout"
  fi
fi

STEP=""
echo "==> install: done$( [ "$DRY" -eq 1 ] && echo ' (dry run: nothing was changed)')"
cat <<EOF

  camera:      $CAMERA_CHOSEN
  broker:      $( [ "$FIRST_CONFIG" = 1 ] && echo "${MQTT_URL:-mqtt://127.0.0.1:1883}" || echo "(the existing config's)")$( [ "$WITH_BROKER" = 1 ] && echo "   (Mosquitto on this machine: $BROKER_WHY)")
  check:       sudo -u $SERVICE_USER lookout doctor
  config:      $CONF_DIR/config.yaml   (reload after edits: sudo systemctl reload lookout;
               the page's Save writes it too, keeping config.yaml.<time>.bak backups)
  reference:   $CONF_DIR/config.example.yaml   (every key, documented)
  secrets:     $CRED_DIR/{$(IFS=,; echo "${CREDENTIALS[*]}")}   (root-only files; restart after edits)
  state:       $STATE_DIR
  status:      systemctl status lookout
  logs:        journalctl -u lookout -f
  watch MQTT:  mosquitto_sub -h localhost -t 'lookout/#' -v
EOF
