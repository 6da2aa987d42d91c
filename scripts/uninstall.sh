#!/usr/bin/env bash
# Remove the Lookout service installed by scripts/install.sh.
#
#   sudo scripts/uninstall.sh            stop, disable, remove the unit and the program files;
#                                        keep /etc/lookout (config, credentials) and /var/lib/lookout
#   sudo scripts/uninstall.sh --purge    also remove those and the 'lookout' system user
#   scripts/uninstall.sh --dry-run       print the steps, change nothing
#   --prefix DIR                         where the program was installed (default /opt/lookout)
set -euo pipefail

PREFIX=/opt/lookout
PURGE=0
DRY=0
UNIT_DIR=/etc/systemd/system
die() { echo "uninstall: $*" >&2; exit 1; }
usage() { sed -n '2,9p' "$0" | sed 's/^# \{0,1\}//'; }

while [ $# -gt 0 ]; do
  case "$1" in
    --prefix) [ $# -ge 2 ] || die "--prefix needs a directory"; PREFIX=$2; shift 2 ;;
    --prefix=*) PREFIX=${1#--prefix=}; shift ;;
    --purge) PURGE=1; shift ;;
    --dry-run) DRY=1; shift ;;
    -h|--help) usage; exit 0 ;;
    *) echo "uninstall: unknown argument '$1'" >&2; usage >&2; exit 2 ;;
  esac
done
PREFIX=${PREFIX%/}
case "$PREFIX" in
  /*) ;;
  *) die "--prefix must be an absolute path (got '$PREFIX')" ;;
esac
# Refuse to rm -rf something that is not a Lookout install.
case "$PREFIX" in /|/usr|/usr/*|/etc|/etc/*|/var|/home|/root|/opt) die "refusing to remove '$PREFIX'" ;; esac
if [ -d "$PREFIX" ] && [ ! -f "$PREFIX/bin/lookout.js" ]; then
  die "$PREFIX does not look like a Lookout install (no bin/lookout.js); not removing it"
fi
[ "$DRY" -eq 1 ] || [ "$(id -u)" -eq 0 ] || die "run as root (sudo $0), or with --dry-run to see the steps"

run() { if [ "$DRY" -eq 1 ]; then echo "    would run:$(printf ' %q' "$@")"; else "$@"; fi; }
step() { echo "==> uninstall: $1"; }

step "stop and disable the service"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  run systemctl disable --now lookout.service || true
else
  echo "    systemd not running here; skipped"
fi

step "remove the unit"
run rm -f "$UNIT_DIR/lookout.service"
run rm -rf "$UNIT_DIR/lookout.service.d"
if command -v systemctl >/dev/null 2>&1 && [ -d /run/systemd/system ]; then
  run systemctl daemon-reload
  run systemctl reset-failed lookout.service 2>/dev/null || true
fi

step "remove the program ($PREFIX)"
run rm -rf "$PREFIX" "$PREFIX.new" "$PREFIX.old"
# The command install.sh writes; someone else's /usr/local/bin/lookout is left alone.
if grep -qsF "# lookout wrapper installed by scripts/install.sh" /usr/local/bin/lookout; then
  run rm -f /usr/local/bin/lookout
fi

if [ "$PURGE" -eq 1 ]; then
  step "purge config, credentials, state and the 'lookout' user"
  run rm -rf /etc/lookout /var/lib/lookout
  if id lookout >/dev/null 2>&1; then run userdel lookout; fi
else
  echo "    kept: /etc/lookout (config, credentials) and /var/lib/lookout; --purge removes them"
fi
echo "==> uninstall: done$( [ "$DRY" -eq 1 ] && echo ' (dry run: nothing was changed)')"
