"""The sandbox Jira's per-issue link index agrees with its links through generation and ticks."""

from __future__ import annotations

from sandbox.jira.world import generate_jira
from sandbox.portfolio import generate_portfolio


def _scanned(site, issue_id: int) -> list[int]:
    """An issue's links found the slow way: every link of the site, either end."""
    return sorted(
        link.id for link in site.links.values() if issue_id in (link.outward_id, link.inward_id)
    )


def test_issue_links_match_a_full_scan_after_creates_and_deletes() -> None:
    world = generate_jira(generate_portfolio("XS", 42))
    site = world.site
    assert site.links, "the XS world has links to index"
    links_before = len(site.links)
    for _ in range(3):
        world.tick(change_fraction=0.05)
    assert world.deleted_issues, "the ticks deleted issues, so links were removed"
    assert len(site.links) != links_before
    every_issue = set(world.issues) | set(world.deleted_issues)
    for issue_id in every_issue:
        assert sorted(link.id for link in site.issue_links(issue_id)) == _scanned(site, issue_id)
    for issue_id in world.deleted_issues:
        assert site.issue_links(issue_id) == []
