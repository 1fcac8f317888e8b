"""Groups: any signed-in user may create one and manages it; managers and admins change
membership; group grants reach every member (and members of nested groups) at once. Every
change is recorded in the activity log in its own transaction (no path; the group and the
member in details), refused ones by ``audited``."""

from __future__ import annotations

from sqlalchemy import Connection

from nexus.api.models import GroupChange, GroupInfo
from nexus.authz import ObjectRef, Relationship, RelationshipFilter, SubjectRef
from nexus.errors import NexusFileNotFoundError, NexusPermissionError, NexusValidationError, shown
from nexus.files.activity import audited, record_admin
from nexus.files.principal import Principal
from nexus.files.runtime import Runtime, user_ref
from nexus.files.timestamps import iso
from nexus.files.validation import require_text
from nexus.identity import Group, validate_group_name

# How a member shows in its event's details: as the argument that named it.
_MEMBER_DETAIL = {"user": "user", "group": "member_group"}


def _group_ref(name: str) -> ObjectRef:
    return ObjectRef("group", name)


def _members_of(name: str) -> SubjectRef:
    return SubjectRef("group", name, "member")


class GroupOperations:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime

    def create(self, principal: Principal, name: str, description: str = "") -> GroupChange:
        now = self.runtime.now()
        with self.runtime.db.write() as conn:
            group = self.runtime.groups.create(conn, name, description, principal.user_id, now)
            manager = Relationship(
                _group_ref(name), "manager", user_ref(principal.user_id), now, principal.user_id
            )
            self.runtime.engine.write(conn, manager)
            record_admin(self.runtime, conn, principal, "create_group", {"group": group.name})
            return self._changed(conn, group)

    def get(self, principal: Principal, name: str) -> GroupInfo:
        with self.runtime.db.read() as conn:
            return self._info(conn, self._existing(conn, name, missing=NexusFileNotFoundError))

    def list(self, principal: Principal) -> list[GroupInfo]:
        # Group names are not secret (grants to a group name are checked against them).
        with self.runtime.db.read() as conn:
            return [self._info(conn, group) for group in self.runtime.groups.list_groups(conn)]

    @audited("delete_group", path=None, subject={"group": "name"})
    def delete(self, principal: Principal, name: str) -> None:
        with self.runtime.db.write() as conn:
            self._existing(conn, name, missing=NexusFileNotFoundError)
            self._require_manager(conn, principal, name)
            engine = self.runtime.engine
            engine.delete(conn, RelationshipFilter(object_type="group", object_id=name))
            engine.delete(
                conn,
                RelationshipFilter(
                    subject_type="group", subject_id=name, subject_relation="member"
                ),
            )
            self.runtime.groups.delete(conn, name)
            record_admin(self.runtime, conn, principal, "delete_group", {"group": name})

    @audited("add_member", path=None, subject={"group": "group", "user": "user_id"})
    def add_user(self, principal: Principal, user_id: str, group: str) -> GroupChange:
        return self._change(principal, group, self._user(user_id), add=True)

    @audited("remove_member", path=None, subject={"group": "group", "user": "user_id"})
    def remove_user(self, principal: Principal, user_id: str, group: str) -> GroupChange:
        return self._change(principal, group, self._user(user_id), add=False)

    @audited("add_member", path=None, subject={"group": "group", "member_group": "member_group"})
    def add_group(self, principal: Principal, member_group: str, group: str) -> GroupChange:
        return self._change(principal, group, self._nested(member_group, group), add=True)

    @audited("remove_member", path=None, subject={"group": "group", "member_group": "member_group"})
    def remove_group(self, principal: Principal, member_group: str, group: str) -> GroupChange:
        return self._change(principal, group, self._nested(member_group, group), add=False)

    # --- internals ----------------------------------------------------------------------

    @staticmethod
    def _user(user_id: str) -> SubjectRef:
        return user_ref(require_text("user_id", user_id))

    @staticmethod
    def _nested(member_group: str, group: str) -> SubjectRef:
        validate_group_name(member_group)
        if member_group == group:
            raise NexusValidationError("a group cannot be a member of itself", code="group_cycle")
        return _members_of(member_group)

    def _change(
        self, principal: Principal, group: str, member: SubjectRef, *, add: bool
    ) -> GroupChange:
        require_text("group", group)
        now = self.runtime.now()
        with self.runtime.db.write() as conn:
            record = self._existing(conn, group, missing=NexusValidationError)
            # Managers first: whether an account exists is not for everyone to learn.
            self._require_manager(conn, principal, group)
            self._require_member_exists(conn, member)
            tuple_ = Relationship(_group_ref(group), "member", member, now, principal.user_id)
            details = {"group": group, _MEMBER_DETAIL[member.type]: member.id}
            if add:
                if self.runtime.engine.write(conn, tuple_):  # adding a member twice: no event
                    record_admin(self.runtime, conn, principal, "add_member", details)
            else:
                removed = self.runtime.engine.delete(
                    conn,
                    RelationshipFilter(
                        object_type="group",
                        object_id=group,
                        relation="member",
                        subject_type=member.type,
                        subject_id=member.id,
                        subject_relation=member.relation,
                    ),
                )
                if removed == 0:
                    raise NexusFileNotFoundError(
                        f"{member.type} {shown(member.id)} is not a member of group {shown(group)}",
                        code="relationship_not_found",
                    )
                record_admin(self.runtime, conn, principal, "remove_member", details)
            return self._changed(conn, record)

    def _require_member_exists(self, conn: Connection, member: SubjectRef) -> None:
        if member.type == "user" and self.runtime.users.get(conn, member.id) is None:
            raise NexusValidationError(f"no such user: {shown(member.id)}", code="unknown_user")
        if member.type == "group" and self.runtime.groups.get(conn, member.id) is None:
            raise NexusValidationError(f"no such group: {shown(member.id)}", code="unknown_group")

    def _existing(
        self,
        conn: Connection,
        name: str,
        *,
        missing: type[NexusFileNotFoundError] | type[NexusValidationError],
    ) -> Group:
        group = self.runtime.groups.get(conn, require_text("group", name))
        if group is None:
            code = "group_not_found" if missing is NexusFileNotFoundError else "unknown_group"
            raise missing(f"no such group: {shown(name)}", code=code)
        return group

    def _require_manager(self, conn: Connection, principal: Principal, name: str) -> None:
        if principal.is_admin:
            return
        if not self.runtime.engine.check(
            conn, user_ref(principal.user_id), "manager", _group_ref(name)
        ):
            raise NexusPermissionError(
                f"permission denied: only admins and managers of group {shown(name)} may change it"
            )

    def _changed(self, conn: Connection, group: Group) -> GroupChange:
        """The group as this write transaction leaves it, with the revision it commits (as
        grant and revoke answer it), so callers can order it against later checks."""
        revision = self.runtime.relationships.revision(conn)
        return GroupChange(**self._info(conn, group).model_dump(), revision=revision)

    def _info(self, conn: Connection, group: Group) -> GroupInfo:
        members = self.runtime.engine.read(
            conn, RelationshipFilter(object_type="group", object_id=group.name, relation="member")
        )
        return GroupInfo(
            name=group.name,
            description=group.description,
            created=iso(group.created_at),
            created_by=group.created_by,
            members=sorted(f"{m.subject.type}:{m.subject.id}" for m in members),
        )
