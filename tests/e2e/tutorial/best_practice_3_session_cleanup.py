# test preamble: not in the tutorial. The snippet uses `nx` and `datetime` without defining
# them: `nx` is Carol's client, and she has one session to clean up.
from datetime import datetime, timedelta

import nexus

nx = nexus.connect(config={"url": "http://localhost:2026", "api_key": "carol_key_here"})
nx.create_session(name="old-scratch", description="Carol's scratch space")
# end test preamble

# ✅ Good: Clean up old sessions
def cleanup_old_sessions():
    sessions = nx.list_sessions()
    now = datetime.now()
    for session in sessions:
        created = datetime.fromisoformat(session['created'])
        age_days = (now - created).days
        if age_days > 7: # Older than 7 days
            nx.delete_session(session['id'])
            print(f"Cleaned up session: {session['name']}")

# test epilogue: the tutorial only defines cleanup_old_sessions. Call it now (nothing is old),
# then again with the clock nine days ahead (the session is old: it must be deleted).
cleanup_old_sessions()
print(f"TEST sessions after first cleanup: {len(nx.list_sessions())}")
real_datetime = datetime


class datetime(real_datetime): # noqa: N801 - replaces the name the snippet uses
    @classmethod
    def now(cls, tz=None):
        return real_datetime.now(tz) + timedelta(days=9)


cleanup_old_sessions()
print(f"TEST sessions after cleanup nine days later: {len(nx.list_sessions())}")
# end test epilogue
