"""The demo business: Northwind Supplies, a wholesaler with customers in English and Spanish.

``load_demo(db)`` writes it through the service layer, so the demo's timelines are real
paper trails. Loading twice adds nothing: agents and customers are found by email, cases
by their ``demo:`` reference.

The demo is dated relative to the day it is loaded, so it never drifts out of date: a
date fact is ``Day(n)`` (n days from that day), a moment ``Ago(hours)``, and texts say
``{day:n}`` (the date written out in the customer's language) or ``{month:n}`` (the name
of the month n months away).
"""

from __future__ import annotations

import datetime as dt
import string
import zoneinfo
from dataclasses import dataclass, field
from typing import Any

from babel.dates import format_date

from frankly import cases
from frankly.store import Database, utcnow

AGENTS: list[dict[str, Any]] = [
    {
        "name": "Maria Lopez",
        "email": "maria@northwind.example",
        "role": "manager",
        "language": "es",
        "timezone": "Europe/Madrid",
        "phone": "+34 910 000 101",
    },
    {
        "name": "James Carter",
        "email": "james@northwind.example",
        "role": "agent",
        "language": "en",
        "timezone": "Europe/London",
        "phone": "+44 20 7946 0102",
    },
    {
        "name": "Lucía Fernández",
        "email": "lucia@northwind.example",
        "role": "agent",
        "language": "es",
        "timezone": "Europe/Madrid",
        "phone": "+34 910 000 103",
    },
    {
        "name": "Priya Shah",
        "email": "priya@northwind.example",
        "role": "agent",
        "language": "en",
        "timezone": "Europe/London",
        "phone": "+44 20 7946 0104",
    },
]

# name, company, email, phone, language, tier, timezone
CUSTOMERS: list[tuple[str, str, str, str, str, str, str]] = [
    (
        "Sarah Mitchell",
        "Acme Retail Ltd",
        "sarah@acme-retail.example",
        "+44 20 7946 0811",
        "en",
        "key",
        "Europe/London",
    ),
    (
        "Tom Becker",
        "Brightside Cafés",
        "tom@brightside.example",
        "+44 161 496 0220",
        "en",
        "standard",
        "Europe/London",
    ),
    (
        "Olivia Grant",
        "Grant & Daughters",
        "olivia@grantdaughters.example",
        "+1 212 555 0143",
        "en",
        "key",
        "America/New_York",
    ),
    (
        "Daniel Okafor",
        "Okafor Builders",
        "daniel@okafor.example",
        "+44 121 496 0345",
        "en",
        "standard",
        "Europe/London",
    ),
    (
        "Emma Wilson",
        "Wilson Florists",
        "emma@wilsonflorists.example",
        "+1 617 555 0162",
        "en",
        "standard",
        "America/New_York",
    ),
    (
        "Liam Murphy",
        "Harbour Hotels",
        "liam@harbourhotels.example",
        "+353 1 555 0177",
        "en",
        "key",
        "Europe/Dublin",
    ),
    (
        "Grace Chen",
        "Chen Dental Clinics",
        "grace@chendental.example",
        "+1 415 555 0188",
        "en",
        "standard",
        "America/Los_Angeles",
    ),
    (
        "Noah Patel",
        "Patel Pharmacy Group",
        "noah@patelpharmacy.example",
        "+44 116 496 0199",
        "en",
        "key",
        "Europe/London",
    ),
    (
        "Ava Robinson",
        "Robinson Print Shop",
        "ava@robinsonprint.example",
        "+1 312 555 0121",
        "en",
        "standard",
        "America/Chicago",
    ),
    (
        "Ethan Hughes",
        "Hughes Bikes",
        "ethan@hughesbikes.example",
        "+44 29 2018 0133",
        "en",
        "standard",
        "Europe/London",
    ),
    (
        "Mia Thompson",
        "Thompson Events",
        "mia@thompsonevents.example",
        "+1 646 555 0155",
        "en",
        "standard",
        "America/New_York",
    ),
    (
        "Jack Evans",
        "Evans Garden Centre",
        "jack@evansgarden.example",
        "+44 1632 960166",
        "en",
        "standard",
        "Europe/London",
    ),
    (
        "Carmen Ruiz",
        "Distribuciones Ruiz S.L.",
        "carmen@druiz.example",
        "+34 915 550 201",
        "es",
        "key",
        "Europe/Madrid",
    ),
    (
        "Javier Morales",
        "Hostal La Brisa",
        "javier@labrisa.example",
        "+34 952 550 212",
        "es",
        "standard",
        "Europe/Madrid",
    ),
    (
        "Lucía Gómez",
        "Farmacias Gómez",
        "lucia@farmaciasgomez.example",
        "+34 963 550 223",
        "es",
        "key",
        "Europe/Madrid",
    ),
    (
        "Alejandro Torres",
        "Torres Construcciones",
        "alejandro@torrescons.example",
        "+52 55 5550 0234",
        "es",
        "standard",
        "America/Mexico_City",
    ),
    (
        "Isabel Navarro",
        "Navarro Diseño",
        "isabel@navarrodiseno.example",
        "+34 934 550 245",
        "es",
        "standard",
        "Europe/Madrid",
    ),
    (
        "Diego Herrera",
        "Cafetería El Molino",
        "diego@elmolino.example",
        "+52 33 5550 0256",
        "es",
        "standard",
        "America/Mexico_City",
    ),
    (
        "Sofía Castro",
        "Clínica Dental Castro",
        "sofia@clinicacastro.example",
        "+34 944 550 267",
        "es",
        "standard",
        "Europe/Madrid",
    ),
    (
        "Pablo Jiménez",
        "Jiménez Bicicletas",
        "pablo@jimenezbici.example",
        "+34 976 550 278",
        "es",
        "standard",
        "Europe/Madrid",
    ),
    (
        "Valentina Rojas",
        "Hoteles Rojas",
        "valentina@hotelesrojas.example",
        "+57 1 555 0289",
        "es",
        "key",
        "America/Bogota",
    ),
    (
        "Andrés Vega",
        "Imprenta Vega",
        "andres@imprentavega.example",
        "+34 954 550 290",
        "es",
        "standard",
        "Europe/Madrid",
    ),
    (
        "Elena Ortiz",
        "Floristería Ortiz",
        "elena@floristeriaortiz.example",
        "+34 971 550 301",
        "es",
        "standard",
        "Europe/Madrid",
    ),
    (
        "Martín Silva",
        "Eventos Silva",
        "martin@eventossilva.example",
        "+54 11 5550 0312",
        "es",
        "standard",
        "America/Argentina/Buenos_Aires",
    ),
]


_CUSTOMER = {c[2]: c for c in CUSTOMERS}


@dataclass(frozen=True)
class Day:
    """A date ``days`` after the day the demo is loaded (before it when negative)."""

    days: int


@dataclass(frozen=True)
class Ago:
    """A moment ``hours`` before the demo is loaded."""

    hours: float


@dataclass
class Step:
    """One thing that happened on a demo case, ``hours`` before the demo was loaded."""

    hours: float
    kind: str  # "state", "note", "in", "out", "fact"
    value: Any = None
    subject: str | None = None


@dataclass
class DemoCase:
    ref: str
    customer: str  # email
    owner: str  # email
    kind: str
    title: str
    severity: str
    fault: str
    known_hours: float
    facts: dict[str, Any]
    steps: list[Step] = field(default_factory=list)

    def facts_at(self, now: dt.datetime) -> dict[str, Any]:
        """The facts as the case records them when the demo is loaded at ``now``."""
        return {k: _resolve(v, now, self.language, self.timezone) for k, v in self.facts.items()}

    def title_at(self, now: dt.datetime) -> str:
        return _text(self.title, now, self.language, self.timezone)

    @property
    def language(self) -> str:
        return _CUSTOMER[self.customer][4]

    @property
    def timezone(self) -> str:
        return _CUSTOMER[self.customer][6]


def _local_day(now: dt.datetime, tz: str) -> dt.date:
    return now.astimezone(zoneinfo.ZoneInfo(tz)).date()


def _resolve(value: Any, now: dt.datetime, lang: str, tz: str) -> Any:
    if isinstance(value, Day):
        return (_local_day(now, tz) + dt.timedelta(days=value.days)).isoformat()
    if isinstance(value, Ago):
        return (now - dt.timedelta(hours=value.hours)).replace(microsecond=0).isoformat()
    if isinstance(value, str):
        return _text(value, now, lang, tz)
    return value


class _Dates(string.Formatter):
    """Fills ``{day:n}`` and ``{month:n}`` relative to the day the demo is loaded."""

    def __init__(self, today: dt.date, lang: str) -> None:
        self.today, self.lang = today, lang

    def get_value(self, key: Any, args: Any, kwargs: Any) -> Any:
        return key

    def format_field(self, value: Any, format_spec: str) -> str:
        offset = int(format_spec or 0)
        if value == "day":
            day = self.today + dt.timedelta(days=offset)
            pattern = "d MMMM" if self.lang == "en" else "d 'de' MMMM"
            if day.year != self.today.year:
                pattern += " y" if self.lang == "en" else " 'de' y"
            return format_date(day, pattern, locale=self.lang)
        if value == "month":
            index = self.today.year * 12 + self.today.month - 1 + offset
            first = dt.date(index // 12, index % 12 + 1, 1)
            return format_date(first, "LLLL", locale=self.lang)
        raise ValueError(f"unknown demo placeholder {value!r}")  # pragma: no cover


def _text(value: str, now: dt.datetime, lang: str, tz: str) -> str:
    if "{" not in value:
        return value
    return _Dates(_local_day(now, tz), lang).format(value)


def _late(
    ref: str,
    customer: str,
    owner: str,
    title: str,
    facts: dict[str, Any],
    known: float,
    steps: list[Step],
    severity: str = "high",
    fault: str = "ours",
) -> DemoCase:
    return DemoCase(
        ref, customer, owner, "late_delivery", title, severity, fault, known, facts, steps
    )


CASES: list[DemoCase] = [
    # --- late deliveries -------------------------------------------------------------
    _late(
        "demo:01",
        "sarah@acme-retail.example",
        "james@northwind.example",
        "Order 4471 held at customs",
        {
            "order_number": "4471",
            "product": "shelving units",
            "quantity": 100,
            "promised_date": Day(-3),
            "new_eta": Day(4),
            "cause": "the export documents we prepared were missing the commodity code",
            "carrier": "TransEuropa Freight",
            "milestone": "at_customs",
        },
        60,
        [
            Step(
                58,
                "out",
                "Your order 4471 will not arrive on {day:-3} as we promised. "
                "The goods are held at customs because the export documents we prepared were "
                "missing a commodity code. That was our mistake. We sent corrected documents "
                "this morning. I will write again by Tuesday 17:00 with news from customs. "
                "You can reach me directly on +44 20 7946 0102.\n\nJames Carter",
                "Order 4471: held at customs, new date to follow",
            ),
            Step(57, "state", "notified"),
            Step(
                30,
                "in",
                "Hi James, thanks for telling us. Can you tell me when the shelving "
                "will actually arrive? We open the new store on {day:8} and I need to know "
                "whether to rent temporary racks.",
                "Re: Order 4471",
            ),
            Step(6, "fact", {"milestone": "documents_checked"}),
        ],
    ),
    _late(
        "demo:02",
        "carmen@druiz.example",
        "lucia@northwind.example",
        "Pedido 8812 retrasado: parada en la fábrica del proveedor",
        {
            "order_number": "8812",
            "product": "cajas de cartón reforzado",
            "quantity": 5000,
            "promised_date": Day(2),
            "new_eta": Day(9),
            "cause": "la fábrica de nuestro proveedor paró dos días por una avería",
            "carrier": "Transportes Ibéricos",
        },
        5,
        [],
        severity="high",
    ),
    _late(
        "demo:03",
        "tom@brightside.example",
        "priya@northwind.example",
        "Coffee machines for order 5120 delayed one week",
        {
            "order_number": "5120",
            "product": "espresso machines",
            "quantity": 6,
            "promised_date": Day(1),
            "new_eta": Day(8),
            "cause": "we booked the wrong collection date with the carrier",
            "carrier": "QuickShip",
        },
        30,
        [
            Step(
                29,
                "in",
                "Where is my order 5120?? It was due today and nobody has told me "
                "anything. This is the second time this month. I want to know when it will "
                "arrive and who is paying for the coffee we cannot sell.",
                "Order 5120",
            )
        ],
        severity="medium",
    ),
    _late(
        "demo:04",
        "javier@labrisa.example",
        "lucia@northwind.example",
        "Ropa de cama del pedido 7734 en reparto",
        {
            "order_number": "7734",
            "product": "juegos de sábanas",
            "quantity": 80,
            "promised_date": Day(-5),
            "new_eta": Day(0),
            "cause": "el camión se averió en la ruta de Málaga",
            "carrier": "Transportes Ibéricos",
            "milestone": "out_for_delivery",
        },
        140,
        [
            Step(
                138,
                "out",
                "Su pedido 7734 no llegará el {day:-5} como le prometimos. "
                "El camión que lo llevaba se averió en la ruta de Málaga. Debimos tener un plan "
                "de reserva y no lo tuvimos. Le escribiré de nuevo el jueves antes de las 17:00 "
                "con la nueva fecha. Puede llamarme directamente al +34 910 000 103."
                "\n\nLucía Fernández",
                "Pedido 7734: nueva fecha de entrega",
            ),
            Step(137, "state", "notified"),
            Step(
                90,
                "out",
                "El pedido 7734 ya está en nuestro almacén y saldrá mañana. "
                "Le escribiré el lunes antes de las 12:00 con el número de seguimiento.",
                "Pedido 7734: en nuestro almacén",
            ),
            Step(40, "state", "resolving"),
            Step(3, "fact", {"milestone": "out_for_delivery"}),
        ],
        severity="medium",
    ),
    _late(
        "demo:05",
        "olivia@grantdaughters.example",
        "james@northwind.example",
        "Order 6090 delivered eight days late",
        {
            "order_number": "6090",
            "product": "display cabinets",
            "quantity": 12,
            "promised_date": Day(-21),
            "new_eta": Day(-13),
            "cause": "we sold stock that had already been promised to another customer",
        },
        500,
        [
            Step(
                498,
                "out",
                "Your order 6090 will not arrive on {day:-21}. We sold stock "
                "that was already promised to you; that was our mistake. The cabinets will "
                "arrive on {day:-13} with delivery at our cost. I will write again on "
                "Friday by noon. Call me on +44 20 7946 0102.",
                "Order 6090: new date",
            ),
            Step(497, "state", "notified"),
            Step(330, "state", "resolving"),
            Step(300, "state", "resolved"),
        ],
    ),
    _late(
        "demo:06",
        "alejandro@torrescons.example",
        "lucia@northwind.example",
        "Herramientas del pedido 9015 sin noticias del transportista",
        {
            "order_number": "9015",
            "product": "taladros percutores",
            "quantity": 40,
            "promised_date": Day(-2),
            "new_eta": Day(3),
            "carrier": "Envíos Azteca",
            "cause": "el envío se quedó en el centro de distribución de Monterrey",
        },
        50,
        [
            Step(
                49,
                "out",
                "Su pedido 9015 no llegará el {day:-2}. El envío sigue en el "
                "centro de distribución de Monterrey. Le escribiré de nuevo el domingo a las "
                "10:00.",
                "Pedido 9015: retraso",
            ),
            Step(48, "state", "notified"),
        ],
        severity="medium",
        fault="partner",
    ),
    _late(
        "demo:07",
        "emma@wilsonflorists.example",
        "priya@northwind.example",
        "Vases for order 3302: partial delivery",
        {
            "order_number": "3302",
            "product": "glass vases",
            "quantity": 300,
            "promised_date": Day(-1),
            "new_eta": Day(6),
            "cause": "we counted our stock wrongly",
        },
        20,
        [],
        severity="low",
    ),
    _late(
        "demo:08",
        "martin@eventossilva.example",
        "lucia@northwind.example",
        "Pedido 4420 cancelado por el cliente",
        {
            "order_number": "4420",
            "product": "sillas plegables",
            "quantity": 200,
            "promised_date": Day(-13),
            "new_eta": Day(7),
            "cause": "no reservamos a tiempo el transporte",
        },
        400,
        [Step(398, "state", "cancelled")],
        severity="low",
    ),
    # --- wrong item --------------------------------------------------------------------
    DemoCase(
        "demo:09",
        "daniel@okafor.example",
        "james@northwind.example",
        "wrong_item",
        "Order 2218: 10 mm screws sent instead of 8 mm",
        "medium",
        "ours",
        26,
        {
            "order_number": "2218",
            "item_ordered": "8 mm wood screws (5,000)",
            "item_sent": "10 mm wood screws (5,000)",
            "cause": "a picking error in our warehouse",
        },
        [
            Step(
                25,
                "in",
                "You sent the wrong screws again. Third time this year. If this "
                "happens once more we will move to another supplier. Can you get the right "
                "ones here by Friday?",
                "Wrong screws AGAIN",
            )
        ],
    ),
    DemoCase(
        "demo:10",
        "sofia@clinicacastro.example",
        "lucia@northwind.example",
        "wrong_item",
        "Pedido 6641: guantes talla M en lugar de S",
        "low",
        "ours",
        75,
        {
            "order_number": "6641",
            "item_ordered": "guantes de nitrilo talla S (20 cajas)",
            "item_sent": "guantes de nitrilo talla M (20 cajas)",
            "cause": "un error de etiquetado en nuestro almacén",
        },
        [
            Step(
                74,
                "out",
                "En el pedido 6641 le enviamos guantes de talla M en lugar de S. "
                "Fue un error nuestro de etiquetado. Mañana le llegan las 20 cajas de talla S "
                "y nuestro mensajero recoge las otras sin coste. Le escribiré el viernes a las "
                "10:00 para confirmar la entrega. Mi teléfono directo es +34 910 000 103.",
                "Pedido 6641: le enviamos la talla correcta",
            ),
            Step(73, "state", "notified"),
            Step(40, "state", "resolving"),
            Step(20, "state", "resolved"),
        ],
    ),
    DemoCase(
        "demo:11",
        "mia@thompsonevents.example",
        "priya@northwind.example",
        "wrong_item",
        "Order 7020: white tablecloths instead of ivory",
        "medium",
        "ours",
        300,
        {
            "order_number": "7020",
            "item_ordered": "ivory tablecloths (60)",
            "item_sent": "white tablecloths (60)",
            "cause": "a wrong product code in our catalogue",
        },
        [
            Step(
                298,
                "out",
                "We sent white tablecloths instead of ivory for order 7020. Our "
                "catalogue showed the wrong product code; that was our mistake. The ivory "
                "ones arrive tomorrow by 10:00 and you can keep the white ones at no cost. "
                "I will call you tomorrow at 11:00. Direct line: +44 20 7946 0104.",
                "Order 7020: the right tablecloths tomorrow",
            ),
            Step(297, "state", "notified"),
            Step(270, "state", "resolving"),
            Step(250, "state", "resolved"),
            Step(80, "state", "followed_up"),
        ],
    ),
    DemoCase(
        "demo:12",
        "elena@floristeriaortiz.example",
        "lucia@northwind.example",
        "wrong_item",
        "Pedido 5530: cintas rojas en vez de verdes",
        "low",
        "ours",
        8,
        {
            "order_number": "5530",
            "item_ordered": "cinta verde 25 mm (50 rollos)",
            "item_sent": "cinta roja 25 mm (50 rollos)",
            "cause": "un error al preparar el pedido",
        },
        [],
    ),
    # --- defective product -------------------------------------------------------------
    DemoCase(
        "demo:13",
        "noah@patelpharmacy.example",
        "james@northwind.example",
        "defective_product",
        "Batch B-2291 of thermometers reads 2 °C high",
        "critical",
        "partner",
        10,
        {
            "order_number": "8830",
            "product": "digital thermometers",
            "batch": "B-2291",
            "defect": "they read about 2 °C higher than the true temperature",
            "units_affected": 450,
        },
        [
            Step(
                9,
                "in",
                "Our pharmacists say the thermometers from your last delivery read "
                "far too high. Is this the whole batch? What should we tell customers who "
                "bought one? We need an answer today.",
                "Thermometers faulty",
            )
        ],
    ),
    DemoCase(
        "demo:14",
        "lucia@farmaciasgomez.example",
        "lucia@northwind.example",
        "defective_product",
        "Lote B-2291 de termómetros defectuoso",
        "critical",
        "partner",
        10,
        {
            "order_number": "8841",
            "product": "termómetros digitales",
            "batch": "B-2291",
            "defect": "marcan unos 2 °C por encima de la temperatura real",
            "units_affected": 300,
        },
        [],
    ),
    DemoCase(
        "demo:15",
        "ethan@hughesbikes.example",
        "priya@northwind.example",
        "defective_product",
        "Brake cables snapping under load (order 3390)",
        "high",
        "partner",
        100,
        {
            "order_number": "3390",
            "product": "brake cables",
            "batch": "BC-77",
            "defect": "the cables fray and snap under normal load",
            "units_affected": 120,
        },
        [
            Step(
                98,
                "out",
                "Some brake cables from order 3390 (batch BC-77) fray and snap "
                "under normal load. Please stop fitting them. Our supplier changed the steel "
                "they use and our checks did not catch it; that is our responsibility. We will "
                "replace all 120 at our cost, or refund them, whichever you prefer. I will "
                "write again by Wednesday 12:00. Call me on +44 20 7946 0104.",
                "Stop fitting brake cables from batch BC-77",
            ),
            Step(97, "state", "notified"),
            Step(
                60,
                "in",
                "We'll take the replacement. Can they come before Saturday? That's "
                "our busiest day.",
                "Re: brake cables",
            ),
            Step(55, "state", "resolving"),
        ],
    ),
    DemoCase(
        "demo:16",
        "pablo@jimenezbici.example",
        "lucia@northwind.example",
        "defective_product",
        "Cascos con cierre defectuoso (pedido 2875)",
        "high",
        "partner",
        36,
        {
            "order_number": "2875",
            "product": "cascos de ciclismo",
            "batch": "H-410",
            "defect": "el cierre se abre con un tirón suave",
            "units_affected": 35,
        },
        [
            Step(
                35,
                "in",
                "Los cascos que nos mandaron son una porquería, el cierre se abre "
                "solo. Es una vergüenza. Quiero saber qué van a hacer y cuándo. Si no me "
                "responden hoy pondré una reclamación en consumo y lo contaré en redes.",
                "Cascos defectuosos",
            )
        ],
    ),
    # --- billing errors ----------------------------------------------------------------
    DemoCase(
        "demo:17",
        "liam@harbourhotels.example",
        "james@northwind.example",
        "billing_error",
        "Invoice INV-20931 charged twice",
        "high",
        "ours",
        28,
        {
            "invoice_number": "INV-20931",
            "error_type": "double_charge",
            "amount_charged": "4860.00",
            "amount_correct": "2430.00",
            "refund_amount": "2430.00",
            "currency": "EUR",
            "refund_date": Day(3),
            "cause": "our billing run processed the same batch of cards twice",
        },
        [
            Step(
                27,
                "in",
                "We've been charged twice for INV-20931. That's €2,430 we didn't "
                "owe. When will it be refunded, and will this happen again next month?",
                "Double charge",
            ),
            Step(
                26,
                "out",
                "You were charged twice for invoice INV-20931: €4,860 instead of "
                "€2,430. Our billing run processed the same batch of cards twice; that was our "
                "mistake. We refunded €2,430 this morning and it will reach your account by "
                "{day:3}. We have stopped the run and added a check so it cannot happen "
                "next month. I will write again on Wednesday by 12:00 to confirm the refund "
                "has arrived. Call me on +44 20 7946 0102.",
                "INV-20931: refund on its way",
            ),
            Step(25, "state", "notified"),
            Step(24, "state", "resolving"),
        ],
    ),
    DemoCase(
        "demo:18",
        "valentina@hotelesrojas.example",
        "lucia@northwind.example",
        "billing_error",
        "Factura FAC-7781 cobrada dos veces",
        "high",
        "ours",
        28,
        {
            "invoice_number": "FAC-7781",
            "error_type": "double_charge",
            "amount_charged": "3120.00",
            "amount_correct": "1560.00",
            "refund_amount": "1560.00",
            "currency": "EUR",
            "refund_date": Day(3),
            "cause": "nuestro proceso de cobro procesó dos veces el mismo lote de tarjetas",
        },
        [],
    ),
    DemoCase(
        "demo:19",
        "grace@chendental.example",
        "priya@northwind.example",
        "billing_error",
        "Invoice INV-20876 used last year's prices",
        "medium",
        "ours",
        200,
        {
            "invoice_number": "INV-20876",
            "error_type": "over_charge",
            "amount_charged": "1380.00",
            "amount_correct": "1242.00",
            "refund_amount": "138.00",
            "currency": "USD",
            "refund_date": Day(-7),
            "cause": "our system used last year's price list",
        },
        [
            Step(
                198,
                "out",
                "Invoice INV-20876 charged you $1,380 instead of $1,242. Our "
                "system used last year's price list; that was our mistake. We refunded the "
                "$138 difference today; it reaches your card by {day:-7}. I will write "
                "again on {day:-6} by noon to check it arrived. Call me on "
                "+44 20 7946 0104.",
                "INV-20876: refund of $138",
            ),
            Step(197, "state", "notified"),
            Step(180, "state", "resolving"),
            Step(170, "state", "resolved"),
            Step(2, "state", "followed_up"),
        ],
    ),
    DemoCase(
        "demo:20",
        "andres@imprentavega.example",
        "lucia@northwind.example",
        "billing_error",
        "Factura FAC-7702 con IVA duplicado",
        "medium",
        "ours",
        4,
        {
            "invoice_number": "FAC-7702",
            "error_type": "over_charge",
            "amount_charged": "968.00",
            "amount_correct": "800.00",
            "refund_amount": "168.00",
            "currency": "EUR",
            "cause": "aplicamos el IVA dos veces",
        },
        [],
    ),
    DemoCase(
        "demo:21",
        "ava@robinsonprint.example",
        "priya@northwind.example",
        "billing_error",
        "Invoice INV-20950: delivery fee charged on a free-delivery order",
        "low",
        "ours",
        3,
        {
            "invoice_number": "INV-20950",
            "error_type": "over_charge",
            "amount_charged": "545.00",
            "amount_correct": "500.00",
            "refund_amount": "45.00",
            "currency": "USD",
            "cause": "our checkout did not apply the free-delivery offer",
        },
        [],
    ),
    # --- overdue payments (the customer's side) ------------------------------------------
    DemoCase(
        "demo:22",
        "jack@evansgarden.example",
        "priya@northwind.example",
        "overdue_payment",
        "Invoice INV-20612 unpaid, 9 days overdue",
        "medium",
        "customer",
        216,
        {
            "invoice_number": "INV-20612",
            "amount": "1875.50",
            "currency": "GBP",
            "due_date": Day(-9),
            "pay_link": "https://pay.northwind.example/INV-20612",
        },
        [
            Step(
                215,
                "out",
                "A reminder that invoice INV-20612 for £1,875.50 was due on "
                "{day:-9}. You can pay it here: https://pay.northwind.example/INV-20612. "
                "Our payment terms ask us to remind you on the due date. If something is "
                "wrong with the invoice, call me on +44 20 7946 0104.",
                "Invoice INV-20612 due today",
            ),
            Step(214, "state", "notified"),
        ],
    ),
    DemoCase(
        "demo:23",
        "diego@elmolino.example",
        "lucia@northwind.example",
        "overdue_payment",
        "Factura FAC-7590 vencida hace 16 días",
        "high",
        "customer",
        384,
        {
            "invoice_number": "FAC-7590",
            "amount": "12400.00",
            "currency": "MXN",
            "due_date": Day(-16),
            "pay_link": "https://pay.northwind.example/FAC-7590",
        },
        [
            Step(
                383,
                "out",
                "Le recordamos que la factura FAC-7590 de 12.400,00 MXN vence hoy, "
                "{day:-16}. Puede pagarla aquí: https://pay.northwind.example/FAC-7590. "
                "Si hay algún problema con la factura, llámeme al +34 910 000 103.",
                "Factura FAC-7590: vence hoy",
            ),
            Step(382, "state", "notified"),
            Step(
                215,
                "out",
                "La factura FAC-7590 de 12.400,00 MXN lleva siete días vencida. "
                "Nuestras condiciones de pago nos obligan a enviarle este recordatorio. "
                "Puede pagarla aquí: https://pay.northwind.example/FAC-7590.",
                "Factura FAC-7590: siete días vencida",
            ),
        ],
    ),
    DemoCase(
        "demo:24",
        "isabel@navarrodiseno.example",
        "lucia@northwind.example",
        "overdue_payment",
        "Factura FAC-7655 vence dentro de 3 días",
        "low",
        "customer",
        1,
        {
            "invoice_number": "FAC-7655",
            "amount": "2350.00",
            "currency": "EUR",
            "due_date": Day(3),
            "pay_link": "https://pay.northwind.example/FAC-7655",
        },
        [],
    ),
    DemoCase(
        "demo:25",
        "ethan@hughesbikes.example",
        "priya@northwind.example",
        "overdue_payment",
        "Invoice INV-20555 paid after the second reminder",
        "low",
        "customer",
        600,
        {
            "invoice_number": "INV-20555",
            "amount": "640.00",
            "currency": "GBP",
            "due_date": Day(-24),
            "pay_link": "https://pay.northwind.example/INV-20555",
        },
        [
            Step(
                599,
                "out",
                "A reminder that invoice INV-20555 for £640.00 is due today. "
                "Pay here: https://pay.northwind.example/INV-20555.",
                "Invoice INV-20555 due today",
            ),
            Step(598, "state", "notified"),
            Step(430, "state", "resolving"),
            Step(420, "state", "resolved"),
            Step(250, "state", "reviewed"),
        ],
    ),
    # --- refused returns ---------------------------------------------------------------
    DemoCase(
        "demo:26",
        "mia@thompsonevents.example",
        "priya@northwind.example",
        "return_refused",
        "Return of 40 used chair covers refused",
        "medium",
        "customer",
        12,
        {
            "order_number": "6977",
            "product": "chair covers",
            "return_reason": "no longer needed",
            "purchase_date": Day(-82),
            "policy_clause": "returns within 30 days, unused",
        },
        [
            Step(
                11,
                "in",
                "Why can't I return the chair covers? I've been a customer for five "
                "years. Frankly this is ridiculous and I'm going to leave a review.",
                "Return refused?",
            )
        ],
    ),
    DemoCase(
        "demo:27",
        "javier@labrisa.example",
        "lucia@northwind.example",
        "return_refused",
        "Devolución de toallas lavadas rechazada",
        "low",
        "customer",
        90,
        {
            "order_number": "7102",
            "product": "toallas de baño",
            "return_reason": "color distinto",
            "purchase_date": Day(-95),
            "policy_clause": "devoluciones en 30 días, sin usar",
        },
        [
            Step(
                88,
                "out",
                "No podemos aceptar la devolución de las toallas del pedido 7102: "
                "nuestra política de devoluciones solo admite artículos sin usar en los 30 días "
                "siguientes a la compra, y estas se lavaron. Sí podemos ofrecerle un 15 % de "
                "descuento en su próximo pedido de toallas. Dígame si le interesa. Puede "
                "llamarme al +34 910 000 103.",
                "Su devolución del pedido 7102",
            ),
            Step(87, "state", "notified"),
            Step(50, "state", "resolved"),
        ],
    ),
    DemoCase(
        "demo:28",
        "grace@chendental.example",
        "priya@northwind.example",
        "return_refused",
        "Opened sterilisation pouches cannot be returned",
        "low",
        "customer",
        6,
        {
            "order_number": "8012",
            "product": "sterilisation pouches",
            "return_reason": "ordered too many",
            "purchase_date": Day(-13),
            "policy_clause": "medical consumables cannot be returned once opened",
        },
        [],
    ),
    # --- poor results ------------------------------------------------------------------
    DemoCase(
        "demo:29",
        "olivia@grantdaughters.example",
        "james@northwind.example",
        "poor_results",
        "Autumn catalogue campaign: 1.1% response against 3% target",
        "high",
        "ours",
        48,
        {
            "campaign": "autumn catalogue mailing",
            "metric": "response rate",
            "target": "3%",
            "actual": "1.1%",
            "period": "{month:-1}",
            "cause": "we mailed the catalogue two weeks late, after most customers had ordered",
            "plan": "mail a shorter winter catalogue on {day:8}, with the mailing date fixed "
            "two weeks ahead of the season",
        },
        [],
    ),
    DemoCase(
        "demo:30",
        "carmen@druiz.example",
        "maria@northwind.example",
        "poor_results",
        "Campaña de Navidad: 40 pedidos frente a 150 previstos",
        "high",
        "ours",
        72,
        {
            "campaign": "la campaña de correo de Navidad",
            "metric": "pedidos",
            "target": "150",
            "actual": "40",
            "period": "la primera quincena de {month:0}",
            "cause": "enviamos la campaña a una lista desactualizada",
            "plan": "depurar la lista con sus clientes de este año y repetir el envío el {day:8}",
        },
        [
            Step(
                70,
                "out",
                "La campaña de Navidad ha traído 40 pedidos, frente a los 150 que "
                "le prometimos para el {day:-8}. La enviamos a una lista de contactos "
                "desactualizada: fue un error nuestro. Le propongo dos opciones: repetir el envío "
                "con la lista corregida sin coste, o devolverle el 60 % de la tarifa. Dígame cuál "
                "prefiere. Le llamaré el lunes a las 10:00. Mi teléfono es +34 910 000 101.",
                "Resultados de la campaña de Navidad",
            ),
            Step(69, "state", "notified"),
        ],
    ),
    DemoCase(
        "demo:31",
        "liam@harbourhotels.example",
        "james@northwind.example",
        "poor_results",
        "Linen service: 12% of deliveries late in {month:-1} (target 2%)",
        "medium",
        "ours",
        400,
        {
            "campaign": "weekly linen service",
            "metric": "late deliveries",
            "target": "2%",
            "actual": "12%",
            "period": "{month:-1}",
            "cause": "we were one driver short all month",
            "plan": "cover your route with a second van from {day:1}, until a new driver starts "
            "on {day:7}",
        },
        [
            Step(
                398,
                "out",
                "In {month:-1} 12% of your linen deliveries were late; our target is "
                "2%. We were one driver short all month and did not tell you. We have hired a "
                "driver who starts on Monday. I will send you the figures for the first two "
                "weeks of {month:0} on {day:-7}. Call me on +44 20 7946 0102.",
                "Your {month:-1} linen deliveries",
            ),
            Step(397, "state", "notified"),
            Step(200, "state", "resolving"),
            Step(180, "state", "resolved"),
            Step(10, "state", "followed_up"),
        ],
    ),
    # --- overpromised ------------------------------------------------------------------
    DemoCase(
        "demo:32",
        "sarah@acme-retail.example",
        "james@northwind.example",
        "overpromised",
        "Sales promised same-day restocking we cannot run",
        "medium",
        "ours",
        15,
        {
            "what_promised": "same-day restocking for all 12 stores",
            "what_possible": "next-day restocking, or same-day for the 4 London stores",
            "promised_by": "our sales team",
            "deadline": Day(8),
        },
        [],
    ),
    DemoCase(
        "demo:33",
        "alejandro@torrescons.example",
        "lucia@northwind.example",
        "overpromised",
        "Se prometió entrega en obra sin grúa disponible",
        "medium",
        "ours",
        40,
        {
            "what_promised": "entrega en obra con grúa incluida",
            "what_possible": (
                "entrega en obra a pie de calle; la grúa la contratamos aparte a medias"
            ),
            "promised_by": "nuestro equipo comercial",
            "deadline": Day(12),
        },
        [
            Step(
                39,
                "in",
                "Me dijeron que la entrega incluía grúa y ahora me dicen que no. ¿En "
                "qué quedamos? ¿Quién paga la grúa?",
                "Entrega con grúa",
            )
        ],
    ),
    DemoCase(
        "demo:34",
        "noah@patelpharmacy.example",
        "priya@northwind.example",
        "overpromised",
        "Custom packaging promised for {month:1} not possible before {month:2}",
        "medium",
        "ours",
        200,
        {
            "what_promised": "custom printed packaging by {day:8}",
            "what_possible": "custom printed packaging by {day:50}, plain packaging meanwhile",
            "promised_by": "our sales team",
            "deadline": Day(8),
        },
        [
            Step(
                198,
                "out",
                "We promised your custom printed packaging by {day:8}, and we "
                "cannot make that date: our printer's next free slot is {day:43}. We should "
                "have checked before promising. We can send plain packaging now at no charge "
                "and the printed one by {day:50}, or cancel the packaging order with a full "
                "refund. Tell us which you prefer. I will write again on Thursday by 17:00. "
                "Call me on +44 20 7946 0104.",
                "Your custom packaging date",
            ),
            Step(197, "state", "notified"),
            Step(150, "state", "resolving"),
        ],
    ),
    # --- the outage: one cause, many customers -------------------------------------------
    *[
        DemoCase(
            f"demo:{35 + i}",
            email,
            owner,
            "service_outage",
            title,
            "critical",
            "ours",
            2.5,
            {
                "service": "online ordering portal"
                if lang == "en"
                else "portal de pedidos en línea",
                "started_at": Ago(2.5),
                "impact": impact,
                "cause": "a database upgrade we ran overnight failed"
                if lang == "en"
                else "una actualización de la base de datos que hicimos durante la noche falló",
            },
            steps,
        )
        for i, (email, owner, lang, title, impact, steps) in enumerate(
            [
                (
                    "sarah@acme-retail.example",
                    "james@northwind.example",
                    "en",
                    "Ordering portal down: Acme cannot place orders",
                    "you cannot place or change orders online",
                    [
                        Step(
                            1.5,
                            "in",
                            "Your portal is down AGAIN. We can't order anything. What is "
                            "going on and when will it be fixed?",
                            "Portal down",
                        )
                    ],
                ),
                (
                    "carmen@druiz.example",
                    "lucia@northwind.example",
                    "es",
                    "Portal de pedidos caído: Distribuciones Ruiz",
                    "no puede hacer ni cambiar pedidos en línea",
                    [],
                ),
                (
                    "liam@harbourhotels.example",
                    "james@northwind.example",
                    "en",
                    "Ordering portal down: Harbour Hotels",
                    "you cannot place or change orders online",
                    [],
                ),
                (
                    "valentina@hotelesrojas.example",
                    "lucia@northwind.example",
                    "es",
                    "Portal de pedidos caído: Hoteles Rojas",
                    "no puede hacer ni cambiar pedidos en línea",
                    [],
                ),
                (
                    "noah@patelpharmacy.example",
                    "priya@northwind.example",
                    "en",
                    "Ordering portal down: Patel Pharmacy",
                    "you cannot place or change orders online",
                    [],
                ),
                (
                    "lucia@farmaciasgomez.example",
                    "lucia@northwind.example",
                    "es",
                    "Portal de pedidos caído: Farmacias Gómez",
                    "no puede hacer ni cambiar pedidos en línea",
                    [
                        Step(
                            1,
                            "in",
                            "Buenos días, no podemos entrar en el portal de pedidos. "
                            "¿Saben cuándo volverá a funcionar? Necesitamos pedir hoy.",
                            "Portal no funciona",
                        )
                    ],
                ),
            ]
        )
    ],
]


@dataclass
class DemoResult:
    agents: int = 0
    customers: int = 0
    cases: int = 0
    skipped: int = 0

    def summary(self) -> str:
        if not (self.agents or self.customers or self.cases):
            return f"The demo data is already loaded ({self.skipped} demo cases present)."
        return (
            f"Loaded the demo business: {self.agents} agents, {self.customers} customers, "
            f"{self.cases} cases."
        )


def load_demo(db: Database, *, now: dt.datetime | None = None) -> DemoResult:
    """Write the demo business through the service layer; skip what is there already."""
    now = now or utcnow()
    result = DemoResult()
    agent_ids: dict[str, int] = {}
    for person in AGENTS:
        agent = cases.find_agent(db, person["email"])
        if agent is None:
            agent = cases.add_agent(db, **person)
            result.agents += 1
        agent_ids[person["email"]] = agent.id
    customer_ids: dict[str, int] = {}
    for name, company, email, phone, language, tier, timezone in CUSTOMERS:
        customer = cases.find_customer(db, email)
        if customer is None:
            customer = cases.add_customer(
                db,
                name=name,
                company=company,
                email=email,
                phone=phone,
                language=language,
                tier=tier,
                timezone=timezone,
            )
            result.customers += 1
        customer_ids[email] = customer.id
    for spec in CASES:
        if cases.find_case_by_ref(db, spec.ref) is not None:
            result.skipped += 1
            continue
        _load_case(db, spec, customer_ids, agent_ids, now)
        result.cases += 1
    # The portal outage above hit many customers at once: it runs as one incident.
    from frankly.incidents import load_demo_incident

    load_demo_incident(db, now=now)
    # Promises kept and missed, chased cases, milestones, a code, a review.
    from frankly.cadence import load_demo_cadence

    load_demo_cadence(db, now=now)
    return result


def _load_case(
    db: Database,
    spec: DemoCase,
    customer_ids: dict[str, int],
    agent_ids: dict[str, int],
    now: dt.datetime,
) -> None:
    def ago(hours: float) -> dt.datetime:
        return now - dt.timedelta(hours=hours)

    owner_email = spec.owner
    case = cases.open_case(
        db,
        customer_id=customer_ids[spec.customer],
        kind=spec.kind,
        title=spec.title_at(now),
        severity=spec.severity,
        fault=spec.fault,
        facts=spec.facts_at(now),
        owner_id=agent_ids[owner_email],
        external_ref=spec.ref,
        known_at=ago(spec.known_hours),
        author=owner_email,
        at=ago(spec.known_hours),
    )
    for step in sorted(spec.steps, key=lambda s: -s.hours):
        at = ago(step.hours)
        # Texts that name dates name them relative to the day the demo is loaded.
        value = _resolve(step.value, now, spec.language, spec.timezone)
        subject = _resolve(step.subject, now, spec.language, spec.timezone)
        if step.kind == "state":
            cases.change_state(db, case.id, value, author=owner_email, at=at)
        elif step.kind == "note":
            cases.add_note(db, case.id, value, author=owner_email, at=at)
        elif step.kind == "fact":
            cases.record_facts(db, case.id, value, author=owner_email, at=at)
        elif step.kind == "in":
            cases.add_message(
                db,
                case.id,
                direction="in",
                body=value,
                subject=subject,
                sender=spec.customer,
                author=spec.customer,
                at=at,
            )
        elif step.kind == "out":
            cases.add_message(
                db,
                case.id,
                direction="out",
                body=value,
                subject=subject,
                status="sent",
                sender=owner_email,
                author=owner_email,
                at=at,
            )
        else:  # pragma: no cover - a typo in the table above
            raise ValueError(f"unknown demo step {step.kind!r}")
