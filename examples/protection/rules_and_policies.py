"""Creating App Control objects (cbapi 1.3.0: "You can now create new FileRule and Policy model
objects"), and fetching one by id.

1. Fetch a computer by its id: ``select(Computer, id)`` makes no request until asked,
   ``select(Computer, id, force_init=True)`` (or ``api.get``) fetches it, and raises
   ``ObjectNotFoundError`` when there is no such computer.
2. Create a policy for kiosks at high enforcement.
3. Ban, in that policy only, the most widespread file that is not approved yet: a file rule
   names the file by hash and sets its state.
4. Remove both again (this is an example; a real ban would stay).

    python examples/protection/rules_and_policies.py [--profile NAME]
"""

from __future__ import annotations

from _target import run

from cbasync import CbProtectionAPI, ObjectNotFoundError
from cbasync.protection import (
    Computer,
    EnforcementLevel,
    FileCatalog,
    FileRule,
    FileState,
    Policy,
)


async def main(api: CbProtectionAPI) -> tuple[Policy, FileRule] | None:
    computer = await api.select(Computer, 1, force_init=True)
    print(f"computer 1 is {computer.name}, in {computer.policyName}")
    try:
        await api.get(Computer, 987_654)
    except ObjectNotFoundError as exc:
        print(f"no computer 987654: {exc}")

    policy = api.create(Policy)
    policy.name = "Kiosks"
    policy.description = "Locked-down kiosk machines"
    policy.enforcementLevel = EnforcementLevel.HIGH
    await policy.save()
    print(f"created policy {policy.id} {policy.name!r} (enforcement {policy.enforcementLevel})")

    widespread = (
        await api.select(FileCatalog)
        .where(f"fileState:{FileState.UNAPPROVED}")
        .sort("prevalence desc")
        .first()
    )
    if widespread is None:
        print("every file is approved or banned already")
        await policy.delete()
        return None
    rule = api.create(FileRule)
    rule.hash = widespread.sha256 or widespread.md5
    rule.fileState = FileState.BANNED
    rule.name = f"No {widespread.fileName} on kiosks"
    rule.policyIds = str(policy.id)
    await rule.save()
    print(
        f"rule {rule.id} bans {widespread.fileName} (on {widespread.prevalence} computers) "
        f"in policy {rule.policyIds}, created by {rule.createdBy}"
    )

    await rule.delete()
    await policy.delete()
    print("removed the rule and the policy again")
    return policy, rule


if __name__ == "__main__":
    run(main, __doc__.splitlines()[0])
