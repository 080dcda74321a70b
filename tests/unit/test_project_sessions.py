"""ProjectSessions: every project's session at once, with real workers on real SQLite.

The focus (the project open in the app) runs the caller's worker count; the others their
``workers`` setting or the background count; deleted projects lose their session at the
next sync, and a project stopped on purpose stays stopped until released."""

from __future__ import annotations

from pathlib import Path

from loratui.core.projects import workspace
from loratui.core.session.all_projects import ProjectSessions


async def test_focus_background_sync_and_stop(home: Path) -> None:
    a = workspace.create_project("a")
    b = workspace.create_project("b")
    c = workspace.create_project("c")
    workspace.update_settings(c, {"workers": 2})
    sessions = ProjectSessions(workers=3, background_workers=1, watch=False)
    try:
        await sessions.focus(a.id)
        started = await sessions.sync()
        assert sorted(started) == sorted([b.id, c.id])
        assert sessions.names == {a.id: "a", b.id: "b", c.id: "c"}
        assert [sessions.get(p.id).workers for p in (a, b, c)] == [3, 1, 2]

        before = sessions.get(b.id)
        await sessions.focus(b.id)  # b restarts with the focus's count
        assert sessions.get(b.id) is not before and sessions.get(b.id).workers == 3
        assert sessions.get(a.id).workers == 3  # until the next sync sees it idle
        await sessions.sync()
        assert sessions.get(a.id).workers == 1

        workspace.delete_project(c)
        assert await sessions.sync() == []
        assert sessions.get(c.id) is None

        await sessions.stop(a.id)  # held: a sync does not start it again
        assert await sessions.sync() == [] and sessions.get(a.id) is None
        sessions.release(a.id)
        assert await sessions.sync() == [a.id]

        restarted = sessions.get(a.id)
        workspace.update_settings(a, {"workers": 4})
        assert await sessions.restart(a.id)
        assert sessions.get(a.id) is not restarted and sessions.get(a.id).workers == 4
    finally:
        await sessions.stop_all()
    assert sessions.items() == [] and await sessions.sync() == []
