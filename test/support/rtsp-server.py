#!/usr/bin/python3
"""A real RTSP server for the capture tests: GStreamer's gst-rtsp-server (Debian packages python3-gi,
gir1.2-gst-rtsp-server-1.0, gstreamer1.0-plugins-ugly for x264enc, gstreamer1.0-libav for vtest.avi's
DivX 3), serving H.264 the way an IP camera does.

    rtsp-server.py --port 8554 --path /cam [--file vtest.avi] [--width 384 --height 288]

Without --file it serves a moving videotestsrc ball. A file is played once per client session at its
own frame rate. Prints "listening <port>" on stdout once the socket is bound; exits on SIGTERM/SIGINT.
Run it with the system Python (/usr/bin/python3): a pyenv or venv Python has no `gi`.
"""
import argparse
import signal
import sys

import gi

gi.require_version("Gst", "1.0")
gi.require_version("GstRtspServer", "1.0")
from gi.repository import GLib, Gst, GstRtspServer  # noqa: E402


def launch_line(args: argparse.Namespace) -> str:
    if args.file:
        # decodebin picks the file's decoder; videorate keeps a steady rate for the encoder.
        source = f'filesrc location="{args.file}" ! decodebin ! videoconvert ! videoscale'
    else:
        source = "videotestsrc is-live=true pattern=ball"
    caps = f"video/x-raw,format=I420,width={args.width},height={args.height}"
    # zerolatency + a short GOP: a client that (re)connects gets a key frame within a second,
    # like a camera configured for streaming.
    encoder = "x264enc tune=zerolatency speed-preset=ultrafast key-int-max=10 bitrate=800"
    return f"( {source} ! {caps} ! {encoder} ! rtph264pay name=pay0 pt=96 config-interval=1 )"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--path", default="/cam")
    parser.add_argument("--file")
    parser.add_argument("--width", type=int, default=384)
    parser.add_argument("--height", type=int, default=288)
    args = parser.parse_args()

    Gst.init(None)
    server = GstRtspServer.RTSPServer()
    server.set_address("127.0.0.1")
    server.set_service(str(args.port))
    factory = GstRtspServer.RTSPMediaFactory()
    factory.set_launch(launch_line(args))
    # Not shared: every client session starts the media from its beginning, as a fresh connection
    # to a camera would see a live picture, and a reconnecting client is not handed a finished file.
    factory.set_shared(False)
    server.get_mount_points().add_factory(args.path, factory)
    if server.attach(None) == 0:
        print(f"rtsp-server: cannot listen on 127.0.0.1:{args.port}", file=sys.stderr, flush=True)
        return 1

    loop = GLib.MainLoop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        GLib.unix_signal_add(GLib.PRIORITY_DEFAULT, sig, loop.quit)
    print(f"listening {server.get_bound_port()}", flush=True)
    loop.run()
    return 0


if __name__ == "__main__":
    sys.exit(main())
