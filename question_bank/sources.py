"""Reading an import's bytes from whatever the caller holds: bytes, a path, or an open file."""
from __future__ import annotations

import os
from pathlib import Path
from typing import BinaryIO

from question_bank.records import BankError

Source = str | os.PathLike | bytes | BinaryIO


def source_bytes(source: Source, name: str) -> tuple[bytes, str]:
    """The file's bytes and the name to use in error messages."""
    if isinstance(source, bytes | bytearray | memoryview):
        return bytes(source), name or "上传的文件"
    if isinstance(source, str | os.PathLike):
        path = Path(source)
        try:
            return path.read_bytes(), name or path.name
        except OSError as exc:
            raise BankError(f"{name or path.name}: 无法读取文件 ({exc.strerror or exc})") from None
    data = source.read()
    return data, name or Path(str(getattr(source, "name", "") or "上传的文件")).name
