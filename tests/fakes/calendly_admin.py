"""Organization administration in the fake Calendly API: users, memberships, invitations, groups.

Follows Calendly's API v2 reference: memberships and invitations need ``organizations:read`` /
``organizations:write``; groups and group relationships are read only (``groups:read``); role
changes and group edits exist only in Calendly's admin center, so they are seeding helpers here.
"""

from __future__ import annotations

import re
from typing import Any

from fakes.calendly_state import (
    JSON,
    FakeCore,
    Query,
    first,
    forbidden,
    invalid,
    new_uuid,
    not_found,
    now_iso,
)
from fakes.jsoncopy import clone

ROLES = ("user", "admin", "owner")
INVITATION_STATUSES = ("pending", "accepted", "declined", "revoked")
_EMAIL = re.compile(r"[^@\s]+@[^@\s]+\.[^@\s]+")
_USER_FIELDS = ("uri", "name", "slug", "email", "scheduling_url", "timezone", "avatar_url")


class AdminMixin(FakeCore):
    users: dict[str, JSON]  # user uri -> user resource (as GET /users/{uuid} answers)
    memberships: list[JSON]
    invitations: list[JSON]
    groups: list[JSON]
    group_relationships: list[JSON]
    membership: JSON  # the token user's own membership

    def _init_admin(self, role: str) -> None:
        self.users = {self.user["uri"]: self.user}
        self.memberships, self.invitations = [], []
        self.groups, self.group_relationships = [], []
        self.membership = self._add_membership(self.user, role)

    # -- seeding helpers ----------------------------------------------------------------------
    def add_member(
        self, email: str, *, name: str | None = None, role: str = "user", **user: Any
    ) -> JSON:
        """A new user in the organization; returns its membership (``user`` overrides fields)."""
        if role not in ROLES:
            raise ValueError(f"role must be one of {ROLES}")
        with self.lock:
            return self._add_membership(self._new_user(email, name, **user), role)

    def set_role(self, role: str, membership: JSON | str | None = None) -> None:
        """Change a member's role (admin center only in Calendly); the token user's by default."""
        with self.lock:
            found = self._find(self.memberships, uri_of(membership or self.membership))
            found["role"], found["updated_at"] = role, now_iso()

    def add_invitation(self, email: str, *, status: str = "pending") -> JSON:
        """An organization invitation in any status (``accepted`` also makes the member)."""
        with self.lock:
            inv = self._new_invitation(email)
            if status == "accepted":
                self._accept(inv)
            else:
                inv["status"] = status
            return clone(inv)

    def accept_invitation(self, invitation: JSON | str) -> JSON:
        """The invitee joins: the invitation turns ``accepted`` and a membership appears."""
        with self.lock:
            return self._accept(self._find(self.invitations, uri_of(invitation)))

    # -- internals ----------------------------------------------------------------------------
    def _new_user(self, email: str, name: str | None, **fields: Any) -> JSON:
        slug = re.sub(r"[^a-z0-9]+", "-", email.split("@", maxsplit=1)[0].lower()).strip("-")
        stamp = now_iso()
        user: JSON = {
            "uri": f"{self.base_url}/users/{new_uuid()}",
            "name": name or email.split("@", maxsplit=1)[0].replace(".", " ").title(),
            "slug": slug,
            "email": email,
            "scheduling_url": f"https://calendly.com/{slug}",
            "timezone": "UTC",
            "avatar_url": None,
            "created_at": stamp,
            "updated_at": stamp,
            "current_organization": self.organization_uri,
            "resource_type": "User",
        }
        user.update(fields)
        self.users[user["uri"]] = user
        return user

    def _add_membership(self, user: JSON, role: str) -> JSON:
        stamp = now_iso()
        membership: JSON = {
            "uri": f"{self.base_url}/organization_memberships/{new_uuid()}",
            "role": role,
            "user": user["uri"],  # rendered as the user object on the way out
            "organization": self.organization_uri,
            "updated_at": stamp,
            "created_at": stamp,
        }
        self.memberships.append(membership)
        return self._render_membership(membership)

    def _new_invitation(self, email: str) -> JSON:
        stamp = now_iso()
        org_uuid = self.organization_uri.rsplit("/", 1)[1]
        inv: JSON = {
            "uri": f"{self.base_url}/organizations/{org_uuid}/invitations/{new_uuid()}",
            "organization": self.organization_uri,
            "email": email,
            "status": "pending",
            "created_at": stamp,
            "updated_at": stamp,
            "last_sent_at": stamp,
        }
        self.invitations.append(inv)
        return inv

    def _accept(self, inv: JSON) -> JSON:
        membership = self._add_membership(self._new_user(inv["email"], None), "user")
        inv.update(status="accepted", user=membership["user"]["uri"], updated_at=now_iso())
        return membership

    def _find(self, items: list[JSON], uri_or_uuid: str) -> JSON:
        for item in items:
            if item["uri"] == uri_or_uuid or item["uri"].endswith("/" + uri_or_uuid):
                return item
        raise KeyError(uri_or_uuid)

    def _render_membership(self, membership: JSON) -> JSON:
        out = clone(membership)
        user = self.users[membership["user"]]
        out["user"] = {k: user.get(k) for k in _USER_FIELDS} | {
            "created_at": user["created_at"],
            "updated_at": user["updated_at"],
        }
        return out

    def _may_administer(self) -> None:
        if (
            self.membership
            and self._find(self.memberships, self.membership["uri"])["role"] == "user"
        ):
            raise forbidden("You do not have permission to perform this action.")

    # -- routes -------------------------------------------------------------------------------
    def _route_admin(
        self, method: str, parts: list[str], path: str, q: Query, body: JSON | None
    ) -> tuple[int, JSON | None] | None:
        head, rest = (parts[0] if parts else ""), parts[1:]
        if head == "users" and method == "GET" and len(rest) == 1:
            user = (
                self.user if rest[0] == "me" else self.users.get(f"{self.base_url}/users/{rest[0]}")
            )
            if user is None:
                raise not_found()
            return 200, {"resource": user}
        if head == "organization_memberships":
            return self._route_memberships(method, rest, path, q)
        if head == "organizations" and rest:
            if f"{self.base_url}/organizations/{rest[0]}" != self.organization_uri:
                raise not_found()
            if len(rest) == 1 and method == "GET":
                return 200, {"resource": self._organization()}
            if rest[1:2] == ["invitations"]:
                return self._route_invitations(method, rest[2:], path, q, body)
        return None

    def _organization(self) -> JSON:
        return {
            "uri": self.organization_uri,
            "name": "Example Support",
            "plan": "enterprise",
            "stage": "paid",
            "created_at": "2024-01-02T03:04:05.678123Z",
            "updated_at": "2024-01-02T03:04:05.678123Z",
        }

    def _get(self, items: list[JSON], uuid: str) -> JSON:
        try:
            return self._find(items, uuid)
        except KeyError:
            raise not_found() from None

    def _route_memberships(
        self, method: str, rest: list[str], path: str, q: Query
    ) -> tuple[int, JSON | None] | None:
        if not rest and method == "GET":
            org, user = first(q, "organization"), first(q, "user")
            if not org and not user:
                raise invalid("organization", "organization or user is required")
            if org:
                self._own_organization(org)
            email, role = first(q, "email"), first(q, "role")
            if role is not None and role not in ROLES:
                raise invalid("role", f"must be one of: {', '.join(ROLES)}")
            items = [
                self._render_membership(m)
                for m in self.memberships
                if (not user or m["user"] == user)
                and (not role or m["role"] == role)
                and (not email or self.users[m["user"]]["email"] == email)
            ]
            return 200, self._page(path, q, items)
        if len(rest) != 1 or method not in ("GET", "DELETE"):
            return None
        membership = self._get(self.memberships, rest[0])
        if method == "GET":
            return 200, {"resource": self._render_membership(membership)}
        self._may_administer()
        if membership["role"] == "owner":
            raise forbidden("The owner of an organization cannot be removed from it.")
        self.memberships.remove(membership)
        self.group_relationships = [
            r for r in self.group_relationships if r["owner"] != membership["uri"]
        ]
        return 204, None

    def _route_invitations(
        self, method: str, rest: list[str], path: str, q: Query, body: JSON | None
    ) -> tuple[int, JSON | None] | None:
        if not rest and method == "GET":
            status, email = first(q, "status"), first(q, "email")
            if status is not None and status not in INVITATION_STATUSES:
                raise invalid("status", f"must be one of: {', '.join(INVITATION_STATUSES)}")
            items = [
                i
                for i in self.invitations
                if (not status or i["status"] == status) and (not email or i["email"] == email)
            ]
            descending = (first(q, "sort") or "created_at:asc").endswith(":desc")
            items.sort(key=lambda i: str(i["created_at"]), reverse=descending)
            return 200, self._page(path, q, items)
        if not rest and method == "POST":
            self._may_administer()
            return 201, {"resource": self._invite((body or {}).get("email"))}
        if len(rest) != 1 or method not in ("GET", "DELETE"):
            return None
        inv = self._get(self.invitations, rest[0])
        if method == "GET":
            return 200, {"resource": inv}
        self._may_administer()
        if inv["status"] != "pending":
            raise invalid("uuid", f"the invitation is {inv['status']}, not pending")
        inv.update(status="revoked", updated_at=now_iso())
        return 204, None

    def _invite(self, email: object) -> JSON:
        if not isinstance(email, str) or not _EMAIL.fullmatch(email):
            raise invalid("email", "is not a valid email address")
        # Calendly does not document its answer for these two; a 400 naming the email it is.
        if any(self.users[m["user"]]["email"].lower() == email.lower() for m in self.memberships):
            raise invalid("email", "is already a member of this organization")
        if any(
            i["email"].lower() == email.lower() and i["status"] == "pending"
            for i in self.invitations
        ):
            raise invalid("email", "has already been invited to this organization")
        return clone(self._new_invitation(email))


def uri_of(item: JSON | str) -> str:
    return item if isinstance(item, str) else str(item["uri"])
