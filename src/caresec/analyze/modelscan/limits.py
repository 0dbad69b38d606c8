"""Resource limits of a model scan; reaching any of them blocks the file (fail closed)."""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True, slots=True)
class ScanLimits:
    """Every bound the scanner enforces. All sizes are bytes.

    Attributes:
        max_file_bytes: largest file scanned at all (default 64 GiB: large language models).
        max_member_bytes: largest decompressed archive member or compressed stream read into
            memory (default 2 GiB).
        max_total_bytes: total decompressed bytes per file across members (zip-bomb guard).
        max_ratio: largest compressed-to-decompressed ratio of one member.
        max_members: most members in one archive.
        max_depth: deepest nesting of archives, compressed streams and nested pickles.
        max_pickles: most concatenated pickles in one stream.
        max_opcodes: most opcodes walked in one pickle.
        max_memo: most memo entries in one pickle.
        max_stack_depth: deepest MARK nesting in one pickle.
        max_value_bytes: largest single string/bytes value in a pickle.
        max_line_bytes: longest text line read by a protocol-0 opcode.
        max_header_bytes: largest safetensors JSON header (the safetensors library's own
            limit, 100,000,000) and GGUF metadata value.
        max_gguf_items: most GGUF metadata entries, tensors or array elements.
    """

    max_file_bytes: int = 64 * 2**30
    max_member_bytes: int = 2 * 2**30
    max_total_bytes: int = 8 * 2**30
    max_ratio: int = 200
    max_members: int = 10_000
    max_depth: int = 4
    max_pickles: int = 64
    max_opcodes: int = 20_000_000
    max_memo: int = 5_000_000
    max_stack_depth: int = 10_000
    max_value_bytes: int = 512 * 2**20
    max_line_bytes: int = 2**20
    max_header_bytes: int = 100_000_000
    max_gguf_items: int = 10_000_000
