"""The cbapi manual's 4.5.1 and its ``binary_download.py``, with ``await``: download a binary
EDR collected from an endpoint, unpacked as it streams in (never whole in memory).

    python examples/response/binary_download.py                  # the embedded emulator
    python examples/response/binary_download.py --md5 7FB55F5A62E78AF9B58D08AAEEAEF848 \\
        --profile production

In cbapi ``binary.file`` was a file object read behind your back; here the download is an
explicit stream (``binary.download()``), and ``download_to`` writes it beside its destination
and renames it into place, so a failed download leaves nothing half-written.
"""

from __future__ import annotations

from pathlib import Path

from _target import run

from cbasync import CbResponseAPI
from cbasync.response import Binary


async def main(api: CbResponseAPI, *, md5: str | None = None, output: str = ".") -> Path | None:
    if md5 is None:  # no hash given: the first signed binary the server has
        found = await api.select(Binary).where("digsig_result:Signed").first()
        if found is None:
            print("no signed binary on this server")
            return None
        md5 = found.md5
    binary = await api.get(Binary, md5)  # ObjectNotFoundError when EDR never saw it
    path = await binary.download_to(Path(output) / f"{binary.md5}.bin")
    seen_as = (binary.observed_filename or ["?"])[0]
    signer = binary.signing_data.publisher if binary.is_signed else "nobody (unsigned)"
    print(f"{binary.md5} ({seen_as}, signed by {signer})")
    print(f"saved {path.stat().st_size} bytes to {path}")
    return path


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--md5"], {"help": "the binary's MD5 (default: the first signed binary)"}),
            (["--output"], {"default": ".", "help": "directory to save it in"}),
        ],
    )
