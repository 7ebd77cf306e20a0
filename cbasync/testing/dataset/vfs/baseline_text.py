"""Text files of a baseline image: logs, notes, a CSV export, passwd (generated from the seed)."""

from __future__ import annotations

import random
from collections.abc import Callable

from cbasync.testing.dataset.vfs.core import FIRST_NAMES, ImageCore, iso_seconds, stable_seed

__all__ = ["BaselineText"]


class BaselineText(ImageCore):
    """The generated text files of the baseline."""

    def _log_later(self, lines: int, kind: str, salt: int) -> Callable[[], str]:
        return lambda: self._log_text(lines, kind, salt)

    def _log_text(self, lines: int, kind: str, salt: int = 0) -> str:
        rng = random.Random(stable_seed("log", self.seed, self.key, kind, salt))
        t = self.base_time - lines * 600
        messages = {
            "sensor": (
                "Sensor checkin succeeded",
                "Uploaded event log batch",
                "Module info sent",
                "Checkin interval 30s",
            ),
            "cloud": (
                "Policy update received",
                "Reputation cache refreshed",
                "Connected to backend",
                "Sent 42 events",
            ),
            "installer": (
                "Installing package",
                "Extracting files",
                "Registering components",
                "Installation success",
            ),
            "syslog": (
                "systemd[1]: Started Session of user",
                "kernel: [UFW BLOCK] IN=eth0",
                "CRON[123]: (root) CMD (run-parts /etc/cron.hourly)",
                "cbagentd: connected",
            ),
            "auth": (
                "sshd: Accepted publickey for",
                "sudo: session opened for user root",
                "sshd: Failed password for invalid user admin",
                "systemd-logind: New session",
            ),
            "system": (
                "launchd: Service started",
                "kernel: IOKit event",
                "syslogd: ASL Sender Statistics",
                "configd: network changed",
            ),
        }[kind]
        newline = "\r\n" if self.os == "WINDOWS" else "\n"
        out = []
        for _ in range(lines):
            t += rng.randint(10, 600)
            out.append(f"{iso_seconds(t)} {self.hostname} {rng.choice(messages)}")
        return newline.join(out) + newline

    def _notes_text(self) -> str:
        newline = "\r\n" if self.os == "WINDOWS" else "\n"
        return (
            newline.join(
                (
                    f"Notes of {self.username} on {self.hostname}",
                    "- renew the VPN certificate",
                    "- ticket INC-" + str(10_000 + self.key * 7 % 90_000),
                    "- ask IT about the new laptop",
                )
            )
            + newline
        )

    def _csv_text(self) -> str:
        rng = random.Random(stable_seed("csv", self.seed, self.key))
        rows = ["id,name,amount"]
        rows += [f"{i},{rng.choice(FIRST_NAMES)},{rng.randint(10, 9999)}" for i in range(1, 40)]
        return "\r\n".join(rows) + "\r\n"

    def _passwd_text(self) -> str:
        uid = 1000 + self.key % 100
        return (
            "root:x:0:0:root:/root:/bin/bash\n"
            "daemon:x:1:1:daemon:/usr/sbin:/usr/sbin/nologin\n"
            "syslog:x:104:110::/home/syslog:/usr/sbin/nologin\n"
            "sshd:x:110:65534::/run/sshd:/usr/sbin/nologin\n"
            f"{self.username}:x:{uid}:{uid}:{self.username.title()}:/home/{self.username}:/bin/bash\n"
        )
