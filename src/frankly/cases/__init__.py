"""The service layer: every write to the case register goes through these functions.

The CLI, the web app and the worker call them and nothing else writes. Each call is one
transaction: on any error nothing is written.
"""

from frankly.cases._cases import (
    OPEN_STATES,
    TRANSITIONS,
    CaseView,
    add_message,
    add_note,
    change_state,
    correct_event,
    count_cases,
    find_case_by_ref,
    get_case,
    list_cases,
    open_case,
    rebuild_case,
    record_facts,
    show_case,
    update_case,
)
from frankly.cases._people import (
    add_agent,
    add_customer,
    find_agent,
    find_customer,
    get_agent,
    get_customer,
    list_agents,
    list_customers,
)
from frankly.cases._timeline import EVENT_KINDS, record, rebuild
from frankly.cases._validate import parse_fact_pairs

__all__ = [
    "EVENT_KINDS",
    "OPEN_STATES",
    "TRANSITIONS",
    "CaseView",
    "add_agent",
    "add_customer",
    "add_message",
    "add_note",
    "change_state",
    "correct_event",
    "count_cases",
    "find_agent",
    "find_case_by_ref",
    "find_customer",
    "get_agent",
    "get_case",
    "get_customer",
    "list_agents",
    "list_cases",
    "list_customers",
    "open_case",
    "parse_fact_pairs",
    "rebuild",
    "rebuild_case",
    "record",
    "record_facts",
    "show_case",
    "update_case",
]
