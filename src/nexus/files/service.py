"""The one entry point of the use cases, shared by the HTTP server and the embedded client."""

from __future__ import annotations

from nexus.api.models import WhoAmI
from nexus.config import ServerSettings
from nexus.files.access import Access
from nexus.files.activity import ActivityOperations
from nexus.files.admin_ops import AdminOperations
from nexus.files.auth import Authenticator
from nexus.files.copy_ops import CopyOperations
from nexus.files.creation import Creator
from nexus.files.explain_ops import ExplainOperations
from nexus.files.file_ops import FileOperations
from nexus.files.group_ops import GroupOperations
from nexus.files.lock_ops import LockOperations
from nexus.files.maintenance_ops import MaintenanceOperations
from nexus.files.permission_ops import PermissionOperations
from nexus.files.principal import Principal
from nexus.files.rebac_ops import RebacOperations
from nexus.files.runtime import Runtime, open_runtime
from nexus.files.session_ops import SessionOperations
from nexus.files.version_ops import VersionOperations


class NexusService:
    def __init__(self, runtime: Runtime):
        self.runtime = runtime
        access = Access(runtime)
        creator = Creator(runtime, access)
        self.auth = Authenticator(runtime)
        self.files = FileOperations(runtime, access, creator)
        self.copies = CopyOperations(runtime, access, creator)
        self.locks = LockOperations(runtime, access)
        self.permissions = PermissionOperations(runtime, access, creator)
        self.rebac = RebacOperations(runtime, access, self.permissions)
        self.explain = ExplainOperations(runtime, access, self.permissions)
        self.groups = GroupOperations(runtime)
        self.sessions = SessionOperations(runtime)
        self.admin = AdminOperations(runtime, self.sessions)
        self.versions = VersionOperations(runtime, access)
        self.maintenance = MaintenanceOperations(runtime)
        self.activity = ActivityOperations(runtime, access)

    @staticmethod
    def whoami(principal: Principal) -> WhoAmI:
        return WhoAmI(user_id=principal.user_id, is_admin=principal.is_admin)

    def close(self) -> None:
        self.runtime.close()


def open_service(settings: ServerSettings) -> NexusService:
    return NexusService(open_runtime(settings))
