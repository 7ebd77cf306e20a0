"""The cbapi manual's App Control example, with ``await``: take the first file instance, follow
it to the computer it is on, print the computer's name, and move the computer to policy 3.

    python examples/protection/change_policy.py                       # the embedded emulator
    python examples/protection/change_policy.py --profile production  # a server of yours

In cbapi ``fi.computer`` fetched the computer behind your back, on attribute access; here a join
is an awaitable, ``await fi.computer()``, fetched once per client and cached.
"""

from __future__ import annotations

from _target import run

from cbasync import CbProtectionAPI
from cbasync.protection import Computer, FileInstance


async def main(api: CbProtectionAPI) -> Computer | None:
    # Select the first file instance.
    fi = await api.select(FileInstance).first()
    if fi is None:
        print("no file instances on this server")
        return None
    # Print that computer's hostname: the "join" with the Computer object.
    computer = await fi.computer()
    print(computer.name)
    # Change the policy ID (the server answers with the computer as saved).
    computer.policyId = 3
    await computer.save()
    print(f"{computer.name} is now in policy {computer.policyId} ({computer.policyName})")
    return computer


if __name__ == "__main__":
    run(main, __doc__.splitlines()[0])
