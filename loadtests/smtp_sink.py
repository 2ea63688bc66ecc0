"""A local SMTP server that keeps each message as a file, for reading login codes in load tests.

Run as ``python -m loadtests.smtp_sink --port PORT --directory DIR``; each message is written to
``DIR/<recipient>/<nanoseconds>.eml`` (written to a temporary name first, so readers never see
half a message).
"""

from __future__ import annotations

import argparse
import asyncio
import os
import re
import time
from email import message_from_bytes, policy
from pathlib import Path

from aiosmtpd.controller import Controller

# Six digits standing alone: not the start of an application number (261124-7KQ3M9XA) in a notice.
CODE_RE = re.compile(r"(?<![0-9A-Za-z-])([0-9]{6})(?![0-9A-Za-z-])")


class Keeper:
    def __init__(self, directory: Path) -> None:
        self.directory = directory

    async def handle_DATA(self, server, session, envelope):
        for recipient in envelope.rcpt_tos:
            folder = self.directory / recipient.lower()
            folder.mkdir(parents=True, exist_ok=True)
            name = f"{time.time_ns()}"
            tmp = folder / f".{name}.tmp"
            tmp.write_bytes(envelope.original_content or envelope.content)
            os.replace(tmp, folder / f"{name}.eml")
        return "250 OK"


def messages(directory: Path, recipient: str) -> list[Path]:
    folder = directory / recipient.lower()
    return sorted(folder.glob("*.eml")) if folder.is_dir() else []


def code_in(path: Path) -> str:
    message = message_from_bytes(path.read_bytes(), policy=policy.default)
    body = message.get_body(preferencelist=("plain",))
    text = body.get_content() if body is not None else ""
    found = CODE_RE.search(text)
    if found is None:
        raise ValueError(f"no code in {path}")
    return found.group(1)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--directory", type=Path, required=True)
    args = parser.parse_args()
    args.directory.mkdir(parents=True, exist_ok=True)
    controller = Controller(Keeper(args.directory), hostname="127.0.0.1", port=args.port)
    controller.start()
    print("ready", flush=True)
    try:
        asyncio.run(asyncio.Event().wait())
    finally:
        controller.stop()


if __name__ == "__main__":
    main()
