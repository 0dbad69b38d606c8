"""A symbolic pickle machine: walks opcodes, simulates stack and memo, never builds an object.

Opcodes are decoded by :func:`pickletools.genops` (the standard library's static decoder, every
protocol 0–5). The machine then applies each opcode's stack and memo effect the way CPython's
``pickle._Unpickler`` does (``Lib/pickle.py``, ``load_*`` methods), but on symbolic values: an
import (``GLOBAL``, ``STACK_GLOBAL``, ``INST``) becomes a :class:`GlobalRef`, a call (``REDUCE``,
``NEWOBJ``, ``NEWOBJ_EX``, ``OBJ``, ``INST``) a :class:`Call`. Nothing is imported, called or
unpickled. Because the memo is simulated exactly, ``PUT``/``GET`` reordering cannot hide the
real import (the "memo confusion" bypass), and an import whose module or name is computed rather
than a string constant is reported as unresolved instead of being guessed.

Framework semantics the real loaders add on top of pickle are simulated too: PyTorch persistent
ids (``torch/serialization.py`` ``_load``/``persistent_load``: ``('storage', type, key,
location, numel)``) and joblib's inline array data after a ``NumpyArrayWrapper`` ``BUILD``
(``joblib/numpy_pickle.py`` ``NumpyArrayWrapper.read_array``: optional padding-length byte and
padding, then raw bytes; or a nested pickle for object arrays).
"""

from __future__ import annotations

import _compat_pickle
import math
import pickletools
from dataclasses import dataclass, field
from typing import IO, Literal, NoReturn, cast

from caresec.analyze.modelscan.limits import ScanLimits
from caresec.model.ai_model import IssueKind, ScanIssue

#: Highest pickle protocol CPython 3.11 reads (``pickle.HIGHEST_PROTOCOL``).
HIGHEST_PROTOCOL = 5

PersistentMode = Literal["reject", "torch"]


class LimitReached(Exception):
    """A read or count exceeded :class:`ScanLimits` (becomes a ``limit-exceeded`` issue)."""


class _Reader:
    """A file-like view of ``data[start:end]`` for :func:`pickletools.genops`, with limits."""

    def __init__(self, data: bytes, start: int, end: int, max_read: int, max_line: int) -> None:
        self.data = data
        self.pos = start
        self.end = end
        self.max_read = max_read
        self.max_line = max_line

    def read(self, n: int = -1) -> bytes:
        if n < 0:
            n = self.end - self.pos
        if self.max_read < n <= self.end - self.pos:
            raise LimitReached(f"a single value declares {n} bytes (limit {self.max_read})")
        chunk = self.data[self.pos : min(self.pos + n, self.end)]
        self.pos += len(chunk)
        return bytes(chunk)

    def readline(self) -> bytes:
        stop = min(self.end, self.pos + self.max_line)
        index = self.data.find(b"\n", self.pos, stop)
        new = stop if index < 0 else index + 1
        chunk = self.data[self.pos : new]
        self.pos = new
        return bytes(chunk)

    def tell(self) -> int:
        return self.pos


# --- symbolic values -------------------------------------------------------------------------


@dataclass(frozen=True, slots=True)
class GlobalRef:
    """An import: ``module`` and ``name`` exactly as the loader would look them up."""

    module: str
    name: str
    offset: int

    @property
    def dotted(self) -> str:
        """``module.name``."""
        return f"{self.module}.{self.name}"


@dataclass(eq=False, slots=True)
class Call:
    """The result of calling ``func`` with ``args`` (``kind``: reduce/newobj/newobj_ex/obj/inst)."""

    func: object
    args: object
    kind: str
    offset: int
    states: list[object] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class Persistent:
    """A persistent-id reference (``PERSID``/``BINPERSID``) resolved by the framework."""

    pid: object
    offset: int


@dataclass(eq=False, slots=True)
class Opaque:
    """A value the machine cannot represent (the reason is already an issue)."""

    reason: str


@dataclass(eq=False, slots=True)
class BigConst:
    """A string/bytes constant too long to keep; only its kind and length are kept."""

    kind: str
    length: int


@dataclass(eq=False, slots=True)
class SymList:
    """A list under construction (``EMPTY_LIST``/``LIST`` then ``APPEND(S)``)."""

    items: list[object] = field(default_factory=list)


@dataclass(eq=False, slots=True)
class SymDict:
    """A dict under construction, as key/value pairs in insertion order."""

    items: list[tuple[object, object]] = field(default_factory=list)

    def get(self, key: str) -> object | None:
        """The last value stored under the string ``key``, or None."""
        found: object | None = None
        for k, v in self.items:
            if k == key:
                found = v
        return found


@dataclass(eq=False, slots=True)
class SymSet:
    """A set or frozenset under construction."""

    items: list[object] = field(default_factory=list)
    frozen: bool = False


_MARK = object()
_KEEP_CONST = 65536


@dataclass(frozen=True, slots=True)
class TorchStorage:
    """A storage referenced by a PyTorch persistent id."""

    key: str
    storage_type: GlobalRef
    location: str
    numel: int
    offset: int


@dataclass(slots=True)
class PickleResult:
    """What walking one pickle found.

    Attributes:
        start, end: byte range walked (``end`` is just past ``STOP``, or where walking stopped).
        complete: ``STOP`` was reached without error.
        protocol: last ``PROTO`` seen (0 when none).
        globals: every import, in stream order.
        issues: structural problems (parse errors, unsafe operations, unresolved imports).
        storages: PyTorch storages by key (torch persistent mode).
        excised: byte ranges inside ``[start, end)`` that are not pickle opcodes (joblib inline
            array data and nested object-array pickles).
        nested: nested pickles walked (joblib object arrays).
        root: the value ``STOP`` returned.
    """

    start: int
    end: int
    complete: bool = False
    protocol: int = 0
    globals: list[GlobalRef] = field(default_factory=list)
    issues: list[ScanIssue] = field(default_factory=list)
    storages: dict[str, TorchStorage] = field(default_factory=dict)
    excised: list[tuple[int, int]] = field(default_factory=list)
    nested: list[PickleResult] = field(default_factory=list)
    root: object | None = None

    def opcode_bytes(self, data: bytes) -> bytes:
        """The walked bytes with :attr:`excised` ranges removed: a plain pickle stream that
        other scanners can read."""
        parts: list[bytes] = []
        pos = self.start
        for begin, stop in sorted(self.excised):
            parts.append(bytes(data[pos:begin]))
            pos = stop
        parts.append(bytes(data[pos : self.end]))
        return b"".join(parts)


class _Stop(Exception):
    """Walking this pickle cannot continue (the reason is already an issue)."""


_CONST_OPS = frozenset({
    "INT", "BININT", "BININT1", "BININT2", "LONG", "LONG1", "LONG4", "STRING", "BINSTRING",
    "SHORT_BINSTRING", "BINBYTES", "SHORT_BINBYTES", "BINBYTES8", "BYTEARRAY8", "UNICODE",
    "SHORT_BINUNICODE", "BINUNICODE", "BINUNICODE8", "FLOAT", "BINFLOAT",
})
_PUT_OPS = frozenset({"PUT", "BINPUT", "LONG_BINPUT"})
_GET_OPS = frozenset({"GET", "BINGET", "LONG_BINGET"})

#: joblib's placeholder class (``joblib/numpy_pickle.py``).
JOBLIB_WRAPPER = ("joblib.numpy_pickle", "NumpyArrayWrapper")
_NUMPY_DTYPE = (("numpy", "dtype"), ("numpy.core.multiarray", "dtype"))


class PickleMachine:
    """Walk one pickle starting at ``start`` in ``data``.

    Args:
        data: the bytes of the part (a whole file, a ZIP member …).
        start: offset of the first opcode.
        member: part name used in issues.
        limits: :class:`ScanLimits`.
        persistent: ``reject`` (plain pickle: a persistent id has no loader, so it is unsafe) or
            ``torch`` (PyTorch storages).
        depth: nesting depth (joblib object arrays walk a nested pickle).
    """

    def __init__(
        self,
        data: bytes,
        start: int,
        *,
        member: str,
        limits: ScanLimits,
        persistent: PersistentMode = "reject",
        depth: int = 0,
    ) -> None:
        self.data = data
        self.member = member
        self.limits = limits
        self.persistent = persistent
        self.depth = depth
        self.reader = _Reader(data, start, len(data), limits.max_value_bytes, limits.max_line_bytes)
        self.result = PickleResult(start=start, end=start)
        self.stack: list[object] = []
        self.metastack: list[list[object]] = []
        self.memo: dict[int, object] = {}
        self.ops = 0
        self.first = True

    # -- issues ------------------------------------------------------------------------------

    def _issue(self, kind: IssueKind, message: str, offset: int | None) -> None:
        self.result.issues.append(ScanIssue(kind, message, self.member, offset))

    def _fatal(self, kind: IssueKind, message: str, offset: int | None) -> NoReturn:
        self._issue(kind, message, offset)
        raise _Stop

    # -- stack helpers -----------------------------------------------------------------------

    def _pop(self, offset: int, op: str) -> object:
        if not self.stack:
            self._fatal(IssueKind.PARSE_ERROR, f"{op} on an empty stack (stack underflow)", offset)
        return self.stack.pop()

    def _top(self, offset: int, op: str) -> object:
        if not self.stack:
            self._fatal(IssueKind.PARSE_ERROR, f"{op} on an empty stack (stack underflow)", offset)
        return self.stack[-1]

    def _pop_mark(self, offset: int, op: str) -> list[object]:
        if not self.metastack:
            self._fatal(IssueKind.PARSE_ERROR, f"{op} without a MARK", offset)
        items = self.stack
        self.stack = self.metastack.pop()
        return items

    # -- main loop ---------------------------------------------------------------------------

    def run(self) -> PickleResult:
        """Walk to ``STOP`` (or the first fatal problem) and return the :class:`PickleResult`."""
        next_start = self.reader.pos
        try:
            for opcode, arg, pos in pickletools.genops(cast(IO[bytes], self.reader)):
                offset = pos if pos is not None else next_start
                self.ops += 1
                if self.ops > self.limits.max_opcodes:
                    raise LimitReached(f"more than {self.limits.max_opcodes} opcodes")
                self._step(opcode.name, arg, offset)
                next_start = self.reader.pos
            self.result.complete = True
        except _Stop:
            pass
        except LimitReached as exc:
            self._issue(IssueKind.LIMIT_EXCEEDED, str(exc), next_start)
        except (ValueError, UnicodeDecodeError, OverflowError, EOFError) as exc:
            self._issue(IssueKind.PARSE_ERROR, _parse_message(exc), next_start)
        self.result.end = self.reader.pos if self.result.complete else max(self.reader.pos,
                                                                             next_start)
        return self.result

    def _step(self, name: str, arg: object, offset: int) -> None:
        first, self.first = self.first, False
        if name in _CONST_OPS:
            self.stack.append(_const(arg))
        elif name == "NONE":
            self.stack.append(None)
        elif name == "NEWTRUE":
            self.stack.append(True)
        elif name == "NEWFALSE":
            self.stack.append(False)
        elif name == "PROTO":
            assert isinstance(arg, int)
            if arg > HIGHEST_PROTOCOL:
                self._fatal(IssueKind.PARSE_ERROR, f"unsupported pickle protocol {arg}", offset)
            self.result.protocol = arg
            if not first:
                # CPython accepts it; legitimate writers never emit it (fickling flags it too).
                self._issue(IssueKind.UNSAFE_OPERATION, "PROTO opcode in the middle of a pickle",
                            offset)
        elif name == "FRAME":
            assert isinstance(arg, int)
            if arg > self.reader.end - self.reader.pos:
                self._fatal(IssueKind.PARSE_ERROR,
                            f"FRAME declares {arg} bytes but only "
                            f"{self.reader.end - self.reader.pos} remain", offset)
        elif name == "EMPTY_LIST":
            self.stack.append(SymList())
        elif name == "EMPTY_DICT":
            self.stack.append(SymDict())
        elif name == "EMPTY_TUPLE":
            self.stack.append(())
        elif name == "EMPTY_SET":
            self.stack.append(SymSet())
        elif name == "MARK":
            if len(self.metastack) >= self.limits.max_stack_depth:
                raise LimitReached(f"MARK nesting deeper than {self.limits.max_stack_depth}")
            self.metastack.append(self.stack)
            self.stack = []
        elif name == "LIST":
            items = self._pop_mark(offset, name)
            self.stack.append(SymList(items))
        elif name == "TUPLE":
            items = self._pop_mark(offset, name)
            self.stack.append(tuple(items))
        elif name in ("TUPLE1", "TUPLE2", "TUPLE3"):
            n = int(name[-1])
            if len(self.stack) < n:
                self._fatal(IssueKind.PARSE_ERROR, f"{name} needs {n} items (stack underflow)",
                            offset)
            items = self.stack[-n:]
            del self.stack[-n:]
            self.stack.append(tuple(items))
        elif name == "DICT":
            items = self._pop_mark(offset, name)
            if len(items) % 2:
                self._fatal(IssueKind.PARSE_ERROR, "DICT with an odd number of items", offset)
            self.stack.append(SymDict(list(zip(items[::2], items[1::2], strict=True))))
        elif name == "FROZENSET":
            items = self._pop_mark(offset, name)
            self.stack.append(SymSet(items, frozen=True))
        elif name in ("APPEND", "APPENDS"):
            values = [self._pop(offset, name)] if name == "APPEND" else self._pop_mark(offset, name)
            target = self._top(offset, name)
            if isinstance(target, SymList):
                target.items.extend(values)
            else:
                self._mutate(target, name, "append()/extend()", offset)
        elif name in ("SETITEM", "SETITEMS"):
            if name == "SETITEM":
                value = self._pop(offset, name)
                key = self._pop(offset, name)
                pairs = [(key, value)]
            else:
                items = self._pop_mark(offset, name)
                if len(items) % 2:
                    self._fatal(IssueKind.PARSE_ERROR, "SETITEMS with an odd number of items",
                                offset)
                pairs = list(zip(items[::2], items[1::2], strict=True))
            target = self._top(offset, name)
            if isinstance(target, SymDict):
                target.items.extend(pairs)
            else:
                self._mutate(target, name, "__setitem__()", offset)
        elif name == "ADDITEMS":
            values = self._pop_mark(offset, name)
            target = self._top(offset, name)
            if isinstance(target, SymSet) and not target.frozen:
                target.items.extend(values)
            else:
                self._mutate(target, name, "add()", offset)
        elif name == "POP":
            if self.stack:
                self.stack.pop()
            else:
                self._pop_mark(offset, name)
        elif name == "POP_MARK":
            self._pop_mark(offset, name)
        elif name == "DUP":
            self.stack.append(self._top(offset, name))
        elif name in _PUT_OPS or name == "MEMOIZE":
            index = len(self.memo) if name == "MEMOIZE" else _memo_index(arg)
            if index < 0:
                self._fatal(IssueKind.PARSE_ERROR, f"{name} with an invalid memo index", offset)
            if len(self.memo) >= self.limits.max_memo and index not in self.memo:
                raise LimitReached(f"more than {self.limits.max_memo} memo entries")
            self.memo[index] = self._top(offset, name)
        elif name in _GET_OPS:
            key = _memo_index(arg)
            if key not in self.memo:
                self._fatal(IssueKind.PARSE_ERROR,
                            f"{name} {arg!r} reads a memo entry that was never stored "
                            "(the real loader stops with an error here)", offset)
            self.stack.append(self.memo[key])
        elif name == "GLOBAL":
            self.stack.append(self._global_line(offset, name))
        elif name == "STACK_GLOBAL":
            gname = self._pop(offset, name)
            gmodule = self._pop(offset, name)
            if isinstance(gmodule, str) and isinstance(gname, str):
                self.stack.append(self._record_global(gmodule, gname, offset))
            else:
                self._issue(IssueKind.UNRESOLVED_GLOBAL,
                            "STACK_GLOBAL with a module or name that is not a string constant "
                            f"(module {_describe(gmodule)}, name {_describe(gname)})", offset)
                self.stack.append(Opaque("unresolved STACK_GLOBAL"))
        elif name == "INST":
            ref = self._global_line(offset, name)
            inst_args = tuple(self._pop_mark(offset, name))
            self.stack.append(self._call(ref, inst_args, "inst", offset))
        elif name == "OBJ":
            items = self._pop_mark(offset, name)
            if not items:
                self._fatal(IssueKind.PARSE_ERROR, "OBJ without a class", offset)
            self.stack.append(self._call(items[0], tuple(items[1:]), "obj", offset))
        elif name == "NEWOBJ":
            args = self._pop(offset, name)
            cls = self._pop(offset, name)
            self.stack.append(self._call(cls, args, "newobj", offset))
        elif name == "NEWOBJ_EX":
            kwargs = self._pop(offset, name)
            args = self._pop(offset, name)
            cls = self._pop(offset, name)
            self.stack.append(self._call(cls, (args, kwargs), "newobj_ex", offset))
        elif name == "REDUCE":
            args = self._pop(offset, name)
            func = self._pop(offset, name)
            self.stack.append(self._call(func, args, "reduce", offset))
        elif name == "BUILD":
            state = self._pop(offset, name)
            target = self._top(offset, name)
            self._build(target, state, offset)
        elif name in ("PERSID", "BINPERSID"):
            pid = arg if name == "PERSID" else self._pop(offset, name)
            self.stack.append(self._persistent(pid, offset))
        elif name in ("EXT1", "EXT2", "EXT4"):
            self._issue(IssueKind.UNSAFE_OPERATION,
                        f"{name} {arg} imports through the copyreg extension registry, which "
                        "cannot be resolved statically", offset)
            self.stack.append(Opaque("extension registry"))
        elif name in ("NEXT_BUFFER", "READONLY_BUFFER"):
            self._fatal(IssueKind.UNSUPPORTED_FORMAT,
                        f"{name}: protocol-5 out-of-band buffers are not part of a model file",
                        offset)
        elif name == "STOP":
            self.result.root = self._pop(offset, name)
        else:  # pragma: no cover - genops only yields known opcodes
            self._fatal(IssueKind.PARSE_ERROR, f"opcode {name} is not handled", offset)

    # -- semantics ---------------------------------------------------------------------------

    def _global_line(self, offset: int, op: str) -> object:
        """Decode GLOBAL/INST arguments from the raw bytes, as ``pickle._Unpickler`` does
        (two newline-terminated UTF-8 lines; pickletools joins them with a space, which would
        be ambiguous for names containing spaces)."""
        start = offset + 1
        first_nl = self.data.find(b"\n", start, self.reader.pos)
        second_nl = self.data.find(b"\n", first_nl + 1, self.reader.pos) if first_nl >= 0 else -1
        if first_nl < 0 or second_nl < 0:
            self._fatal(IssueKind.PARSE_ERROR, f"{op} arguments are not two lines", offset)
        try:
            module = bytes(self.data[start:first_nl]).decode("utf-8")
            name = bytes(self.data[first_nl + 1 : second_nl]).decode("utf-8")
        except UnicodeDecodeError:
            self._fatal(IssueKind.PARSE_ERROR, f"{op} module or name is not UTF-8", offset)
        return self._record_global(module, name, offset)

    def _record_global(self, module: str, name: str, offset: int) -> GlobalRef:
        # pickle._Unpickler.find_class: Python 2 names are mapped when protocol < 3.
        if self.result.protocol < 3:
            if (module, name) in _compat_pickle.NAME_MAPPING:
                module, name = _compat_pickle.NAME_MAPPING[(module, name)]
            elif module in _compat_pickle.IMPORT_MAPPING:
                module = _compat_pickle.IMPORT_MAPPING[module]
        ref = GlobalRef(module, name, offset)
        self.result.globals.append(ref)
        return ref

    def _call(self, func: object, args: object, kind: str, offset: int) -> Call:
        if not isinstance(func, GlobalRef):
            self._issue(IssueKind.UNSAFE_OPERATION,
                        f"{kind.upper()} calls {_describe(func)}, not an imported name "
                        "(a computed callable)", offset)
        return Call(func, args, kind, offset)

    def _mutate(self, target: object, op: str, method: str, offset: int) -> None:
        if isinstance(target, Call) and isinstance(target.func, GlobalRef):
            return  # the object's own method; its class is judged by the allow-list
        self._issue(IssueKind.UNSAFE_OPERATION,
                    f"{op} calls {method} on {_describe(target)}", offset)

    def _build(self, target: object, state: object, offset: int) -> None:
        if isinstance(target, Call):
            target.states.append(state)
            func = target.func
            if isinstance(func, GlobalRef) and (func.module, func.name) == JOBLIB_WRAPPER:
                self._joblib_array(target, offset)
            return
        if isinstance(target, Persistent) and self.persistent == "torch":
            return
        self._issue(IssueKind.UNSAFE_OPERATION,
                    f"BUILD sets the state of {_describe(target)}"
                    + (" (changes an imported module, class or function)"
                       if isinstance(target, GlobalRef) else ""), offset)

    def _persistent(self, pid: object, offset: int) -> object:
        if self.persistent != "torch":
            self._issue(IssueKind.UNSAFE_OPERATION,
                        f"persistent id {_describe(pid)}: a plain pickle has no persistent_load, "
                        "so its meaning depends on the loading program", offset)
            return Opaque("persistent id")
        # torch/serialization.py persistent_load: ('storage', storage_type, key, location, numel)
        if (isinstance(pid, tuple) and len(pid) in (5, 6) and pid[0] == "storage"
                and isinstance(pid[1], GlobalRef) and isinstance(pid[2], str)
                and isinstance(pid[3], str) and isinstance(pid[4], int)
                and not isinstance(pid[4], bool) and pid[4] >= 0):
            storage = TorchStorage(pid[2], pid[1], pid[3], pid[4], offset)
            known = self.result.storages.get(storage.key)
            if known is not None and (known.numel, known.storage_type.dotted) != (
                    storage.numel, storage.storage_type.dotted):
                self._issue(IssueKind.HEADER_INCONSISTENT,
                            f"storage {storage.key!r} is declared twice with different type or "
                            "size", offset)
            self.result.storages.setdefault(storage.key, storage)
            return Persistent(pid, offset)
        self._issue(IssueKind.UNSAFE_OPERATION,
                    f"persistent id {_describe(pid)} is not a PyTorch storage reference "
                    "('storage', type, key, location, numel)", offset)
        return Opaque("persistent id")

    # -- joblib ------------------------------------------------------------------------------

    def _joblib_array(self, wrapper: Call, offset: int) -> None:
        state = wrapper.states[-1]
        where = self.reader.pos
        if not isinstance(state, SymDict):
            self._fatal(IssueKind.PARSE_ERROR, "NumpyArrayWrapper state is not a dict", offset)
        shape = state.get("shape")
        dtype = state.get("dtype")
        info = _dtype_info(dtype)
        if info is None:
            self._fatal(IssueKind.UNSUPPORTED_FORMAT,
                        f"NumpyArrayWrapper dtype {_describe(dtype)} cannot be sized statically",
                        offset)
        itemsize, hasobject = info
        if hasobject:
            if self.depth >= self.limits.max_depth:
                raise LimitReached(f"nested pickles deeper than {self.limits.max_depth}")
            nested = PickleMachine(self.data, where, member=self.member, limits=self.limits,
                                   depth=self.depth + 1).run()
            self.result.nested.append(nested)
            self.result.excised.append((where, nested.end))
            self.reader.pos = nested.end
            if not nested.complete:
                raise _Stop
            return
        if not (isinstance(shape, tuple) and all(
                isinstance(n, int) and not isinstance(n, bool) and n >= 0 for n in shape)):
            self._fatal(IssueKind.PARSE_ERROR,
                        f"NumpyArrayWrapper shape {_describe(shape)} is not a tuple of sizes",
                        offset)
        nbytes = math.prod(shape) * itemsize
        start = where
        if state.get("numpy_array_alignment_bytes") is not None:
            if where >= self.reader.end:
                self._fatal(IssueKind.PARSE_ERROR, "array padding byte missing", where)
            where += 1 + self.data[where]
        if where + nbytes > self.reader.end:
            self._fatal(IssueKind.PARSE_ERROR,
                        f"array data of {nbytes} bytes runs past the end of the data", start)
        self.result.excised.append((start, where + nbytes))
        self.reader.pos = where + nbytes


def _dtype_info(dtype: object) -> tuple[int, bool] | None:
    """(itemsize, hasobject) of a pickled ``numpy.dtype`` call, or None when not a simple dtype.

    NumPy pickles a dtype as ``numpy.dtype(str, False, True)`` with BUILD state
    ``(version, byteorder, subdescr, names, fields, elsize, alignment, flags)``
    (``numpy/_core/src/multiarray/descriptor.c`` ``arraydescr_reduce``).
    """
    if not (isinstance(dtype, Call) and isinstance(dtype.func, GlobalRef)
            and (dtype.func.module, dtype.func.name) in _NUMPY_DTYPE):
        return None
    args = dtype.args
    if not (isinstance(args, tuple) and args and isinstance(args[0], str)):
        return None
    code = args[0]
    state = dtype.states[-1] if dtype.states else None
    if isinstance(state, tuple) and len(state) >= 6:
        if state[2] is not None or state[3] is not None or state[4] is not None:
            return None  # sub-arrays or structured fields
        elsize = state[5]
    else:
        elsize = -1
    if code.startswith("O"):
        return (8, True)
    kind = code[:1]
    digits = code[1:]
    if kind in ("b", "i", "u", "f", "c", "m", "M") and digits.isdigit():
        return (int(digits), False)
    if kind in ("U", "S", "V") and isinstance(elsize, int) and elsize > 0:
        return (elsize, False) if kind != "V" else None
    return None


def _memo_index(arg: object) -> int:
    """A memo index as ``pickle._Unpickler`` reads it (``PUT 01`` is 1; pickletools says True)."""
    if isinstance(arg, bool):
        return int(arg)
    return arg if isinstance(arg, int) else -1


def _const(arg: object) -> object:
    if isinstance(arg, (str, bytes, bytearray)) and len(arg) > _KEEP_CONST:
        return BigConst(type(arg).__name__, len(arg))
    return arg


def _describe(value: object) -> str:
    if isinstance(value, GlobalRef):
        return f"imported {value.dotted}"
    if isinstance(value, Call):
        return f"the result of calling {_describe(value.func)}"
    if isinstance(value, Opaque):
        return f"an unresolved value ({value.reason})"
    if isinstance(value, Persistent):
        return "a persistent reference"
    if isinstance(value, (SymList, SymDict, SymSet)):
        return f"a {type(value).__name__[3:].lower()}"
    if isinstance(value, BigConst):
        return f"a {value.length}-byte {value.kind}"
    if isinstance(value, tuple):
        return "(" + ", ".join(_describe(v) for v in value[:6]) + (", …)" if len(value) > 6
                                                                     else ")")
    text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _parse_message(exc: Exception) -> str:
    text = str(exc) or type(exc).__name__
    return f"not a valid pickle: {text}"
