#!/usr/bin/env bash
# Make a prebuilt Lookout bundle, so a device installs with no compiler and no npm:
#
#   scripts/bundle.sh [--arch arm64|x64] [--out DIR] [--node-version X.Y.Z] [--repack]
#
# writes DIR/lookout-<version>-linux-<arch>.tar.gz (DIR defaults to .cache/bundles) holding dist/,
# bin/, production node_modules/ with the OpenCV binding built for <arch> against Debian bookworm's
# OpenCV 4.6 and ONNX Runtime's binding for linux/<arch> only, every model in models/ that has a
# manifest (verified first), config/, systemd/, scripts/, docs/, its own Node.js (the official
# binary from the npm package node-linux-<arch>), BUNDLE (what it was built for, the apt runtime
# packages it needs) and SHA256SUMS. Install it with: sudo scripts/install.sh --bundle FILE
#
# Run from a clone that scripts/setup.sh has set up (dist/ built, models built). x64 builds natively
# (the host must be x86_64 Debian 12); arm64 cross-compiles with g++-aarch64-linux-gnu against an
# arm64 bookworm root made under emulation (root needed, cached in /var/cache/lookout-arm64; see
# docs/arm64.md). The bundle carries its own Node because the OpenCV binding (nan) is built for one
# Node ABI: carrying the Node it was built for makes the device's Node irrelevant.
# The production node_modules are the packages package-lock.json locks (scripts/lib/bundle-deps.js),
# copied from this clone's node_modules and checked against the lock (versions, nothing missing or extra).
# --repack reuses the compiled native modules (OpenCV binding, unix-dgram) and Node of the last build
# for that arch (.cache/bundle/) and refreshes everything else (dist, scripts, docs, config, models,
# the pure-JS node_modules from the lock file): minutes saved when the native modules' versions did
# not change (it refuses when they did).
set -euo pipefail

ROOT=$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)
cd "$ROOT"
# shellcheck source=lib/arm64-root.sh
. "$ROOT/scripts/lib/arm64-root.sh"

HOST_ARCH=$(uname -m)
case "$HOST_ARCH" in x86_64) ARCH=x64 ;; aarch64) ARCH=arm64 ;; *) ARCH=unknown ;; esac
OUT=$ROOT/.cache/bundles
NODE_VERSION=22.23.5
REPACK=0
die() { echo "bundle: $*" >&2; exit 1; }
while [ $# -gt 0 ]; do
  case "$1" in
    --arch) [ $# -ge 2 ] || die "--arch needs arm64 or x64"; ARCH=$2; shift 2 ;;
    --arch=*) ARCH=${1#--arch=}; shift ;;
    --out) [ $# -ge 2 ] || die "--out needs a directory"; OUT=$2; shift 2 ;;
    --out=*) OUT=${1#--out=}; shift ;;
    --node-version) [ $# -ge 2 ] || die "--node-version needs X.Y.Z"; NODE_VERSION=$2; shift 2 ;;
    --node-version=*) NODE_VERSION=${1#--node-version=}; shift ;;
    --repack) REPACK=1; shift ;;
    -h|--help) sed -n '2,23p' "$0" | sed 's/^# \{0,1\}//'; exit 0 ;;
    *) echo "bundle: unknown argument '$1' (try --help)" >&2; exit 2 ;;
  esac
done
case "$ARCH" in
  arm64) DEB_ARCH=arm64; MULTIARCH=aarch64-linux-gnu; ELF_MACHINE=AArch64 ;;
  x64) DEB_ARCH=amd64; MULTIARCH=x86_64-linux-gnu; ELF_MACHINE=X86-64 ;;
  *) die "--arch must be arm64 or x64 (got '$ARCH')" ;;
esac
mkdir -p "$OUT"
OUT=$(cd "$OUT" && pwd)

STEP=""
T0=$(date +%s)
TS=$T0
step() {
  local now; now=$(date +%s)
  [ -n "$STEP" ] && echo "    ($((now - TS)) s)"
  STEP="$1"; TS=$now; echo "==> bundle: $1"
}
trap 'rc=$?; [ $rc -ne 0 ] && echo "bundle: FAILED at step: ${STEP} (exit $rc)" >&2' EXIT

step "check the build machine"
[ "$HOST_ARCH" = x86_64 ] || [ "$ARCH" = arm64 ] || die "an x64 bundle is built on x86_64 (this is $HOST_ARCH)"
if [ "$ARCH" = arm64 ] && [ "$HOST_ARCH" = x86_64 ]; then
  CROSS=1
  [ "$(id -u)" -eq 0 ] || die "the arm64 cross-build needs root (it prepares an arm64 root with debootstrap/chroot)"
else
  CROSS=0
  dpkg-query -W -f='${Status}' libopencv-dev 2>/dev/null | grep -q 'install ok installed' \
    || die "libopencv-dev is not installed; run scripts/setup.sh first"
fi
. /etc/os-release
[ "${VERSION_CODENAME:-}" = bookworm ] || die "bundles are built on Debian 12 (bookworm) for bookworm devices; this is ${PRETTY_NAME:-unknown}"
[ -f dist/cli.js ] || die "dist/cli.js missing: run scripts/setup.sh (or npm run build) first"
[ -d node_modules/@u4/opencv4nodejs ] || die "node_modules missing: run scripts/setup.sh first"
VERSION=$(node -p 'require("./package.json").version')
NAME=lookout-$VERSION-linux-$ARCH
STAGE=$ROOT/.cache/bundle/$NAME
# Two builds of one arch would share (and wipe) the staging folder.
mkdir -p "$ROOT/.cache/bundle"
exec 9>"$ROOT/.cache/bundle/.$NAME.lock"
flock -n 9 || die "another scripts/bundle.sh is building $NAME now (lock $ROOT/.cache/bundle/.$NAME.lock); wait for it"
NODE_GYP=$(dirname "$(readlink -f "$(command -v npm)")")/../node_modules/node-gyp/bin/node-gyp.js
[ -f "$NODE_GYP" ] || die "node-gyp not found beside npm ($NODE_GYP)"
echo "    $NAME, Node $NODE_VERSION, cross-compile: $([ $CROSS = 1 ] && echo yes || echo no)"

step "verify the models"
MODELS=()
for manifest in models/*.json; do
  name=$(basename "$manifest" .json)
  [ -f "models/$name.onnx" ] || continue
  node bin/lookout.js model verify "$name" >/dev/null || die "model $name does not verify (run: node bin/lookout.js model verify $name)"
  MODELS+=("$name")
done
[ ${#MODELS[@]} -gt 0 ] || die "no built model in models/ (run scripts/setup.sh)"
echo "    verified: ${MODELS[*]}"

step "Node.js $NODE_VERSION for linux-$ARCH (npm package node-linux-$ARCH)"
NODE_DIR=$ARM64_CACHE/node/node-linux-$ARCH-$NODE_VERSION
if [ ! -x "$NODE_DIR/bin/node" ]; then
  mkdir -p "$ARM64_CACHE/dl" "$NODE_DIR.tmp"
  (cd "$ARM64_CACHE/dl" && [ -f "node-linux-$ARCH-$NODE_VERSION.tgz" ] || npm pack --silent "node-linux-$ARCH@$NODE_VERSION" >/dev/null)
  tar -xzf "$ARM64_CACHE/dl/node-linux-$ARCH-$NODE_VERSION.tgz" -C "$NODE_DIR.tmp" --strip-components=1
  mv "$NODE_DIR.tmp" "$NODE_DIR"
fi
[ -f "$NODE_DIR/include/node/node_api.h" ] || die "$NODE_DIR has no include/node headers (needed to build the bindings)"
NODE_ABI=$(grep -m1 -E '^#define NODE_MODULE_VERSION [0-9]+' "$NODE_DIR/include/node/node_version.h" | awk '{print $3}')
echo "    $NODE_DIR (ABI $NODE_ABI)"

if [ $CROSS = 1 ]; then
  step "arm64 sysroot (bookworm with libopencv-dev, under emulation; cached)"
  arm64_host_tools
  arm64_binfmt
  arm64_base
  arm64_sysroot
  SR=$ARM64_CACHE/sysroot
else
  SR=""
fi

step "stage files in $STAGE"
CV_NODE=$STAGE/node_modules/@u4/opencv4nodejs/build/Release/opencv4nodejs.node
UD_NODE=$STAGE/node_modules/unix-dgram/build/Release/unix_dgram.node
# node_modules is made in NM_NEW, then moved into the stage: a failed --repack leaves the last build's
# compiled modules where the next --repack finds them.
NM_NEW=$ROOT/.cache/bundle/$NAME.node_modules
rm -rf "$NM_NEW"
if [ $REPACK = 1 ]; then
  [ -f "$CV_NODE" ] && [ -x "$STAGE/node/bin/node" ] || die "--repack: no earlier build in $STAGE; run without --repack"
  cmp -s "$STAGE/node/bin/node" "$NODE_DIR/bin/node" || die "--repack: $STAGE holds another Node than $NODE_VERSION; run without --repack"
  rm -rf "$STAGE"/bin "$STAGE"/dist "$STAGE"/ui "$STAGE"/config "$STAGE"/systemd "$STAGE"/scripts "$STAGE"/docs "$STAGE"/models \
    "$STAGE"/package.json "$STAGE"/package-lock.json "$STAGE"/README.md "$STAGE"/BUNDLE "$STAGE"/SHA256SUMS
else
  rm -rf "$STAGE"
fi
mkdir -p "$STAGE/models"
cp -a bin dist ui config systemd scripts docs package.json package-lock.json README.md "$STAGE/"
for m in "${MODELS[@]}"; do cp "models/$m.json" "models/$m.onnx" "$STAGE/models/"; done
[ -f models/README.md ] && cp models/README.md "$STAGE/models/"
# The production packages of package-lock.json, copied from this clone (no network, no install
# scripts), for both a full build and --repack: a package added to package.json since the last build
# comes along, a removed or dev-only one does not. The build trees of the native modules are left
# out: built below for the target, or carried over from the last build by --repack.
mkdir -p "$NM_NEW"
node scripts/lib/bundle-deps.js paths "$ROOT" > "$NM_NEW/.paths" \
  || die "this clone's node_modules lacks packages of package-lock.json (run npm ci or scripts/setup.sh)"
tar -C "$ROOT" --exclude=node_modules/@u4/opencv4nodejs/build --exclude=node_modules/unix-dgram/build \
  --exclude=node_modules/.cache -cf - -T "$NM_NEW/.paths" | tar -C "$NM_NEW" -xf -
rm "$NM_NEW/.paths"
cp package.json package-lock.json "$NM_NEW/"
node scripts/lib/bundle-deps.js check "$NM_NEW" | sed 's/^/    /' \
  || die "the staged node_modules do not match package-lock.json (this clone's node_modules is out of date: run npm ci)"
ORT_BIN=$NM_NEW/node_modules/onnxruntime-node/bin/napi-v6
find "$ORT_BIN" -mindepth 1 -maxdepth 1 ! -name linux -exec rm -rf {} +
find "$ORT_BIN/linux" -mindepth 1 -maxdepth 1 ! -name "$ARCH" -exec rm -rf {} +
[ -f "$ORT_BIN/linux/$ARCH/onnxruntime_binding.node" ] || die "onnxruntime-node has no linux/$ARCH binding"
pkg_version() { node -p "require('$1/package.json').version" 2>/dev/null || echo none; }
if [ $REPACK = 1 ]; then
  # The compiled modules are reused only for the very version they were built from.
  for mod in @u4/opencv4nodejs unix-dgram; do
    old=$(pkg_version "$STAGE/node_modules/$mod"); new=$(pkg_version "$NM_NEW/node_modules/$mod")
    [ "$old" = "$new" ] || die "--repack: $mod is $new in package-lock.json but the last build compiled $old; run without --repack"
  done
  cp -a "$STAGE/node_modules/@u4/opencv4nodejs/build" "$NM_NEW/node_modules/@u4/opencv4nodejs/build"
  if [ -d "$NM_NEW/node_modules/unix-dgram" ]; then
    [ -f "$UD_NODE" ] || die "--repack: the last build has no compiled unix-dgram; run without --repack"
    cp -a "$STAGE/node_modules/unix-dgram/build" "$NM_NEW/node_modules/unix-dgram/build"
  fi
fi
rm -rf "$STAGE/node_modules"
mv "$NM_NEW/node_modules" "$STAGE/node_modules"
rm -rf "$NM_NEW"
if [ $REPACK = 0 ]; then
mkdir -p "$STAGE/node/bin"
cp "$NODE_DIR/bin/node" "$STAGE/node/bin/node"
cp "$NODE_DIR/LICENSE" "$STAGE/node/LICENSE"
fi

# build_addon DIR EXTRA_ENV...: node-gyp for the target arch and the bundled Node's headers.
build_addon() {
  local dir=$1; shift
  local -a envs=("$@")
  if [ $CROSS = 1 ]; then
    envs+=(CC=aarch64-linux-gnu-gcc CXX=aarch64-linux-gnu-g++ LINK=aarch64-linux-gnu-g++ AR=aarch64-linux-gnu-ar
           "LDFLAGS=--sysroot=$SR -Wl,-rpath-link,$SR/usr/lib/$MULTIARCH -Wl,-rpath-link,$SR/lib/$MULTIARCH")
  fi
  (cd "$dir" && env "${envs[@]}" JOBS=max node "$NODE_GYP" configure --arch="$ARCH" --nodedir="$NODE_DIR" >/dev/null)
  if [ $CROSS = 1 ]; then
    # The binding's rpath comes from OPENCV_LIB_DIR, which points into the sysroot at build time;
    # on the device the libraries are in /usr/lib.
    find "$dir/build" -name '*.mk' -exec sed -i "s#$SR/usr/lib/$MULTIARCH#/usr/lib/$MULTIARCH#g" {} +
  fi
  (cd "$dir" && env "${envs[@]}" JOBS=max node "$NODE_GYP" build --arch="$ARCH" --nodedir="$NODE_DIR" --jobs=max >"$dir/build/lookout-build.log" 2>&1) \
    || { tail -20 "$dir/build/lookout-build.log" >&2; die "building $(basename "$dir") for linux-$ARCH failed; log: $dir/build/lookout-build.log"; }
}

CV=$STAGE/node_modules/@u4/opencv4nodejs
if [ $REPACK = 0 ]; then
step "OpenCV binding for linux-$ARCH (node-gyp, several minutes)"
build_addon "$CV" OPENCV4NODEJS_DISABLE_AUTOBUILD=1 \
  "OPENCV_INCLUDE_DIR=$SR/usr/include/opencv4" "OPENCV_LIB_DIR=$SR/usr/lib/$MULTIARCH" "OPENCV_BIN_DIR=$SR/usr/bin" \
  "CXXFLAGS=-I$SR/usr/include/$MULTIARCH/opencv4"
readelf -h "$CV_NODE" | grep -q "Machine:.*$ELF_MACHINE" || die "$CV_NODE is not a $ELF_MACHINE binary"
if [ -n "$SR" ] && readelf -d "$CV_NODE" | grep -q "$SR"; then die "$CV_NODE still refers to the sysroot $SR"; fi
# Keep the .node file only: the object files are half the size of the bundle otherwise.
find "$CV/build" -mindepth 1 ! -path "$CV/build/Release" ! -path "$CV_NODE" -delete 2>/dev/null || true
step "unix-dgram (sd_notify) for linux-$ARCH"
if [ -d "$STAGE/node_modules/unix-dgram" ]; then
  build_addon "$STAGE/node_modules/unix-dgram"
  UD=$STAGE/node_modules/unix-dgram
  find "$UD/build" -mindepth 1 ! -path "$UD/build/Release" ! -path "$UD/build/Release/unix_dgram.node" -delete 2>/dev/null || true
else
  echo "    not in node_modules (optional); the service falls back to systemd-notify"
fi
fi
# The loader (@u4/opencv-build) refuses to load without the record of a build ("No build found")
# unless OPENCV4NODEJS_DISABLE_AUTOBUILD is set at run time; ship the record, pointing at the
# device's libraries (written again by --repack, whose node_modules come fresh from this clone).
AB_SRC=$(find node_modules/@u4/opencv-build -name auto-build.json | head -1)
[ -n "$AB_SRC" ] || die "no auto-build.json under node_modules/@u4/opencv-build (run scripts/setup.sh)"
mkdir -p "$STAGE/$(dirname "$AB_SRC")"
# (its buildRoot names this clone; the loader does not use it, but /opt/lookout is where it will be)
sed -e "s#/usr/lib/[a-z0-9_]*-linux-gnu\([/\"]\)#/usr/lib/$MULTIARCH\1#g" -e "s#\"$ROOT/#\"/opt/lookout/#g" "$AB_SRC" > "$STAGE/$AB_SRC"

step "apt runtime packages (from the binaries' needed libraries)"
# Every shared library a binary in the bundle needs, mapped to the Debian package that ships it in
# the (sys)root it was built against. Libraries the bundle carries itself are skipped.
LIBROOT=${SR:-}
declare -A PKGS=()
while IFS= read -r bin; do
  while IFS= read -r lib; do
    [ -e "$(dirname "$bin")/$lib" ] && continue
    pkg=""
    for d in /usr/lib/$MULTIARCH /lib/$MULTIARCH; do
      [ -e "$LIBROOT$d/$lib" ] || continue
      pkg=$(dpkg --admindir="$LIBROOT/var/lib/dpkg" -S "$d/$lib" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
      real=$(readlink -f "$LIBROOT$d/$lib"); real=${real#"$LIBROOT"}
      pkg=$(dpkg --admindir="$LIBROOT/var/lib/dpkg" -S "$real" 2>/dev/null | head -1 | cut -d: -f1) && [ -n "$pkg" ] && break
    done
    [ -n "$pkg" ] || die "cannot find the package that ships $lib (needed by ${bin#"$STAGE/"})"
    PKGS[$pkg]=1
  done < <(readelf -d "$bin" | sed -n 's/.*(NEEDED).*\[\(.*\)\]/\1/p')
done < <(find "$STAGE" -type f \( -name '*.node' -o -name '*.so' -o -name '*.so.*' \) ; echo "$STAGE/node/bin/node")
# Capture pipelines (v4l2/file/RTSP through GStreamer) and mqtts need these beyond the linked libraries.
for p in gstreamer1.0-plugins-base gstreamer1.0-plugins-good ca-certificates; do PKGS[$p]=1; done
APT_RUNTIME=$(printf '%s\n' "${!PKGS[@]}" | sort | tr '\n' ' ')
echo "    $APT_RUNTIME"

step "check the bundle's dependencies and bindings load"
# Every production dependency of package.json from the staged tree alone (a package missing there
# would otherwise be found in this clone's node_modules above it, and only fail on the device).
node scripts/lib/bundle-deps.js check "$STAGE" | sed 's/^/    /' || die "the bundle's node_modules do not match package-lock.json"
if [ $CROSS = 1 ]; then
  node scripts/lib/bundle-deps.js resolve "$STAGE" | sed 's/^/    /' || die "the bundle lacks production dependencies"
  echo "    cross-built: loaded under emulation by scripts/check-arm64.sh"
else
  # (the OpenCV loader's info lines left out)
  (cd "$STAGE" && ./node/bin/node scripts/lib/bundle-deps.js require .) 2>&1 | { grep -v 'Info:' || true; } | sed 's/^/    /' \
    || die "the bundle's dependencies do not load with its Node"
  (cd "$STAGE" && ./node/bin/node -e "require('@u4/opencv4nodejs'); const o=require('onnxruntime-node'); console.log('    opencv + onnxruntime-node ' + require('onnxruntime-node/package.json').version + ' load in Node ' + process.version)") \
    | tail -n 1 || die "the bundle's native modules do not load with its Node"
fi

step "BUNDLE and SHA256SUMS"
cat > "$STAGE/BUNDLE" <<EOF
# Lookout bundle: read by scripts/install.sh --bundle
NAME=$NAME
VERSION=$VERSION
ARCH=$DEB_ARCH
NODE_VERSION=$NODE_VERSION
NODE_ABI=$NODE_ABI
DEBIAN_RELEASE=bookworm
OPENCV=4.6
MODELS="${MODELS[*]}"
APT_RUNTIME="${APT_RUNTIME% }"
COMMIT=$(git rev-parse --short HEAD 2>/dev/null || echo unknown)$(git diff --quiet HEAD 2>/dev/null || echo -dirty)
BUILT=$(date -u +%Y-%m-%dT%H:%M:%SZ)
EOF
(cd "$STAGE" && find . -type f ! -name SHA256SUMS -printf '%P\n' | LC_ALL=C sort | xargs -d '\n' sha256sum > SHA256SUMS)

step "archive"
TARBALL=$OUT/$NAME.tar.gz
tar -C "$(dirname "$STAGE")" --owner=0 --group=0 -czf "$TARBALL.tmp" "$NAME"
mv "$TARBALL.tmp" "$TARBALL"
(cd "$OUT" && sha256sum "$NAME.tar.gz" > "$NAME.tar.gz.sha256")
step "done"
echo "    $TARBALL: $(du -m "$TARBALL" | cut -f1) MB ($(du -sm "$STAGE" | cut -f1) MB unpacked, $(wc -l < "$STAGE/SHA256SUMS") files), $(( $(date +%s) - T0 )) s"
STEP=""
