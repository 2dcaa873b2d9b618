#!/usr/bin/python3
"""Validate an ONNX model with the official checker (full_check=True, which
also runs strict shape inference).

    /usr/bin/python3 tests/e2e/check_model.py MODEL.onnx

Prints one line ("ok: ..." or "error: ...") and exits 0 / 1.
"""
import sys


def main(argv):
    if len(argv) != 2:
        print("error: usage: check_model.py MODEL.onnx")
        return 1
    path = argv[1]
    try:
        import onnx
        onnx.checker.check_model(path, full_check=True)
        m = onnx.load(path, load_external_data=False)
        opsets = ",".join(f"{d.domain or 'ai.onnx'}:{d.version}" for d in m.opset_import)
        print(f"ok: {path} ir_version={m.ir_version} opset={opsets} nodes={len(m.graph.node)}")
        return 0
    except Exception as e:  # noqa: BLE001 - any failure is a check failure
        msg = " ".join(str(e).split())
        print(f"error: {path}: {type(e).__name__}: {msg}")
        return 1


if __name__ == "__main__":
    sys.exit(main(sys.argv))
