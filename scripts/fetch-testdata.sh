#!/usr/bin/env bash
# Real test images and video from Debian's opencv-doc package (examples/data), extracted into the
# git-ignored .cache/testdata. Only the files the tests use are kept.
set -euo pipefail
ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
DEST="$ROOT/.cache/testdata"
FILES=(messi5.jpg basketball1.png basketball2.png fruits.jpg orange.jpg baboon.jpg aero3.jpg home.jpg vtest.avi)
mkdir -p "$DEST"
missing=0
for f in "${FILES[@]}"; do [ -s "$DEST/$f" ] || missing=1; done
if [ $missing -eq 0 ]; then echo "    test data present in $DEST"; exit 0; fi

WORK=$(mktemp -d)
trap 'rm -rf "$WORK"' EXIT
cd "$WORK"
echo "    apt-get download opencv-doc"
if ! apt-get download opencv-doc >/dev/null 2>&1; then
  SUDO=""; [ "$(id -u)" -ne 0 ] && SUDO=sudo
  $SUDO apt-get update -qq
  apt-get download opencv-doc >/dev/null
fi
DEB=$(ls opencv-doc_*.deb)
dpkg-deb --fsys-tarfile "$DEB" > doc.tar
for f in "${FILES[@]}"; do
  member=$(tar tf doc.tar | grep -E "/examples/data/$f(\.gz)?\$" | head -n1 || true)
  [ -n "$member" ] || { echo "fetch-testdata: $f not found in $DEB" >&2; exit 1; }
  tar xf doc.tar "$member"
  case "$member" in
    *.gz) gunzip -c "$member" > "$DEST/$f.tmp" ;;
    *) cp "$member" "$DEST/$f.tmp" ;;
  esac
  mv "$DEST/$f.tmp" "$DEST/$f"
done
echo "    extracted ${#FILES[@]} files into $DEST"
