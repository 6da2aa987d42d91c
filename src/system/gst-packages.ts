/**
 * Which Debian / Raspberry Pi OS package brings a GStreamer element, so a missing element is reported
 * with the `apt install` that fixes it rather than only the element's name.
 */

const PACKAGE_OF: Record<string, string> = {
  libcamerasrc: 'gstreamer1.0-libcamera',
  v4l2src: 'gstreamer1.0-plugins-good',
  rtspsrc: 'gstreamer1.0-plugins-good',
  rtph264depay: 'gstreamer1.0-plugins-good',
  rtph265depay: 'gstreamer1.0-plugins-good',
  rtpjpegdepay: 'gstreamer1.0-plugins-good',
  jpegdec: 'gstreamer1.0-plugins-good',
  souphttpsrc: 'gstreamer1.0-plugins-good',
  matroskademux: 'gstreamer1.0-plugins-good',
  qtdemux: 'gstreamer1.0-plugins-good',
  udpsrc: 'gstreamer1.0-plugins-good',
  h264parse: 'gstreamer1.0-plugins-bad',
  h265parse: 'gstreamer1.0-plugins-bad',
  avdec_h264: 'gstreamer1.0-libav',
  avdec_h265: 'gstreamer1.0-libav',
  avdec_mjpeg: 'gstreamer1.0-libav',
  v4l2h264dec: 'gstreamer1.0-plugins-good',
  appsink: 'gstreamer1.0-plugins-base',
  videoconvert: 'gstreamer1.0-plugins-base',
  videoscale: 'gstreamer1.0-plugins-base',
  videorate: 'gstreamer1.0-plugins-base',
  decodebin: 'gstreamer1.0-plugins-base',
  uridecodebin: 'gstreamer1.0-plugins-base',
  videotestsrc: 'gstreamer1.0-plugins-base',
  filesrc: 'libgstreamer1.0-0',
  queue: 'libgstreamer1.0-0',
  capsfilter: 'libgstreamer1.0-0',
  nvarguscamerasrc: 'nvidia-l4t-gstreamer (JetPack)',
  nvvidconv: 'nvidia-l4t-gstreamer (JetPack)',
};

/** The package that provides `element`, or undefined when we do not know it. */
export function packageForGstElement(element: string): string | undefined {
  return PACKAGE_OF[element];
}

/** "install gstreamer1.0-libcamera (sudo apt install gstreamer1.0-libcamera)" for the elements we know. */
export function gstInstallHint(elements: readonly string[]): string | undefined {
  const packages = [...new Set(elements.map(packageForGstElement).filter((p): p is string => p !== undefined))];
  if (packages.length === 0) return undefined;
  const apt = packages.filter((p) => !p.includes(' '));
  const other = packages.filter((p) => p.includes(' '));
  const parts = [...(apt.length ? [`sudo apt install ${apt.join(' ')}`] : []), ...other.map((p) => `install ${p}`)];
  return parts.join('; ');
}
