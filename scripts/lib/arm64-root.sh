# shellcheck shell=bash
# Helpers for an emulated arm64 Debian bookworm root on an x86_64 Debian 12 host (sourced by
# scripts/check-arm64.sh and scripts/bundle.sh). Needs root. Facts behind the choices:
# - qemu-user-static's binfmt entry must carry the F flag (interpreter opened at registration), so
#   the chroot needs no qemu binary of its own.
# - debootstrap leaves no /etc/hosts and no resolv.conf that works here; apt inside the root uses the
#   host's sources; npm/node inside need the host's CA bundle (SELF_SIGNED_CERT_IN_CHAIN otherwise).

ARM64_CACHE=${LOOKOUT_ARM64_CACHE:-/var/cache/lookout-arm64}
ARM64_SUITE=bookworm

# Debian mirror that the host's apt uses (deb822 or one-line sources), so the root needs nothing else.
arm64_mirror() {
  local m
  m=$(grep -hsE '^URIs:' /etc/apt/sources.list.d/*.sources 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
  [ -n "$m" ] || m=$(grep -hsE '^deb ' /etc/apt/sources.list /etc/apt/sources.list.d/*.list 2>/dev/null | awk '{print $2}' | grep -v security | head -1)
  echo "${m:-http://deb.debian.org/debian}"
}

arm64_host_tools() {
  local need=() p
  for p in qemu-user-static binfmt-support debootstrap g++-aarch64-linux-gnu; do
    dpkg-query -W -f='${Status}' "$p" 2>/dev/null | grep -q 'install ok installed' || need+=("$p")
  done
  if [ ${#need[@]} -gt 0 ]; then
    echo "    installing on the host: ${need[*]}"
    apt-get update -qq
    DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${need[@]}"
  else
    echo "    present: qemu-user-static binfmt-support debootstrap g++-aarch64-linux-gnu"
  fi
}

arm64_binfmt() {
  [ -e /proc/sys/fs/binfmt_misc/status ] || mount -t binfmt_misc binfmt_misc /proc/sys/fs/binfmt_misc
  update-binfmts --enable qemu-aarch64 >/dev/null 2>&1 || true
  local entry=/proc/sys/fs/binfmt_misc/qemu-aarch64
  [ -e "$entry" ] || { echo "arm64: qemu-aarch64 is not registered in binfmt_misc (is qemu-user-static installed?)" >&2; return 1; }
  grep -q '^flags:.*F' "$entry" || { echo "arm64: qemu-aarch64 is registered without the F flag; a chroot cannot find the interpreter" >&2; return 1; }
  echo "    $(grep ^interpreter "$entry"), $(grep ^flags "$entry")"
}

# arm64_base_dir [DEB_ARCH]: where the cached base root of that Debian arch lives.
arm64_base_dir() { if [ "${1:-arm64}" = arm64 ]; then echo "$ARM64_CACHE/base"; else echo "$ARM64_CACHE/base-$1"; fi; }

# arm64_base [DEB_ARCH]: a minimal bookworm root (arm64 by default; amd64 for checking the x64
# bundle natively), made once and cached.
arm64_base() {
  local arch=${1:-arm64} base
  base=$(arm64_base_dir "$arch")
  if [ -f "$base/.lookout-ready" ]; then echo "    cached: $base"; return 0; fi
  rm -rf "$base.tmp"
  mkdir -p "$ARM64_CACHE"
  debootstrap --arch="$arch" --variant=minbase --include=ca-certificates "$ARM64_SUITE" "$base.tmp" "$(arm64_mirror)" \
    > "$ARM64_CACHE/debootstrap-$arch.log" 2>&1 \
    || { echo "debootstrap ($arch) failed; see $ARM64_CACHE/debootstrap-$arch.log" >&2; tail -5 "$ARM64_CACHE/debootstrap-$arch.log" >&2; return 1; }
  printf '127.0.0.1 localhost\n::1 localhost\n' > "$base.tmp/etc/hosts"
  rm -f "$base.tmp/etc/apt/sources.list"
  cp /etc/apt/sources.list.d/*.sources "$base.tmp/etc/apt/sources.list.d/" 2>/dev/null || true
  [ -f /etc/apt/sources.list ] && cp /etc/apt/sources.list "$base.tmp/etc/apt/sources.list"
  touch "$base.tmp/.lookout-ready"
  mv "$base.tmp" "$base"
  echo "    made: $base"
}

# arm64_mount ROOT / arm64_umount ROOT: what a chroot needs from the host.
# qemu-user 7.2 (Debian 12) shows arm64 programs the host's x86 /proc/cpuinfo; ONNX Runtime 1.30's
# CPU detection (pytorch cpuinfo) segfaults on it while libonnxruntime.so loads. An arm64 root gets
# a Cortex-A72 (Raspberry Pi 4) cpuinfo bound over it, one entry per host CPU.
arm64_mount() {
  local r=$1 d
  for d in proc sys dev dev/pts; do
    mountpoint -q "$r/$d" && continue
    mkdir -p "$r/$d"
    case $d in
      proc) mount -t proc proc "$r/proc" ;;
      *) mount --bind "/$d" "$r/$d" ;;
    esac
  done
  if readelf -h "$r/bin/sh" 2>/dev/null | grep -q 'Machine:.*AArch64' && ! mountpoint -q "$r/proc/cpuinfo"; then
    local fake=$ARM64_CACHE/cpuinfo-arm64 i
    : > "$fake"
    for ((i = 0; i < $(nproc); i++)); do
      printf 'processor\t: %d\nBogoMIPS\t: 108.00\nFeatures\t: fp asimd evtstrm crc32 cpuid\nCPU implementer\t: 0x41\nCPU architecture: 8\nCPU variant\t: 0x0\nCPU part\t: 0xd08\nCPU revision\t: 3\n\n' "$i" >> "$fake"
    done
    mount --bind "$fake" "$r/proc/cpuinfo"
  fi
  cp -L /etc/resolv.conf "$r/etc/resolv.conf" 2>/dev/null || true
}
arm64_umount() {
  local r=$1 d
  mountpoint -q "$r/proc/cpuinfo" && umount -l "$r/proc/cpuinfo"
  for d in dev/pts dev sys proc; do
    mountpoint -q "$r/$d" && umount -l "$r/$d"
  done
  return 0
}

# arm64_chroot ROOT CMD...: runs CMD in the root with a clean environment.
arm64_chroot() {
  local r=$1; shift
  chroot "$r" /usr/bin/env -i HOME=/root LANG=C.UTF-8 TERM=dumb \
    PATH=/usr/local/sbin:/usr/local/bin:/usr/sbin:/usr/bin:/sbin:/bin "$@"
}

# arm64_sysroot: base + OpenCV's development files, the sysroot that the cross-compile links
# against (cached; the emulated apt run takes several minutes).
arm64_sysroot() {
  local sr=$ARM64_CACHE/sysroot
  if [ -f "$sr/.lookout-ready" ]; then echo "    cached: $sr"; return 0; fi
  arm64_umount "$sr.tmp" 2>/dev/null || true
  rm -rf "$sr.tmp"
  cp -a "$ARM64_CACHE/base" "$sr.tmp"
  rm -f "$sr.tmp/.lookout-ready"
  arm64_mount "$sr.tmp"
  local rc=0
  { arm64_chroot "$sr.tmp" apt-get update -qq &&
    arm64_chroot "$sr.tmp" env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends \
      libopencv-dev; } > "$ARM64_CACHE/sysroot-apt.log" 2>&1 || rc=$?
  arm64_umount "$sr.tmp"
  if [ $rc -ne 0 ]; then
    echo "arm64: apt in the sysroot failed (exit $rc); see $ARM64_CACHE/sysroot-apt.log" >&2
    tail -5 "$ARM64_CACHE/sysroot-apt.log" >&2
    return 1
  fi
  touch "$sr.tmp/.lookout-ready"
  mv "$sr.tmp" "$sr"
  echo "    made: $sr"
}
