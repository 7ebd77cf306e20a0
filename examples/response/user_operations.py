"""cbapi's ``user_operations.py`` and the manual's 4.5.9, with ``await``: list users and teams,
create a team with viewer access to a sensor group, create a user in it, and remove both.

    python examples/response/user_operations.py [--username U] [--team-name T] [--keep]

A user's ``auth_token`` and ``password`` are masked wherever a user is printed or shown.
"""

from __future__ import annotations

import secrets

from _target import run

from cbasync import CbResponseAPI
from cbasync.response import SensorGroup, Team, User


async def main(
    api: CbResponseAPI,
    *,
    username: str = "jgarman",
    team_name: str = "Responders",
    keep: bool = False,
) -> tuple[User, Team]:
    async for user in api.select(User):
        role = "global admin" if user.global_admin else "user"
        print(f"user {user.username:<12} {role:<12} teams: {[t.name for t in user.teams or []]}")
    groups = await SensorGroup.fetch_all(api)
    team = api.create(Team)
    team.name = team_name
    team.grant(groups[0], "Viewer")
    await team.save()
    print(f"created team {team.id} {team.name!r}, viewer of {groups[0].name!r}")
    user = api.create(User)
    user.username = username
    user.password = secrets.token_urlsafe(16)  # the user changes it at first login
    user.first_name = "Jason"
    user.last_name = "Garman"
    user.email = f"{username}@example.com"
    user.global_admin = False
    user.add_team(team)
    await user.save()
    print(f"created user {user.username} in {[t.name for t in user.teams or []]}")
    print(repr(user))  # the token and password never show
    if not keep:
        await user.delete()
        await team.delete()
        print(f"removed user {user.username} and team {team.name!r}")
    return user, team


if __name__ == "__main__":
    run(
        main,
        __doc__.splitlines()[0],
        [
            (["--username"], {"default": "jgarman", "help": "the new user's name"}),
            (["--team-name"], {"default": "Responders", "help": "the new team's name"}),
            (["--keep"], {"action": "store_true", "help": "keep the new user and team"}),
        ],
    )
