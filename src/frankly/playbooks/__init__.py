"""Playbooks: one operational map per problem kind, as data.

Each playbook (YAML, validated against ``data/playbooks/schema.json``) lists the facts to
gather, the checklist, the remedies with their conditions, the policies quoted, the cadence
of updates and the message templates per stage, language and channel. Built-ins ship in
``frankly/data/playbooks``; a business adds or overrides them from its own directories
(``--playbooks DIR`` or ``FRANKLY_PLAYBOOKS_DIRS``), and managers upload them into the
database: ``frankly.cases.playbook_library(db)`` reads those and passes their YAML texts
to ``load_library(uploads=...)``, so this package never touches the database.
"""

from frankly.playbooks._facts import Money, coerce, example
from frankly.playbooks._load import (
    ENV_DIRS,
    builtin_dir,
    get_playbook,
    load_library,
    parse_duration,
    schema,
    validate_dir,
    validate_text,
)
from frankly.playbooks._model import (
    CALL_PARTS,
    CHANNELS,
    FACT_TYPES,
    SMS_LIMIT,
    STAGE_TYPES,
    Cadence,
    CallScript,
    FactSpec,
    FollowUpDiscount,
    LadderStep,
    Library,
    MissingFacts,
    NoText,
    Playbook,
    PlaybookInvalid,
    Problem,
    Remedy,
    Stage,
    StageText,
    Step,
    UnknownPlaybook,
    UnknownStage,
)
from frankly.playbooks._templates import compile_template, references

__all__ = [
    "CALL_PARTS",
    "CHANNELS",
    "ENV_DIRS",
    "FACT_TYPES",
    "SMS_LIMIT",
    "STAGE_TYPES",
    "Cadence",
    "CallScript",
    "FactSpec",
    "FollowUpDiscount",
    "LadderStep",
    "Library",
    "MissingFacts",
    "Money",
    "NoText",
    "Playbook",
    "PlaybookInvalid",
    "Problem",
    "Remedy",
    "Stage",
    "StageText",
    "Step",
    "UnknownPlaybook",
    "UnknownStage",
    "builtin_dir",
    "coerce",
    "compile_template",
    "example",
    "get_playbook",
    "load_library",
    "parse_duration",
    "references",
    "schema",
    "validate_dir",
    "validate_text",
]
