"""The workflow (.github/workflows/ci.yml): the code of a pull request runs with no power to write,
and what is published is the artifact the tests checked, by a job that runs none of the project's code."""

from __future__ import annotations

import re

import pytest
import yaml

from booktest import ROOT

WORKFLOW = yaml.safe_load((ROOT / ".github" / "workflows" / "ci.yml").read_text())
JOBS = WORKFLOW["jobs"]
PROJECT_CODE = re.compile(r"\bmake\b|\bpython\b|\.venv|pytest|jupyter-book|pip\b")


def steps(job: str) -> list[dict]:
    return JOBS[job]["steps"]


def runs_project_code(job: str) -> bool:
    return any(PROJECT_CODE.search(step.get("run", "")) for step in steps(job))


def uses(job: str, action: str) -> list[dict]:
    return [s for s in steps(job) if s.get("uses", "").split("@")[0] == action]


def test_the_workflow_grants_nothing_by_default():
    assert WORKFLOW.get("permissions") == {}


def test_jobs_that_run_the_projects_code_may_only_read_and_keep_no_token_in_the_checkout():
    running = [job for job in JOBS if runs_project_code(job)]
    assert running == ["test"]
    for job in running:
        assert JOBS[job]["permissions"] == {"contents": "read"}, job
        checkouts = uses(job, "actions/checkout")
        assert checkouts and all(c.get("with", {}).get("persist-credentials") is False for c in checkouts), job


def test_publishing_is_a_job_of_its_own_on_main_after_the_tests_from_their_artifact():
    publish = JOBS["publish"]
    assert publish["needs"] == "test"
    assert "refs/heads/main" in publish["if"] and "push" in publish["if"]
    assert not uses("publish", "actions/checkout"), "the publish job checks out the project"
    assert not runs_project_code("publish")
    uploaded = [s["with"] for s in uses("test", "actions/upload-artifact") if s["with"]["path"] == "_build/html"]
    downloaded = uses("publish", "actions/download-artifact")
    assert len(uploaded) == 1 and len(downloaded) == 1
    assert downloaded[0]["with"]["name"] == uploaded[0]["name"]
    folder = downloaded[0]["with"]["path"]
    assert [s["with"]["path"] for s in uses("publish", "actions/upload-pages-artifact")] == [folder]
    assert uses("publish", "actions/deploy-pages")
    assert any(f"cd {folder}/_sources" in s.get("run", "") and "git push" in s["run"] for s in steps("publish"))
    assert publish["permissions"] == {"contents": "write", "pages": "write", "id-token": "write"}


def test_the_site_is_attached_to_every_run_that_built_it():
    site = next(s for s in uses("test", "actions/upload-artifact") if s["with"]["path"] == "_build/html")
    condition = site["if"].replace(" ", "")
    assert "!cancelled()" in condition, "the site of a run whose tests failed is not attached"
    assert "hashFiles('_build/html/index.html')!=''" in condition
    assert site["with"]["include-hidden-files"] is True  # the site as built, every file of it


# The inputs each action documents in its action.yml, at the major version the workflow uses.
DOCUMENTED = {
    "actions/checkout@v4": {"repository", "ref", "token", "ssh-key", "ssh-known-hosts", "ssh-strict", "ssh-user",
                            "persist-credentials", "path", "clean", "filter", "sparse-checkout",
                            "sparse-checkout-cone-mode", "fetch-depth", "fetch-tags", "show-progress", "lfs",
                            "submodules", "set-safe-directory", "github-server-url"},
    "actions/setup-python@v5": {"python-version", "python-version-file", "cache", "architecture", "check-latest",
                                "token", "cache-dependency-path", "update-environment", "allow-prereleases"},
    "actions/cache/restore@v4": {"path", "key", "restore-keys", "enableCrossOsArchive", "fail-on-cache-miss",
                                 "lookup-only"},
    "actions/cache/save@v4": {"path", "key", "upload-chunk-size", "enableCrossOsArchive"},
    "actions/upload-artifact@v4": {"name", "path", "if-no-files-found", "retention-days", "compression-level",
                                   "overwrite", "include-hidden-files"},
    "actions/download-artifact@v4": {"name", "artifact-ids", "path", "pattern", "merge-multiple", "github-token",
                                     "repository", "run-id"},
    "actions/upload-pages-artifact@v3": {"name", "path", "retention-days"},
    "actions/deploy-pages@v4": {"token", "timeout", "error_count", "reporting_interval", "artifact_name", "preview"},
}


@pytest.mark.parametrize("job", list(JOBS))
def test_every_action_is_given_only_inputs_it_documents(job):
    for step in steps(job):
        if "uses" not in step:
            continue
        assert step["uses"] in DOCUMENTED, f"{step['uses']}: its inputs are not listed in this test"
        unknown = set(step.get("with", {})) - DOCUMENTED[step["uses"]]
        assert unknown == set(), f"{job}: {step['uses']} documents no input {sorted(unknown)}"
