"""The symbolic pickle machine: opcode semantics per CPython ``Lib/pickle.py`` (``_Unpickler``)
and the bypass classes documented for the public scanners (picklescan issue #22 memo confusion,
CTF "Safe Pickle"; fickling's misplaced-PROTO analysis)."""

from __future__ import annotations

import pickle
import struct
from collections import OrderedDict
from datetime import date
from types import SimpleNamespace

import pytest

from caresec.analyze.modelscan.limits import ScanLimits
from caresec.analyze.modelscan.pickle_vm import PickleMachine, PickleResult, SymDict, SymList
from caresec.model.ai_model import IssueKind


def walk(data: bytes, start: int = 0, **kwargs: object) -> PickleResult:
    return PickleMachine(data, start, member="t", limits=ScanLimits(), **kwargs).run()  # type: ignore[arg-type]


def dotted(result: PickleResult) -> list[str]:
    return [g.dotted for g in result.globals]


PLAIN_VALUES = [
    [1, 2.5, "text", b"bytes", None, True],
    {"a": (1, 2), "b": {3, 4}, "c": frozenset({5})},
    OrderedDict(x=1),
    date(2026, 1, 2),
    bytearray(b"ab"),
]


@pytest.mark.parametrize("protocol", range(pickle.HIGHEST_PROTOCOL + 1))
@pytest.mark.parametrize("value", PLAIN_VALUES, ids=lambda v: type(v).__name__)
def test_plain_data_walks_completely_at_every_protocol(protocol: int, value: object) -> None:
    data = pickle.dumps(value, protocol=protocol)
    result = walk(data)
    assert result.complete and result.end == len(data)
    assert not result.issues


@pytest.mark.parametrize("protocol", [0, 1, 2, 3, 4, 5])
def test_exec_import_is_resolved_at_every_protocol(protocol: int, build: SimpleNamespace) -> None:
    result = walk(build.exec_pickle("print(1)", protocol))
    # Protocol < 3 pickles say __builtin__; find_class maps it (Lib/_compat_pickle.py).
    assert dotted(result) == ["builtins.exec"]
    assert result.complete


def test_protocol_3_keeps_python2_module_names() -> None:
    # pickle._Unpickler.find_class applies _compat_pickle only when proto < 3.
    data = b"\x80\x03c__builtin__\nexec\n)R."
    assert dotted(walk(data)) == ["__builtin__.exec"]


def test_memo_confusion_resolves_the_real_import() -> None:
    # The memo stores "os"/"system" first, then decoys; GET 2/3 fetch the real pair
    # (the layout of picklescan's malicious11.pkl, built here from opcodes).
    data = (b"Vos\np2\n0Vsystem\np3\n0Vtorch\np0\n0VLongStorage\np1\n0"
            b"g2\ng3\n\x93(Vid\ntR.")
    result = walk(data)
    assert dotted(result) == ["os.system"]
    assert result.complete and not result.issues


def test_put_01_is_memo_index_one() -> None:
    # pickletools decodes "01" as True; the real loader uses int("01") == 1.
    data = b"Vos\np01\n0Vsystem\np2\n0g1\ng2\n\x93)R."
    assert dotted(walk(data)) == ["os.system"]


def test_stack_global_with_computed_operands_is_unresolved() -> None:
    # STACK_GLOBAL whose module is itself an import (sys_module_override class).
    data = b"\x80\x04\x8c\x01a\x8c\x01b\x93\x8c\x01c\x93)R."
    result = walk(data)
    assert IssueKind.UNRESOLVED_GLOBAL in {i.kind for i in result.issues}


def test_undefined_memo_read_stops_with_offset() -> None:
    data = b"\x80\x02h\x05."
    result = walk(data)
    assert not result.complete
    [issue] = result.issues
    assert issue.kind is IssueKind.PARSE_ERROR and issue.offset == 2


def test_build_on_an_import_is_unsafe() -> None:
    # BUILD with a dict state on a module/class sets its attributes (setattr on the global).
    data = b"\x80\x02ctorch\n_utils\n}X\x01\x00\x00\x00aX\x01\x00\x00\x00bsb."
    kinds = {i.kind for i in walk(data).issues}
    assert IssueKind.UNSAFE_OPERATION in kinds


def test_call_of_a_computed_callable_is_unsafe() -> None:
    # getattr(builtins, "eval")("1") : REDUCE on the result of a REDUCE.
    data = (b"\x80\x02cbuiltins\ngetattr\ncbuiltins\nlist\nX\x04\x00\x00\x00copy\x86R"
            b")R.")
    result = walk(data)
    assert any(i.kind is IssueKind.UNSAFE_OPERATION and "computed callable" in i.message
               for i in result.issues)


@pytest.mark.parametrize("opcode", [b"\x82\x01", b"\x83\x01\x00", b"\x84\x01\x00\x00\x00"])
def test_extension_registry_is_unsafe(opcode: bytes) -> None:
    result = walk(b"\x80\x02" + opcode + b")R.")
    assert any("extension registry" in i.message for i in result.issues)


def test_persistent_id_without_framework_is_unsafe() -> None:
    result = walk(b"\x80\x02X\x01\x00\x00\x00xQ.")
    assert any(i.kind is IssueKind.UNSAFE_OPERATION for i in result.issues)


def test_torch_persistent_id_records_storage() -> None:
    pid = (b"(X\x07\x00\x00\x00storagectorch\nFloatStorage\nX\x01\x00\x00\x000"
           b"X\x03\x00\x00\x00cpuK\x0ctQ")
    result = walk(b"\x80\x02" + pid + b".", persistent="torch")
    assert result.complete and not result.issues
    storage = result.storages["0"]
    assert (storage.storage_type.dotted, storage.location, storage.numel) == (
        "torch.FloatStorage", "cpu", 12)


def test_misplaced_proto_is_flagged() -> None:
    result = walk(b"\x80\x02N0\x80\x02N.")
    assert any("PROTO opcode in the middle" in i.message for i in result.issues)


@pytest.mark.parametrize("data, needle, offset", [
    (b"\x80\x06N.", "unsupported pickle protocol 6", 0),
    (b"\x80\x02\xffN.", "opcode", 2),
    (b"\x80\x02X\xff\xff\x00\x00abc", "expected 65535 bytes", 2),
    (b"\x80\x02N", "pickle exhausted", 3),
    (b"\x80\x02(N\x86.", "TUPLE2 needs 2 items", 4),
    (b"\x80\x02\x95\xff\x00\x00\x00\x00\x00\x00\x00N.", "FRAME declares 255 bytes", 2),
])
def test_malformed_streams_name_the_offset(data: bytes, needle: str, offset: int) -> None:
    result = walk(data)
    assert not result.complete
    assert any(needle in i.message and i.offset == offset for i in result.issues), result.issues


def test_value_limit_is_enforced() -> None:
    data = b"\x80\x04\x8e" + struct.pack("<Q", 64) + b"x" * 64 + b"."
    limits = ScanLimits(max_value_bytes=16)
    result = PickleMachine(data, 0, member="t", limits=limits).run()
    assert [i.kind for i in result.issues] == [IssueKind.LIMIT_EXCEEDED]


def test_containers_are_tracked_through_memo() -> None:
    result = walk(pickle.dumps({"k": [1, 2]}, protocol=2))
    root = result.root
    assert isinstance(root, SymDict)
    value = root.get("k")
    assert isinstance(value, SymList) and value.items == [1, 2]


def test_concatenated_stream_second_pickle_starts_after_stop() -> None:
    first = pickle.dumps([1], protocol=4)
    data = first + b"\x80\x04\x8c\x02os\x8c\x06system\x93)R."
    a = walk(data)
    b = walk(data, start=a.end)
    assert a.end == len(first) and dotted(b) == ["os.system"]
