"""Format readers on fixtures generated here from each format's specification (safetensors
README "Format"; ggml docs/gguf.md; numpy/lib/format.py; keras saving_lib; onnx IR;
torch/serialization.py; joblib/numpy_pickle.py). Malicious payloads only write a canary."""

from __future__ import annotations

import gzip
import io
import json
import lzma
import struct
import zlib
from collections.abc import Callable
from pathlib import Path
from types import SimpleNamespace

import dill
import h5py
import joblib
import numpy as np
import onnx
import pytest
from onnx import TensorProto, helper, numpy_helper

from caresec.model.ai_model import IssueKind, ModelFormat, ScanVerdict

Scan = Callable[..., ScanVerdict]


# --- safetensors -----------------------------------------------------------------------------

def safetensors(header: dict[str, object], buffer: bytes, *, raw_header: bytes | None = None,
                declared: int | None = None) -> bytes:
    text = raw_header if raw_header is not None else json.dumps(header).encode()
    size = len(text) if declared is None else declared
    return struct.pack("<Q", size) + text + buffer


GOOD_ST = {"__metadata__": {"format": "pt"},
           "w": {"dtype": "F32", "shape": [2, 2], "data_offsets": [0, 16]},
           "b": {"dtype": "F16", "shape": [2], "data_offsets": [16, 20]}}


def test_safetensors_benign_passes(scan: Scan) -> None:
    verdict = scan(safetensors(GOOD_ST, bytes(20)))
    assert verdict.format is ModelFormat.SAFETENSORS and not verdict.blocked, verdict.issues


@pytest.mark.parametrize("data, kind, needle", [
    (safetensors(GOOD_ST, bytes(19)), IssueKind.HEADER_INCONSISTENT, "buffer holds 19"),
    (safetensors(GOOD_ST, bytes(24)), IssueKind.HEADER_INCONSISTENT, "buffer holds 24"),
    (safetensors({"w": {"dtype": "F32", "shape": [2], "data_offsets": [0, 12]}}, bytes(12)),
     IssueKind.HEADER_INCONSISTENT, "needs 8 bytes"),
    (safetensors({"a": {"dtype": "U8", "shape": [4], "data_offsets": [0, 4]},
                  "b": {"dtype": "U8", "shape": [4], "data_offsets": [2, 6]}}, bytes(6)),
     IssueKind.HEADER_INCONSISTENT, "overlaps"),
    (safetensors({"a": {"dtype": "U8", "shape": [2], "data_offsets": [2, 4]}}, bytes(4)),
     IssueKind.HEADER_INCONSISTENT, "hole of 2 bytes"),
    (safetensors({"a": {"dtype": "X9", "shape": [1], "data_offsets": [0, 1]}}, bytes(1)),
     IssueKind.UNSUPPORTED_FORMAT, "unknown dtype"),
    (safetensors({}, b"", raw_header=b'{"a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}'
                  b', "a": {"dtype": "U8", "shape": [1], "data_offsets": [0, 1]}}'),
     IssueKind.PARSE_ERROR, "duplicate key"),
    (safetensors({}, b"", raw_header=b'{"a": 1' + b" " * 20, declared=200),
     IssueKind.PARSE_ERROR, "header declares 200 bytes"),
    (struct.pack("<Q", 200_000_000) + b"{" + bytes(16), IssueKind.LIMIT_EXCEEDED, "limit"),
])
def test_safetensors_bad_headers_block(scan: Scan, data: bytes, kind: IssueKind,
                                       needle: str) -> None:
    verdict = scan(data)
    assert any(i.kind is kind and needle in i.message for i in verdict.issues), verdict.issues
    assert all(i.offset is not None for i in verdict.issues)


# --- GGUF ------------------------------------------------------------------------------------

def gstr(text: str) -> bytes:
    raw = text.encode()
    return struct.pack("<Q", len(raw)) + raw


def gguf(metadata: list[tuple[str, int, bytes]], tensors: list[tuple[str, list[int], int, int]],
         data: bytes, alignment: int = 32) -> bytes:
    out = b"GGUF" + struct.pack("<IQQ", 3, len(tensors), len(metadata))
    for key, kind, value in metadata:
        out += gstr(key) + struct.pack("<I", kind) + value
    for name, dims, ggml_type, offset in tensors:
        out += gstr(name) + struct.pack("<I", len(dims)) + b"".join(
            struct.pack("<Q", d) for d in dims) + struct.pack("<IQ", ggml_type, offset)
    out += b"\x00" * (-len(out) % alignment)
    return out + data


ARCH = ("general.architecture", 8, gstr("llama"))


def test_gguf_benign_passes(scan: Scan) -> None:
    data = gguf([ARCH], [("t0", [4, 2], 0, 0), ("t1", [32], 8, 32)], bytes(32 + 34))
    verdict = scan(data)
    assert verdict.format is ModelFormat.GGUF and not verdict.blocked, verdict.issues


@pytest.mark.parametrize("data, kind", [
    (gguf([ARCH, ("tokenizer.chat_template", 8,
                  gstr("{{ ''.__class__.__mro__[1].__subclasses__() }}"))], [], b""),
     IssueKind.TEMPLATE_CODE),
    (gguf([ARCH], [("t0", [4, 2], 0, 0)], bytes(16)), IssueKind.HEADER_INCONSISTENT),
    (gguf([ARCH], [("t0", [4], 0, 4)], bytes(64)), IssueKind.HEADER_INCONSISTENT),
    (gguf([ARCH], [("t0", [4], 99, 0)], bytes(16)), IssueKind.UNSUPPORTED_FORMAT),
    (gguf([ARCH], [], b"")[:30], IssueKind.PARSE_ERROR),
    (b"GGUF" + struct.pack("<IQQ", 3, 0, 2**40), IssueKind.LIMIT_EXCEEDED),
])
def test_gguf_problems_block(scan: Scan, data: bytes, kind: IssueKind) -> None:
    verdict = scan(data)
    assert kind in {i.kind for i in verdict.issues}, verdict.issues


# --- NumPy -----------------------------------------------------------------------------------

def npy(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array, allow_pickle=True)
    return buffer.getvalue()


class _Payload:
    """Pickles to ``exec(code)``; used only to *create* malicious fixtures."""

    def __init__(self, code: str) -> None:
        self.code = code

    def __reduce__(self) -> tuple[object, tuple[str]]:
        return (exec, (self.code,))


def test_numpy_numeric_array_passes(scan: Scan) -> None:
    verdict = scan(npy(np.arange(12, dtype=np.float32).reshape(3, 4)))
    assert verdict.format is ModelFormat.NUMPY and not verdict.blocked, verdict.issues


def test_numpy_object_array_of_plain_values_passes(scan: Scan) -> None:
    verdict = scan(npy(np.array([1, "a", None], dtype=object)))
    assert not verdict.blocked, verdict.issues
    assert "numpy._core.multiarray._reconstruct" in verdict.globals_seen or (
        "numpy.core.multiarray._reconstruct" in verdict.globals_seen)


def test_numpy_object_array_with_payload_blocks(scan: Scan, tmp_path: Path,
                                                build: SimpleNamespace) -> None:
    array = np.array([_Payload(build.canary_code(tmp_path / "canary"))], dtype=object)
    verdict = scan(npy(array), name="exfil.npy")
    assert "builtins.exec" in verdict.globals_seen and verdict.blocked
    assert not (tmp_path / "canary").exists()


def test_numpy_truncated_data_names_offset(scan: Scan) -> None:
    data = npy(np.zeros(10, dtype=np.int64))[:-8]
    [issue] = scan(data).issues
    assert issue.kind is IssueKind.HEADER_INCONSISTENT and issue.offset == len(data) - 72


def test_npz_members_are_each_checked(scan: Scan, tmp_path: Path,
                                      build: SimpleNamespace) -> None:
    buffer = io.BytesIO()
    np.savez(buffer, ok=np.ones(3),
             bad=np.array([_Payload(build.canary_code(tmp_path / "c"))], dtype=object))
    verdict = scan(buffer.getvalue())
    assert verdict.format is ModelFormat.NPZ and verdict.blocked
    assert {i.member for i in verdict.issues} == {"bad.npy"}


# --- joblib and dill -------------------------------------------------------------------------

def joblib_bytes(value: object, compress: object = 0) -> bytes:
    buffer = io.BytesIO()
    joblib.dump(value, buffer, compress=compress)
    return buffer.getvalue()


MODEL_STATE = {"coef": np.linspace(0, 1, 37), "intercept": np.array([0.5]),
               "classes": np.array(["low", "high"], dtype=object), "n_iter": 12}


def test_joblib_arrays_inline_are_skipped_and_pass(scan: Scan) -> None:
    verdict = scan(joblib_bytes(MODEL_STATE), name="model.joblib")
    assert verdict.format is ModelFormat.JOBLIB and not verdict.blocked, verdict.issues
    assert "joblib.numpy_pickle.NumpyArrayWrapper" in verdict.globals_seen


@pytest.mark.parametrize("compress", [("zlib", 3), ("gzip", 3), ("lzma", 3), ("xz", 3),
                                      ("bz2", 3)], ids=lambda c: c[0])
def test_compressed_joblib_passes(scan: Scan, compress: tuple[str, int]) -> None:
    verdict = scan(joblib_bytes(MODEL_STATE, compress))
    assert verdict.format is ModelFormat.COMPRESSED and not verdict.blocked, verdict.issues


def test_joblib_object_array_payload_blocks(scan: Scan, tmp_path: Path,
                                            build: SimpleNamespace) -> None:
    state = dict(MODEL_STATE, extra=np.array([_Payload(build.canary_code(tmp_path / "c"))],
                                             dtype=object))
    verdict = scan(joblib_bytes(state))
    assert verdict.blocked and "builtins.exec" in verdict.globals_seen


def test_estimator_classes_need_review(scan: Scan) -> None:
    # An estimator class is not on any shipped allow-list; --allow-global admits it.
    module, name = b"sklearn.linear_model._logistic", b"LogisticRegression"
    data = (b"\x80\x04\x8c" + bytes([len(module)]) + module + b"\x8c" + bytes([len(name)])
            + name + b"\x93)\x81}b.")
    assert scan(data).issues[0].kind is IssueKind.UNLISTED_GLOBAL
    extra = frozenset({("sklearn.linear_model._logistic", "LogisticRegression")})
    assert not scan(data, extra_globals=extra).blocked


def test_dill_function_is_blocked(scan: Scan) -> None:
    data = dill.dumps(lambda x: x + 1)
    verdict = scan(data, name="model.dill")
    assert verdict.blocked
    assert any(g.startswith("dill.") for g in verdict.globals_seen)
    assert IssueKind.DANGEROUS_GLOBAL in {i.kind for i in verdict.issues}


def test_gzip_trailing_and_truncation(scan: Scan) -> None:
    packed = gzip.compress(b"\x80\x04N.")
    assert IssueKind.TRAILING_DATA in {i.kind for i in scan(packed + b"junk").issues}
    assert IssueKind.PARSE_ERROR in {i.kind for i in scan(packed[:-6]).issues}
    assert not scan(zlib.compress(b"\x80\x04N.")).blocked
    assert not scan(lzma.compress(b"\x80\x04N.")).blocked


# --- PyTorch ---------------------------------------------------------------------------------

def _u(text: str) -> bytes:
    return b"X" + struct.pack("<I", len(text)) + text.encode()


#: data.pkl of torch.save({"w": tensor of 12 floats}) in the opcode layout torch writes
#: (protocol 2, _rebuild_tensor_v2 with a ('storage', FloatStorage, '0', 'cpu', 12) pid).
DATA_PKL = (b"\x80\x02ccollections\nOrderedDict\n)R" + _u("w")
            + b"ctorch._utils\n_rebuild_tensor_v2\n((" + _u("storage")
            + b"ctorch\nFloatStorage\n" + _u("0") + _u("cpu") + b"K\x0ctQK\x00K\x03K\x04\x86"
            b"K\x04K\x01\x86\x89ccollections\nOrderedDict\n)RtRs.")


def torch_zip(build: SimpleNamespace, **overrides: bytes | None) -> bytes:
    members: dict[str, bytes | None] = {"archive/data.pkl": DATA_PKL,
                                        "archive/data/0": bytes(48),
                                        "archive/version": b"3\n",
                                        "archive/byteorder": b"little"}
    members.update(overrides)
    return build.zip_bytes({k: v for k, v in members.items() if v is not None})


def test_torch_zip_benign_passes(scan: Scan, build: SimpleNamespace) -> None:
    verdict = scan(torch_zip(build), name="model.pt")
    assert verdict.format is ModelFormat.PYTORCH_ZIP and not verdict.blocked, verdict.issues
    assert verdict.framework == "pytorch"


@pytest.mark.parametrize("overrides, kind", [
    ({"archive/data/0": bytes(40)}, IssueKind.HEADER_INCONSISTENT),
    ({"archive/data/0": None}, IssueKind.HEADER_INCONSISTENT),
    ({"archive/data/1": bytes(4)}, IssueKind.HEADER_INCONSISTENT),
    ({"archive/code/__torch__.py": b"def forward(self): pass\n"}, IssueKind.UNSUPPORTED_FORMAT),
    ({"archive/version": b"3; rm -rf /\n"}, IssueKind.PARSE_ERROR),
    ({"archive/data.pkl": DATA_PKL + b"\x80\x02cos\nsystem\n)R."}, IssueKind.TRAILING_DATA),
])
def test_torch_zip_inconsistencies_block(scan: Scan, build: SimpleNamespace,
                                         overrides: dict[str, bytes | None],
                                         kind: IssueKind) -> None:
    verdict = scan(torch_zip(build, **overrides))
    assert kind in {i.kind for i in verdict.issues}, verdict.issues


def test_torch_declared_framework_applies_to_plain_pickles(scan: Scan) -> None:
    assert scan(DATA_PKL).blocked  # plain pickle: persistent ids have no loader
    assert scan(DATA_PKL, framework="pytorch").issues  # still no storages to back them


# --- Keras -----------------------------------------------------------------------------------

def dense(name: str) -> dict[str, object]:
    return {"module": "keras.layers", "class_name": "Dense", "registered_name": None,
            "config": {"name": name, "units": 2, "activation": "relu",
                       "kernel_initializer": {"module": "keras.initializers",
                                              "class_name": "GlorotUniform",
                                              "config": {"seed": None},
                                              "registered_name": None}}}


def keras_file(build: SimpleNamespace, layers: list[dict[str, object]],
               extra: dict[str, bytes] | None = None) -> bytes:
    config = {"module": "keras", "class_name": "Sequential", "registered_name": None,
              "config": {"name": "sequential", "layers": layers}}
    weights = io.BytesIO()
    with h5py.File(weights, "w") as handle:
        handle.create_dataset("layers/dense/vars/0", data=np.zeros((3, 2), dtype=np.float32))
    members = {"metadata.json": json.dumps({"keras_version": "3.8.0"}).encode(),
               "config.json": json.dumps(config).encode(),
               "model.weights.h5": weights.getvalue(), **(extra or {})}
    return build.zip_bytes(members)


def lambda_layer(canary: Path) -> dict[str, object]:
    import base64
    import marshal

    code = compile(f"open({str(canary)!r}, 'w')", "<lambda>", "exec")
    return {"module": "keras.layers", "class_name": "Lambda", "registered_name": None,
            "config": {"name": "lambda", "function": {
                "class_name": "__lambda__",
                "config": {"code": base64.b64encode(marshal.dumps(code)).decode()}}}}


def test_keras_benign_passes(scan: Scan, build: SimpleNamespace) -> None:
    verdict = scan(keras_file(build, [dense("d1"), dense("d2")]), name="m.keras")
    assert verdict.format is ModelFormat.KERAS and not verdict.blocked, verdict.issues


@pytest.mark.parametrize("layer_maker", [
    lambda canary: lambda_layer(canary),
    lambda canary: {"module": "os", "class_name": "system", "config": {}},
    lambda canary: {"module": "keras.utils", "class_name": "get_file", "config": {}},
    lambda canary: dict(dense("d"), registered_name="Clinic>CustomDense"),
    lambda canary: {"module": "keras.activations", "class_name": "function",
                    "config": "__import__('os').system"},
], ids=["lambda", "module-os", "module-keras-utils", "custom-object", "function-expression"])
def test_keras_code_paths_block(scan: Scan, build: SimpleNamespace, tmp_path: Path,
                                layer_maker: Callable[[Path], dict[str, object]]) -> None:
    verdict = scan(keras_file(build, [dense("d1"), layer_maker(tmp_path / "canary")]))
    assert IssueKind.EXECUTABLE_LAYER in {i.kind for i in verdict.issues}, verdict.issues
    assert not (tmp_path / "canary").exists()


def legacy_h5(model_config: dict[str, object], *, external: bool = False) -> bytes:
    buffer = io.BytesIO()
    with h5py.File(buffer, "w") as handle:
        handle.attrs["model_config"] = json.dumps(model_config)
        handle.attrs["keras_version"] = "2.15.0"
        handle.create_dataset("model_weights/dense/kernel", data=np.zeros((2, 2)))
        if external:
            handle["model_weights/link"] = h5py.ExternalLink("/etc/passwd", "/")
    return buffer.getvalue()


LEGACY = {"class_name": "Sequential", "config": {"name": "s", "layers": [
    {"class_name": "Dense", "config": {"units": 2, "kernel_initializer": {
        "class_name": "GlorotUniform", "config": {"seed": None}}}}]}}


def test_legacy_h5_benign_passes(scan: Scan) -> None:
    verdict = scan(legacy_h5(LEGACY), name="m.h5")
    assert verdict.format is ModelFormat.KERAS_H5 and not verdict.blocked, verdict.issues


def test_legacy_h5_lambda_and_external_link_block(scan: Scan) -> None:
    bad = {"class_name": "Sequential", "config": {"layers": [
        {"class_name": "Lambda", "config": {"function": ["4wEAAA==", None, None],
                                            "function_type": "lambda"}}]}}
    kinds = {i.kind for i in scan(legacy_h5(bad)).issues}
    assert IssueKind.EXECUTABLE_LAYER in kinds
    kinds = {i.kind for i in scan(legacy_h5(LEGACY, external=True)).issues}
    assert IssueKind.EXTERNAL_DATA in kinds


# --- ONNX ------------------------------------------------------------------------------------

def onnx_model(domain: str = "", location: str | None = None) -> bytes:
    x = helper.make_tensor_value_info("x", TensorProto.FLOAT, [1, 2])
    y = helper.make_tensor_value_info("y", TensorProto.FLOAT, [1, 2])
    weight = numpy_helper.from_array(np.ones(2, dtype=np.float32), "w")
    if location is not None:
        weight = TensorProto(name="w", data_type=TensorProto.FLOAT, dims=[2])
        weight.data_location = TensorProto.EXTERNAL
        entry = weight.external_data.add()
        entry.key, entry.value = "location", location
    node = helper.make_node("Add" if not domain else "Evil", ["x", "w"], ["y"], domain=domain)
    opsets = [helper.make_opsetid("", 17)] + ([helper.make_opsetid(domain, 1)] if domain else [])
    model = helper.make_model(helper.make_graph([node], "g", [x], [y], [weight]),
                              opset_imports=opsets)
    return model.SerializeToString()


def test_onnx_benign_passes(scan: Scan) -> None:
    verdict = scan(onnx_model(), name="m.onnx")
    assert verdict.format is ModelFormat.ONNX and not verdict.blocked, verdict.issues
    assert not scan(onnx_model(location="weights/w.bin")).blocked


@pytest.mark.parametrize("kwargs, kind", [
    ({"domain": "com.example.custom"}, IssueKind.CUSTOM_OPERATOR),
    ({"location": "../../etc/passwd"}, IssueKind.EXTERNAL_DATA),
    ({"location": "/etc/passwd"}, IssueKind.EXTERNAL_DATA),
    ({"location": "C:\\Windows\\win.ini"}, IssueKind.EXTERNAL_DATA),
    ({"location": "sub/../../x.bin"}, IssueKind.EXTERNAL_DATA),
])
def test_onnx_problems_block(scan: Scan, kwargs: dict[str, str], kind: IssueKind) -> None:
    assert kind in {i.kind for i in scan(onnx_model(**kwargs)).issues}


def test_onnx_unknown_fields_block(scan: Scan) -> None:
    data = onnx_model() + b"\xf8\x07\x01"  # field 127, varint 1: unknown to ModelProto
    assert any("unknown to ONNX" in i.message for i in scan(data).issues)


def test_onnx_checker_is_consulted(scan: Scan) -> None:
    model = onnx.ModelProto()
    model.ParseFromString(onnx_model())
    model.graph.node[0].input[1] = "missing"
    assert IssueKind.PARSE_ERROR in {i.kind for i in scan(model.SerializeToString()).issues}


# --- unknown and empty -----------------------------------------------------------------------

@pytest.mark.parametrize("data, needle", [
    (b"", "empty"),
    (b"\x89PNG\r\n\x1a\n" + bytes(20), "not a recognized model format"),
    (b"7z\xbc\xaf\x27\x1c" + bytes(20), "7z archive"),
    (bytes(257) + b"ustar" + bytes(300), "tar archive"),
])
def test_unrecognized_content_blocks(scan: Scan, data: bytes, needle: str) -> None:
    verdict = scan(data)
    assert verdict.blocked and needle in verdict.reason


def test_file_size_limit(scan: Scan) -> None:
    from caresec.analyze.modelscan import ScanLimits

    verdict = scan(bytes(100), limits=ScanLimits(max_file_bytes=10))
    assert verdict.issues[0].kind is IssueKind.LIMIT_EXCEEDED


# --- robustness: mutated files never crash the readers ---------------------------------------

def test_mutated_files_are_always_judged(build: SimpleNamespace) -> None:
    import random

    from caresec.analyze.modelscan import ScanPolicy, scan_model_bytes

    seeds = [safetensors(GOOD_ST, bytes(20)), gguf([ARCH], [("t0", [4, 2], 0, 0)], bytes(32)),
             npy(np.array([1, "a"], dtype=object)), joblib_bytes(MODEL_STATE),
             torch_zip(build), keras_file(build, [dense("d")]), legacy_h5(LEGACY), onnx_model()]
    rng = random.Random(20261101)
    policy = ScanPolicy(external=False)
    for seed in seeds:
        for _ in range(40):
            data = bytearray(seed)
            position = rng.randrange(len(data))
            if rng.random() < 0.7:
                data[position] = rng.randrange(256)
            else:
                del data[position: position + rng.randint(1, 16)]
            verdict = scan_model_bytes(bytes(data), name="mutant", policy=policy)
            assert not any("could not finish" in i.message for i in verdict.issues), (
                verdict.issues)
