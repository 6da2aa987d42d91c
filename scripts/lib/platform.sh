# shellcheck shell=bash
# Platform facts shared by scripts/setup.sh and scripts/install.sh (sourced).

# True on Raspberry Pi OS (its apt source or release file), also when not running on a Pi board
# (an image being prepared), and on a Pi board with plain Debian (the camera still needs libcamera).
lookout_is_raspberry_pi_os() {
  [ -f /etc/rpi-issue ] && return 0
  grep -qsE 'archive\.raspberrypi\.(com|org)' /etc/apt/sources.list /etc/apt/sources.list.d/* && return 0
  grep -qsa 'Raspberry Pi' /proc/device-tree/model && return 0
  return 1
}

# The Debian/Ubuntu/L4T package that provides a GStreamer element, for "install X" messages.
lookout_gst_element_package() {
  case "$1" in
    libcamerasrc) echo gstreamer1.0-libcamera ;;
    nvarguscamerasrc|nvvidconv|nvv4l2decoder) echo "nvidia-l4t-gstreamer (JetPack)" ;;
    v4l2src|rtspsrc|rtph264depay|rtph265depay|jpegdec|matroskademux|qtdemux|avidemux) echo gstreamer1.0-plugins-good ;;
    h264parse|h265parse) echo gstreamer1.0-plugins-bad ;;
    avdec_h264|avdec_h265) echo gstreamer1.0-libav ;;
    *) echo gstreamer1.0-plugins-base ;;
  esac
}

# lookout_check_gst_elements ELEMENT...: prints a line per missing element with its package;
# returns 1 if any is missing. Silent (0) when gst-inspect-1.0 itself is absent.
lookout_check_gst_elements() {
  command -v gst-inspect-1.0 >/dev/null 2>&1 || return 0
  local e missing=0
  for e in "$@"; do
    if ! gst-inspect-1.0 --exists "$e" 2>/dev/null; then
      echo "    GStreamer element '$e' is missing: install the package $(lookout_gst_element_package "$e")"
      missing=1
    fi
  done
  return $missing
}
