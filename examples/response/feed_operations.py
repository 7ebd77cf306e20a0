"""cbapi's ``feed_operations.py``, with ``await``: list the threat intelligence feeds, add one,
synchronize it, read a feed's reports, ignore the noisy ones in bulk (the manual's 4.5.6), and
remove the new feed.

    python examples/response/feed_operations.py [--name N] [--url URL] [--report-word W] [--keep]

A feed's credentials (``password``, ``ssl_client_key``) are masked whenever a feed is printed or
shown in a notebook; ``model_dump()`` still carries them, since saving a feed sends them.
"""

from __future__ import annotations

from _target import run

from cbasync import CbResponseAPI
from cbasync.response import Feed

URL = "https://intel.example.com/feeds/acme_ioc.json"


async def main(
    api: CbResponseAPI,
    *,
    name: str = "acme_ioc",
    url: str = URL,
    report_word: str | None = None,
    keep: bool = False,
) -> tuple[Feed, int]:
    async for feed in api.select(Feed):
        state = "enabled" if feed.enabled else "disabled"
        print(f"feed {feed.id:>3} {feed.name:<24} {state:<8} {feed.feed_url}")
    new = api.create(Feed)
    new.name = name  # letters, digits and underscores
    new.feed_url = url
    new.enabled = True
    new.validate_server_cert = True
    await new.save()
    print(f"added feed {new.id} {new.name!r} from {new.feed_url}")
    await new.synchronize()
    print(f"asked feed {new.id} to synchronize")
    # The manual's bulk operation: every report of a feed whose title has a word, ignored.
    soc = await api.select(Feed).where("name:SOC").first() or new
    reports = soc.reports()
    titles = [report.title async for report in reports if report.title]
    word = report_word or (titles[0].split()[0] if titles else "")
    ignored = await reports.where(f"title:{word}").set_ignored() if word else 0
    print(f"feed {soc.name!r}: {len(titles)} reports, {ignored} with {word!r} now ignored")
    if not keep:
        await new.delete()
        print(f"removed feed {new.id}")
    return new, ignored


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--name"], {"default": "acme_ioc", "help": "the new feed's name"}),
            (["--url"], {"default": URL, "help": "the new feed's URL"}),
            (["--report-word"], {"help": "ignore the reports whose title has this word"}),
            (["--keep"], {"action": "store_true", "help": "keep the new feed"}),
        ],
    )
