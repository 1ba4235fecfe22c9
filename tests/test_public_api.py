"""Every package's public names: ``__all__`` exists, is sorted, has no duplicates, every
name in it resolves, and it matches the snapshot below.

The snapshot makes a change to a package's public face deliberate: an accidental one (a
name dropped while moving code, a helper leaked) fails here; an intended one is an edit of
the package's lines below. Names are separated by whitespace, in ``__all__``'s order.
"""

from __future__ import annotations

import importlib
import re
from pathlib import Path

import pytest

SRC = Path(__file__).resolve().parent.parent / "src"

SNAPSHOT = {
    "frankly": """
        Conflict Database DatabaseUnavailable FranklyError IllegalTransition InvalidInput
        NotFound __version__
    """,
    "frankly.accounts": """
        DEFAULT_TOKEN_DAYS DEMO_ADMIN_EMAIL FIRST_BACKOFF FREE_FAILURES_PER_ACCOUNT
        FREE_FAILURES_PER_ADDRESS MAX_BACKOFF MAX_TOKEN_DAYS MIN_PASSWORD_LENGTH ROLE_RANK
        SCOPES SESSION_LIFETIME Forbidden NotSignedIn SignedIn TooManyAttempts WrongCredentials
        agent_for_token authenticate check_password common_passwords create_user describe
        end_session end_sessions ensure_demo_admin has_role hash_password issue_token
        list_tokens password_problem revoke_token secret_key secret_path session_agent
        set_language set_password start_session token_allows token_grant verify_password
    """,
    "frankly.practice": """
        MEDALS PRACTICE_NAMES RATINGS REACTIONS SIGNAL_LABELS CustomerState Evidence Item
        NotYours PracticeView Progress Question Reaction Scenario Score Signal Temperament begin
        end_session get_session list_sessions load_scenarios progress rate read_turn respond
        scenario score start_session take_turn team_progress validate_paths
    """,
    "frankly.cadence": """
        ROW_KINDS CadenceSettings CadenceTextInvalid ImportReport Promise Row RunReport TodayPage
        find_promise headline import_milestones load_demo_cadence parse_when run_due
        settings_for texts today today_page
    """,
    "frankly.cases": """
        ACTIONS EVENT_KINDS OPEN_STATES TRANSITIONS AlreadySent Approval Blocked CaseView
        CheckerUnavailable MilestoneResult NotAllowed Received Remedies TrailProblem TrailReport
        Verdict accept_inbound add_agent add_customer add_message add_note approve
        approve_message available_remedies can cancel_commitment change_state check_bulk
        check_figures check_outgoing checked_figures choose_option complete_review
        compose_and_approve correct_event count_cases draft_step due_steps find_agent
        find_case_by_ref find_customer fire_trigger get_agent get_case get_customer
        get_inbound_review get_message insight_figures issue_code list_agents list_cases list_codes
        list_customers list_inbound_reviews list_messages list_milestones list_remedies
        list_reviews list_steps log_call mark_attempt_failed mark_sent offer_for_message
        offer_options open_case open_review override_check parse_fact_pairs promise_update
        rebuild rebuild_case receive_inbound record record_cadence_failure record_chase
        check_playbook playbook_changes playbook_library playbook_source save_playbook
        uploads_version
        record_check record_facts record_milestone redeem_code reject_inbound require
        retry_message save_draft schedule_step set_contacts settle_overdue show_case text_sha256
        update_case verify_trail week_of
        Activity CustomerHistory activity_since case_kinds customer_history customers_by_id
        promise_stats
    """,
    "frankly.check": """
        CATEGORIES FAULTS LEVELS RULES_ENV RULE_KINDS STAGES Example Finding Fix Report Rule
        RuleError RuleSet accelerated check clear_cache default_rules load_rules
    """,
    "frankly.cli": """
        app main
    """,
    "frankly.compose": """
        CaseInfo Draft Formatter Party Recorded When WorkingHours draft next_update_time
        recorded_from render_sample
    """,
    "frankly.delivery": """
        Abandoned ClaimLost DeliveryFailure InboundMail Job MailFolderSender PermanentFailure
        RecordedSender RetryPolicy Sender SmtpSender SmtpSettings TemporaryFailure TwoPhaseSMTP
        TwoPhaseSMTP_SSL Unconfirmed Worker WorkerStats build_email claim default_senders
        mail_folder outbox_counts parse_mail read_mail_file send_now start_background_worker
        strip_reply tagged_subject to_html
    """,
    "frankly.incidents": """
        INCIDENT_STATUSES OPEN_STATUSES Incident IncidentClosed IncidentUpdate IncidentView
        LinkResult NobodySelected Selection UpdateRefused UpdateResult Words WordsInvalid
        add_affected due_rows get_incident incident_for_case languages list_incidents
        load_demo_incident open_incident parse_csv post_update public_incident public_incidents
        public_url resolve_incident send_follow_up show_incident words write_review
        display_zone feed_updated
    """,
    "frankly.playbooks": """
        CALL_PARTS CHANNELS ENV_DIRS FACT_TYPES SMS_LIMIT STAGE_TYPES Cadence CallScript
        FactSpec FollowUpDiscount LadderStep Library MissingFacts Money NoText Playbook
        PlaybookInvalid Problem Remedy Stage StageText Step UnknownPlaybook UnknownStage
        builtin_dir coerce example get_playbook load_library parse_duration schema validate_dir
        validate_text compile_template references
    """,
    "frankly.store": """
        CASE_STATES CHANNELS COMMITMENT_STATUSES DIRECTIONS FAULTS LANGUAGES MESSAGE_STATUSES
        ROLES SEVERITIES TIERS Agent Base Case Commitment Customer Database Event Message utcnow
    """,
    "frankly.text": """
        Question clean_email_body detect find_questions mask split profile
    """,
    "frankly.triage": """
        EMOTIONS ISSUE_KINDS LEVELS RISKS Advice Anger Complaint Emotion IssueKind LanguageGuess
        Notice Risk TriageDataError TriageReport Trigger load supported_languages triage
    """,
    "frankly.web": """
        create_app ensure_demo_admin
    """,
}


def _packages() -> list[str]:
    return sorted(
        ".".join(init.parent.relative_to(SRC).parts)
        for init in (SRC / "frankly").rglob("__init__.py")
    )


def _order(name: str) -> tuple[int, list[str | int]]:
    """The order ruff's RUF022 keeps ``__all__`` in: CONSTANTS, then Classes, then the
    rest, each in natural order ("x2" before "x10")."""
    if name.isupper() and len(name) > 1:
        group = 0
    elif name[:1].isupper():
        group = 1
    else:
        group = 2
    parts = [int(p) if p.isdigit() else p for p in re.split(r"(\d+)", name) if p]
    return group, parts


def test_every_package_is_in_the_snapshot() -> None:
    assert _packages() == sorted(SNAPSHOT), "add the new package's __all__ to SNAPSHOT"


@pytest.mark.parametrize("package", _packages())
def test_the_package_publishes_what_the_snapshot_says(package: str) -> None:
    module = importlib.import_module(package)
    names = getattr(module, "__all__", None)
    assert isinstance(names, list | tuple), f"{package} has no __all__"
    duplicates = sorted({n for n in names if names.count(n) > 1})
    assert not duplicates, f"{package}.__all__ lists {duplicates} twice"
    assert list(names) == sorted(names, key=_order), f"{package}.__all__ is not sorted"
    missing = [n for n in names if not hasattr(module, n)]
    assert not missing, f"{package}.__all__ names {missing}, which {package} does not define"
    expected = SNAPSHOT[package].split()
    added = [n for n in names if n not in expected]
    dropped = [n for n in expected if n not in names]
    assert not added and not dropped, (
        f"{package}.__all__ changed: added {added}, dropped {dropped}; "
        "if intended, edit its lines in SNAPSHOT (tests/test_public_api.py)"
    )
