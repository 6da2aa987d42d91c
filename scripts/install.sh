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
WRAPPER=/usr/local/bin/lookout
WRAPPER_MARK="# lookout wrapper installed by scripts/install.sh"

usage() { sed -n '2,21p' "$0" | sed 's/^# \{0,1\}//'; }
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
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "install: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
case "$PREFIX" in /*) ;; *) die "--prefix must be an absolute path (got '$PREFIX')" ;; esac
PREFIX=${PREFIX%/}

STEP=""
step() { STEP="$1"; echo "==> install: $1"; }
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
else
step "dependencies, build and model (scripts/setup.sh in $PREFIX)"
# setup.sh must build with the same node the unit will run.
run env PATH="$(dirname "$NODE"):/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin" bash "$PREFIX/scripts/setup.sh"
fi

step "configuration in $CONF_DIR"
run install -d -o root -g "$SERVICE_USER" -m 0750 "$CONF_DIR"
if [ -e "$CONF_DIR/config.yaml" ]; then
  note "$CONF_DIR/config.yaml exists; kept (the new example is $PREFIX/config/lookout.example.yaml)"
else
  run install -o root -g "$SERVICE_USER" -m 0640 "$SRC/config/lookout.example.yaml" "$CONF_DIR/config.yaml"
fi
# systemd reads these as root and hands copies to the service in $CREDENTIALS_DIRECTORY;
# LoadCredential= fails the start when a source file is missing, so create empty ones (= unset).
run install -d -o root -g root -m 0700 "$CRED_DIR"
for cred in "${CREDENTIALS[@]}"; do
  if [ -e "$CRED_DIR/$cred" ]; then note "credential $cred exists; kept"
  else run install -o root -g root -m 0600 /dev/null "$CRED_DIR/$cred"; fi
done

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

  config:      $CONF_DIR/config.yaml   (reload after edits: sudo systemctl reload lookout)
  secrets:     $CRED_DIR/{$(IFS=,; echo "${CREDENTIALS[*]}")}   (root-only files; restart after edits)
  state:       $STATE_DIR
  status:      systemctl status lookout
  logs:        journalctl -u lookout -f
  watch MQTT:  mosquitto_sub -h localhost -t 'lookout/#' -v
EOF
