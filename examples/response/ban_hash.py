"""The cbapi manual's 4.5.2 and its ``ban_hash.py``, with ``await``: ban a binary by its MD5, then
list the bans. A hash banned already is an error the server names (``ClientError``).

    python examples/response/ban_hash.py [--md5 HASH] [--text WHY] [--profile NAME]

EDR 7.7 renamed the route (``/api/v1/banning/bannedlist``, formerly ``blacklist``); the client
asks the server's version once and uses the name that server knows.
"""

from __future__ import annotations

from _target import run

from cbasync import ApiError, CbResponseAPI
from cbasync.response import BannedHash, Binary


async def main(
    api: CbResponseAPI, *, md5: str | None = None, text: str = "Banned from API"
) -> BannedHash | None:
    if md5 is None:  # no hash given: the first unsigned binary the server has seen
        binary = await api.select(Binary).where("digsig_result:Unsigned").first()
        if binary is None:
            print("no unsigned binary to ban")
            return None
        md5 = binary.md5
    ban = api.create(BannedHash)
    ban.md5hash = md5
    ban.text = text
    ban.enabled = True
    try:
        await ban.save()
    except ApiError as exc:  # e.g. "already banned"
        print(f"{md5}: not banned: {exc}")
        return None
    print(f"banned {ban.md5hash}: {ban.text!r} (by {ban.username})")
    bans = [b async for b in api.select(BannedHash) if b.enabled]
    print(f"{len(bans)} hashes banned on this server")
    return ban


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--md5"], {"help": "the MD5 to ban (default: the first unsigned binary seen)"}),
            (["--text"], {"default": "Banned from API", "help": "why (shown in the console)"}),
        ],
    )
