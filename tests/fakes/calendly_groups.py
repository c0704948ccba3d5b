"""Groups of the fake Calendly API (read only: groups are edited in Calendly's admin center).

A group relationship relates an owner, an organization membership or a pending invitation, to a
group as ``member`` (one group at most) or ``admin`` (any number of groups).
"""

from __future__ import annotations

from fakes.calendly_admin import AdminMixin, uri_of
from fakes.calendly_state import JSON, Query, first, new_uuid, now_iso
from fakes.jsoncopy import clone


class GroupsMixin(AdminMixin):
    def add_group(self, name: str) -> JSON:
        stamp = now_iso()
        group: JSON = {
            "uri": f"{self.base_url}/groups/{new_uuid()}",
            "name": name,
            "organization": self.organization_uri,
            "member_count": 0,
            "created_at": stamp,
            "updated_at": stamp,
        }
        with self.lock:
            self.groups.append(group)
        return clone(group)

    def add_to_group(self, group: JSON | str, owner: JSON | str, *, role: str = "member") -> JSON:
        """Relate a membership or invitation (resource or URI) to a group as member or admin."""
        if role not in ("member", "admin"):
            raise ValueError("role must be member or admin")
        with self.lock:
            grp = self._find(self.groups, uri_of(group))
            who = self._find(self.memberships + self.invitations, uri_of(owner))
            rel: JSON = {
                "uri": f"{self.base_url}/group_relationships/{new_uuid()}",
                "role": role,
                # Calendly documents the owner as an organization membership or an invitation;
                # the fake embeds that resource as it stands when listed.
                "owner": who["uri"],
                "organization": self.organization_uri,
                "group": grp["uri"],
            }
            self.group_relationships.append(rel)
            return self._render_relationship(rel)

    def _render_relationship(self, rel: JSON) -> JSON:
        out = clone(rel)
        owner = self._find(self.memberships + self.invitations, rel["owner"])
        out["owner"] = self._render_membership(owner) if "role" in owner else clone(owner)
        return out

    def _render_group(self, group: JSON) -> JSON:
        count = sum(
            1
            for r in self.group_relationships
            if r["group"] == group["uri"] and r["role"] == "member"
        )
        return group | {"member_count": count}

    def _route_groups(
        self, method: str, parts: list[str], path: str, q: Query
    ) -> tuple[int, JSON | None] | None:
        head, rest = (parts[0] if parts else ""), parts[1:]
        if head == "groups" and method == "GET":
            if not rest:
                self._own_organization(first(q, "organization"))
                return 200, self._page(path, q, [self._render_group(g) for g in self.groups])
            if len(rest) == 1:
                return 200, {"resource": self._render_group(self._get(self.groups, rest[0]))}
        if head == "group_relationships" and method == "GET":
            if len(rest) == 1:
                rel = self._get(self.group_relationships, rest[0])
                return 200, {"resource": self._render_relationship(rel)}
            if not rest:
                return 200, self._list_relationships(path, q)
        return None

    def _list_relationships(self, path: str, q: Query) -> JSON:
        org, group, owner = first(q, "organization"), first(q, "group"), first(q, "owner")
        if org:
            self._own_organization(org)
        items = [
            self._render_relationship(r)
            for r in self.group_relationships
            if (not group or r["group"] == group) and (not owner or r["owner"] == owner)
        ]
        return self._page(path, q, items)
