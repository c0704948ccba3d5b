"""Calendly organization administration verbs: users, memberships, invitations, groups, event
types. API verbs only (serialize, call, deserialize); every list follows every page.

What the API cannot do (role changes, teams, group edits, round robin and collective event
types) has no verb here: those are Calendly admin-center tasks.
"""

from __future__ import annotations

from calsync.adapters.calendly_http import JSON, CalendlyHTTP


class AdminVerbs(CalendlyHTTP):
    def get_user(self, uri_or_uuid: str) -> JSON:
        (user,) = self._ids(uri_or_uuid, "users/*", "user")
        return self._resource("GET", f"/users/{user}")

    # -- organization memberships (organizations:read / organizations:write) ----------------
    def list_memberships(
        self, *, organization: str, role: str | None = None, email: str | None = None
    ) -> list[JSON]:
        params = {"organization": organization, "role": role, "email": email}
        return list(self._pages("/organization_memberships", params))

    def get_membership(self, uri_or_uuid: str) -> JSON:
        (uuid,) = self._ids(uri_or_uuid, "organization_memberships/*", "organization membership")
        return self._resource("GET", f"/organization_memberships/{uuid}")

    def delete_membership(self, uri_or_uuid: str) -> None:
        (uuid,) = self._ids(uri_or_uuid, "organization_memberships/*", "organization membership")
        self._call("DELETE", f"/organization_memberships/{uuid}")

    # -- invitations (organizations:read / organizations:write) ------------------------------
    def list_invitations(
        self, organization: str, *, status: str | None = None, email: str | None = None
    ) -> list[JSON]:
        (org,) = self._ids(organization, "organizations/*", "organization")
        params = {"status": status, "email": email, "sort": "created_at:asc"}
        return list(self._pages(f"/organizations/{org}/invitations", params))

    def create_invitation(self, organization: str, email: str) -> JSON:
        (org,) = self._ids(organization, "organizations/*", "organization")
        return self._resource("POST", f"/organizations/{org}/invitations", json={"email": email})

    def revoke_invitation(self, uri: str) -> None:
        org, inv = self._ids(uri, "organizations/*/invitations/*", "invitation", bare=False)
        self._call("DELETE", f"/organizations/{org}/invitations/{inv}")

    # -- groups (groups:read; read only in the API) ------------------------------------------
    def list_groups(self, *, organization: str) -> list[JSON]:
        return list(self._pages("/groups", {"organization": organization}))

    def get_group(self, uri_or_uuid: str) -> JSON:
        (uuid,) = self._ids(uri_or_uuid, "groups/*", "group")
        return self._resource("GET", f"/groups/{uuid}")

    def list_group_relationships(
        self, *, organization: str | None = None, group: str | None = None
    ) -> list[JSON]:
        params = {"organization": organization, "group": group}
        return list(self._pages("/group_relationships", params))

    # -- event types (event_types:read / event_types:write) ----------------------------------
    def list_event_types(
        self,
        *,
        organization: str | None = None,
        user: str | None = None,
        active: bool | None = None,
    ) -> list[JSON]:
        shown = None if active is None else str(active).lower()
        params = {"organization": organization, "user": user, "active": shown, "sort": "name:asc"}
        return list(self._pages("/event_types", params))

    def get_event_type(self, uri_or_uuid: str) -> JSON:
        (uuid,) = self._ids(uri_or_uuid, "event_types/*", "event type")
        return self._resource("GET", f"/event_types/{uuid}")

    def list_event_type_hosts(self, event_type_uri: str) -> list[JSON]:
        self._ids(event_type_uri, "event_types/*", "event type", bare=False)
        return list(self._pages("/event_type_memberships", {"event_type": event_type_uri}))

    def create_event_type(
        self, *, name: str, owner: str, duration: int, description: str | None = None
    ) -> JSON:
        """A one-on-one event type (the only kind the API creates)."""
        body: JSON = {"name": name, "owner": owner, "duration": duration}
        if description is not None:
            body["description"] = description
        return self._resource("POST", "/event_types", json=body)
