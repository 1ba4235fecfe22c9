"""Cadence: commitments, the day's list, triggers, the payment ladder, follow-ups, reviews.

``today(db, agent_id)`` is the day's list (``today_page`` one page of it, with counts);
``run_due(db)`` moves everything time alone changes (the worker calls it every minute);
``import_milestones`` reads a carrier's CSV.
The writes themselves live in the service layer (``frankly.cases``).
"""

from frankly.cadence._demo import load_demo_cadence
from frankly.cadence._milestones import ImportReport, import_milestones
from frankly.cadence._promises import Promise, find_promise, parse_when
from frankly.cadence._run import RunReport, headline, run_due
from frankly.cadence._today import ROW_KINDS, Row, TodayPage, today, today_page
from frankly.playbooks.cadence_settings import CadenceSettings, settings_for
from frankly.playbooks.cadence_texts import CadenceTextInvalid, texts

__all__ = [
    "ROW_KINDS",
    "CadenceSettings",
    "CadenceTextInvalid",
    "ImportReport",
    "Promise",
    "Row",
    "RunReport",
    "TodayPage",
    "find_promise",
    "headline",
    "import_milestones",
    "load_demo_cadence",
    "parse_when",
    "run_due",
    "settings_for",
    "texts",
    "today",
    "today_page",
]
