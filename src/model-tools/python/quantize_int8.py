"""Static int8 (QDQ) quantization of an FP32 ONNX model with ONNX Runtime's own tool.

Called by `lookout model build <name>_int8` (src/model-tools/quantize.ts) inside the virtual
environment that build creates in .cache/ (onnxruntime and onnx pinned to the versions the Node
binding uses), never on a device: the result is a plain .onnx that onnxruntime-node runs.

The recipe (checked on these machines, see docs/models.md): quant_pre_process first, then QDQ with
per-channel int8 weights and uint8 activations, ranges by MinMax. The ranges live in a JSON
calibration table. With --calibration-data the table is computed from those frames and written;
without it an existing table is reused, which makes the build independent of video decoding (which
differs slightly between architectures) and of the test data being installed at all.

Arguments and results travel as JSON so the caller parses nothing free-form: the last line on
stdout is {"ok": true, ...} or {"ok": false, "error": "..."}.
"""

import argparse
import json
import os
import sys
import tempfile


def fail(message):
    print(json.dumps({"ok": False, "error": message}))
    sys.exit(1)


def main():
    p = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    p.add_argument("--fp32", required=True, help="FP32 ONNX model")
    p.add_argument("--out", required=True, help="int8 ONNX model to write")
    p.add_argument("--table", required=True, help="calibration table (JSON): read, or written with --calibration-data")
    p.add_argument("--calibration-data", help="raw uint8 frames, the model's input layout, back to back")
    p.add_argument("--input-name", default="image")
    p.add_argument("--frame-shape", default="300,300,3", help="one frame's shape without the batch axis")
    p.add_argument("--expect-onnxruntime", help="refuse to run under any other onnxruntime version")
    args = p.parse_args()

    try:
        import numpy as np
        import onnxruntime
        from onnxruntime.quantization import (
            CalibrationDataReader,
            CalibrationMethod,
            QuantFormat,
            QuantType,
            quantize_static,
        )
        from onnxruntime.quantization.shape_inference import quant_pre_process
    except ImportError as e:
        fail(f"cannot import onnxruntime.quantization ({e}); the build's virtual environment is incomplete")

    if args.expect_onnxruntime and onnxruntime.__version__ != args.expect_onnxruntime:
        fail(
            f"onnxruntime {onnxruntime.__version__} is installed but the Node binding is {args.expect_onnxruntime}; "
            "quantize with the version that will run the model"
        )

    frame_shape = tuple(int(d) for d in args.frame_shape.split(","))
    frame_bytes = int(np.prod(frame_shape))

    class Frames(CalibrationDataReader):
        def __init__(self, path):
            raw = np.fromfile(path, dtype=np.uint8)
            if raw.size == 0 or raw.size % frame_bytes:
                fail(f"{path}: {raw.size} bytes is not a whole number of {args.frame_shape} uint8 frames")
            self.frames = raw.reshape((-1, 1) + frame_shape)
            self.i = 0

        def get_next(self):
            if self.i >= len(self.frames):
                return None
            self.i += 1
            return {args.input_name: self.frames[self.i - 1]}

        def __len__(self):
            return len(self.frames)

    reader = None
    if args.calibration_data:
        reader = Frames(args.calibration_data)
        # quantize_static writes the table only when the path does not exist yet.
        if os.path.exists(args.table):
            os.remove(args.table)
    elif not os.path.isfile(args.table):
        fail(f"calibration table {args.table} does not exist and no --calibration-data was given")

    with tempfile.TemporaryDirectory(prefix="lookout-quant-") as tmp:
        pre = os.path.join(tmp, "pre.onnx")
        # Shape inference and ORT's basic graph optimizations (BatchNorm folding, constant folding)
        # so the quantizer sees fused Conv nodes with known shapes.
        quant_pre_process(args.fp32, pre)
        quantize_static(
            pre,
            args.out,
            calibration_data_reader=reader,
            quant_format=QuantFormat.QDQ,
            per_channel=True,
            reduce_range=False,
            activation_type=QuantType.QUInt8,
            weight_type=QuantType.QInt8,
            calibrate_method=CalibrationMethod.MinMax,
            calibration_cache_path=args.table,
        )
    if reader:
        # The calibrator collects tensors in set order, which differs between runs; sorted keys
        # make the same ranges the same bytes, so the committed table's sha256 means something.
        with open(args.table) as f:
            table = json.load(f)
        with open(args.table, "w") as f:
            json.dump(table, f, sort_keys=True, indent=1)
            f.write("\n")
    print(
        json.dumps(
            {
                "ok": True,
                "onnxruntime": onnxruntime.__version__,
                "numpy": np.__version__,
                "calibration_frames": len(reader) if reader else None,
            }
        )
    )


if __name__ == "__main__":
    main()
