"""ONNX models: custom operators, external data paths, and protobuf well-formedness.

Parsed with the ``onnx`` package's protobuf classes (``onnx.proto``, IR spec
``docs/IR.md``); no external data file is opened and no runtime is involved. Checks:

* every node's domain is a standard ONNX domain (``docs/Operators.md``,
  ``docs/Operators-ml.md``) or a model-local function (``ModelProto.functions``); anything else
  needs a native custom-operator library at run time;
* every tensor stored as external data (``data_location = EXTERNAL``, ``external_data``
  ``location``) names a relative path that stays inside the model's folder (CVE-2024-27318 and
  CVE-2025-51480: ``..`` and absolute paths read or write outside it);
* the protobuf has no unknown fields (content no ONNX reader interprets) and passes
  ``onnx.checker.check_model`` (skipped when external data is present, since the checker would
  need the files).
"""

from __future__ import annotations

import posixpath
from collections.abc import Iterator

import onnx
from google.protobuf import unknown_fields
from google.protobuf.message import DecodeError, Message

from caresec.analyze.modelscan.context import Context
from caresec.model.ai_model import IssueKind


def parse_onnx(data: bytes) -> onnx.ModelProto | None:
    """The ModelProto when ``data`` parses as one with a graph, else None."""
    model = onnx.ModelProto()
    try:
        model.ParseFromString(bytes(data))
    except (DecodeError, ValueError, RuntimeError):
        return None
    return model if model.HasField("graph") and model.ir_version > 0 else None


def _graphs(graph: onnx.GraphProto, where: str) -> Iterator[tuple[onnx.GraphProto, str]]:
    yield graph, where
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("g"):
                yield from _graphs(attr.g, f"{where}/{node.name or node.op_type}.{attr.name}")
            for index, sub in enumerate(attr.graphs):
                yield from _graphs(sub, f"{where}/{node.name or node.op_type}.{attr.name}"
                                        f"[{index}]")


def _tensors(graph: onnx.GraphProto) -> Iterator[onnx.TensorProto]:
    yield from graph.initializer
    for sparse in graph.sparse_initializer:
        yield sparse.values
        yield sparse.indices
    for node in graph.node:
        for attr in node.attribute:
            if attr.HasField("t"):
                yield attr.t
            yield from attr.tensors
            if attr.HasField("sparse_tensor"):
                yield attr.sparse_tensor.values
                yield attr.sparse_tensor.indices


def _unknown(message: Message, depth: int = 0) -> int:
    count = len(unknown_fields.UnknownFieldSet(message))
    if depth > 64:
        return count
    for descriptor, value in message.ListFields():
        if descriptor.message_type is None:
            continue
        repeated = getattr(descriptor, "is_repeated", None)
        if repeated is None:  # protobuf < 5
            repeated = descriptor.label == descriptor.LABEL_REPEATED
        if repeated:
            count += sum(_unknown(item, depth + 1) for item in value)
        else:
            count += _unknown(value, depth + 1)
    return count


def escapes(location: str) -> bool:
    """True when an external-data ``location`` is not a plain relative path inside the folder."""
    if not location or "\x00" in location or "\\" in location or ":" in location:
        return True
    if location.startswith(("/", "~")):
        return True
    normalized = posixpath.normpath(location)
    return normalized == ".." or normalized.startswith("../") or normalized == "."


def scan_onnx(ctx: Context, model: onnx.ModelProto, part: str) -> None:
    """Check a parsed ONNX model."""
    standard = ctx.catalog.onnx_domains
    local = {(f.domain, f.name) for f in model.functions}
    roots: list[tuple[onnx.GraphProto, str]] = [(model.graph, "graph")]
    for index, info in enumerate(model.training_info):
        roots.append((info.algorithm, f"training_info[{index}].algorithm"))
        roots.append((info.initialization, f"training_info[{index}].initialization"))
    graphs = [found for root, where in roots for found in _graphs(root, where)]
    nodes = [(node, where) for graph, where in graphs for node in graph.node]
    for function in model.functions:
        nodes.extend((node, f"function {function.domain}.{function.name}")
                     for node in function.node)
    for node, where in nodes:
        if node.domain not in standard and (node.domain, node.op_type) not in local:
            ctx.issue(IssueKind.CUSTOM_OPERATOR,
                      f"{where}: operator {node.op_type!r} of domain {node.domain!r} needs a "
                      "custom operator library", part)
    external = False
    for graph, where in graphs:
        for tensor in _tensors(graph):
            if tensor.data_location != onnx.TensorProto.EXTERNAL:
                continue
            external = True
            entries = {entry.key: entry.value for entry in tensor.external_data}
            location = entries.get("location", "")
            if escapes(location):
                ctx.issue(IssueKind.EXTERNAL_DATA,
                          f"{where}: tensor {tensor.name!r} reads external data from "
                          f"{location!r}, outside the model folder (CVE-2024-27318 class)", part)
            for key in ("offset", "length"):
                if key in entries and not entries[key].isdigit():
                    ctx.issue(IssueKind.EXTERNAL_DATA,
                              f"{where}: tensor {tensor.name!r} external {key} "
                              f"{entries[key]!r} is not a byte count", part)
    unknown = _unknown(model)
    if unknown:
        ctx.issue(IssueKind.PARSE_ERROR,
                  f"{unknown} protobuf field(s) unknown to ONNX (content no reader interprets)",
                  part)
    if not external:
        try:
            onnx.checker.check_model(model)
        except (onnx.checker.ValidationError, ValueError) as exc:
            first = str(exc).strip().splitlines()[0] if str(exc).strip() else type(exc).__name__
            ctx.issue(IssueKind.PARSE_ERROR, f"onnx.checker rejects the model: {first}", part)
