"""The demo's running incident: Northwind's ordering portal is down.

It links the demo's six ``service_outage`` cases (``demo:35`` … ``demo:40``, customers in
English and Spanish) and has two published updates, the second one recent, so the status
page, the feeds and the personal notices all have something true to show.
"""

from __future__ import annotations

import datetime as dt

from frankly import cases
from frankly.incidents._incidents import (
    incident_for_case,
    open_incident,
    post_update,
)
from frankly.incidents._select import Selection
from frankly.store import Database, utcnow
from frankly.store.incident_models import Incident

DEMO_REFS = tuple(f"demo:{n}" for n in range(35, 41))
OWNER = "maria@northwind.example"

TITLE = {"en": "Ordering portal down", "es": "Portal de pedidos caído"}
IMPACT = {
    "en": "Customers cannot place or change orders in the online ordering portal.",
    "es": "Los clientes no pueden hacer ni cambiar pedidos en el portal de pedidos en línea.",
}
FIRST = {
    "en": (
        "Our online ordering portal has been down since early this morning: you cannot place "
        "or change orders online. We do not know the cause yet, and our technical team is "
        "investigating now. Meanwhile, send your orders to orders@northwind.example or call "
        "+44 20 7946 0100, and we will enter them for you the same day."
    ),
    "es": (
        "Nuestro portal de pedidos en línea no funciona desde primera hora de la mañana: no "
        "puede hacer ni cambiar pedidos en línea. Todavía no sabemos la causa y nuestro "
        "equipo técnico la está investigando ahora. Mientras tanto, envíe sus pedidos a "
        "orders@northwind.example o llame al +34 910 000 100, y los introduciremos por usted "
        "ese mismo día."
    ),
}
SECOND = {
    "en": (
        "We found the cause: a database upgrade we ran last night failed. That was our "
        "mistake. We are restoring the database from last night's copy now; no orders were "
        "lost. Until the portal is back, send your orders to orders@northwind.example or "
        "call +44 20 7946 0100, and we will enter them for you the same day."
    ),
    "es": (
        "Hemos encontrado la causa: falló una actualización de la base de datos que hicimos "
        "anoche. Fue un error nuestro. Ahora estamos restaurando la base de datos desde la "
        "copia de anoche; no se ha perdido ningún pedido. Hasta que el portal vuelva a "
        "funcionar, envíe sus pedidos a orders@northwind.example o llame al +34 910 000 100, "
        "y los introduciremos por usted ese mismo día."
    ),
}


def load_demo_incident(db: Database, *, now: dt.datetime | None = None) -> Incident | None:
    """Open the demo's running incident once (a second call returns the same one).

    Returns None when the demo's outage cases are not loaded (``frankly.demo.load_demo``
    first).
    """
    now = now or utcnow()
    found = [cases.find_case_by_ref(db, ref) for ref in DEMO_REFS]
    linked = [c for c in found if c is not None]
    if not linked:
        return None
    existing = incident_for_case(db, linked[0].id)
    if existing is not None:
        return existing
    owner = cases.find_agent(db, OWNER)
    started = min(c.known_at for c in linked)
    opened = open_incident(
        db,
        title=TITLE,
        impact=IMPACT,
        kind="service_outage",
        status="investigating",
        severity="critical",
        selection=Selection(case_ids=[c.id for c in linked], source="demo"),
        texts=FIRST,
        started_at=started,
        owner_id=owner.id if owner else None,
        author=OWNER,
        at=now - dt.timedelta(minutes=100),
    )
    result = post_update(
        db,
        opened.incident.id,
        texts=SECOND,
        status="identified",
        next_update_at=now + dt.timedelta(minutes=20),
        author=OWNER,
        at=now - dt.timedelta(minutes=10),
    )
    return result.incident
