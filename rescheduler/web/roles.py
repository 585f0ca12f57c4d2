"""Who may do what on the upload page: three roles, one table (pure; no I/O).

* ``viewer`` sees every run (the history, each run's page) and downloads its files.
* ``supervisor`` uploads, checks, starts, stops, resumes, cancels checks and deletes uploads:
  on the runs they uploaded, which are the only runs they see.
* ``admin`` does all of that on every run, and sees the page's settings and the disk used.

Accounts made before roles existed are supervisors (the store migrates them).
"""

from __future__ import annotations

from enum import StrEnum


class Role(StrEnum):
    VIEWER = "viewer"
    SUPERVISOR = "supervisor"
    ADMIN = "admin"


ROLES = tuple(role.value for role in Role)
DEFAULT_ROLE = Role.SUPERVISOR


def sees_every_run(role: Role) -> bool:
    return role in (Role.ADMIN, Role.VIEWER)


def may_change_runs(role: Role) -> bool:
    """Upload, check, start, stop, resume, cancel, delete."""
    return role in (Role.ADMIN, Role.SUPERVISOR)


def sees_settings(role: Role) -> bool:
    return role is Role.ADMIN


def may_see(role: Role, user: str, uploaded_by: str) -> bool:
    """Whether ``user`` (with ``role``) may see a run that ``uploaded_by`` uploaded."""
    return sees_every_run(role) or uploaded_by == user


def may_change(role: Role, user: str, uploaded_by: str) -> bool:
    """Whether ``user`` may act on a run: an admin on any, a supervisor on their own."""
    return role is Role.ADMIN or (role is Role.SUPERVISOR and uploaded_by == user)
