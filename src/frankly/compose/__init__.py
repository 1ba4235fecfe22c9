"""The composer: a case's facts through its playbook, as a message a person would send.

``draft`` is pure (it reads a case and writes nothing); ``frankly.cases.save_draft`` saves
a draft as a ``Message`` with its proposed next-update ``Commitment``.
"""

from frankly.compose._draft import Draft, draft, recorded_from
from frankly.compose._schedule import WorkingHours, next_update_time
from frankly.playbooks.formatting import Formatter, When
from frankly.playbooks.render import CaseInfo, Party, Recorded, render_sample

__all__ = [
    "CaseInfo",
    "Draft",
    "Formatter",
    "Party",
    "Recorded",
    "When",
    "WorkingHours",
    "draft",
    "next_update_time",
    "recorded_from",
    "render_sample",
]
