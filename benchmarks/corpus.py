# ruff: noqa: E501
"""A seeded corpus of realistic bad-news messages in English and Spanish, for benchmarks.

Each message is assembled from the parts a real one has (greeting, the news, the cause, what
we are doing, options, next update, contact, sign-off), with varied order numbers, dates,
amounts and names; about a third carry the habits the checker looks for (jargon, blame,
hedges, vague promises, capitals). Messages are 80-250 words. ``python benchmarks/corpus.py``
prints a sample.
"""

from __future__ import annotations

import random

EN = {
    "greeting": ["Dear {name},", "Hello {name},", "Hi {name},", "Good morning {name},"],
    "news": [
        "Your order {order} will not arrive on {date} as we promised.",
        "We charged you twice for invoice {order}: {amount} on {date} and again the next day.",
        "The replacement part for your {product} is not in stock, so the repair will take longer than we said.",
        "Your payment of {amount} for invoice {order} was due on {date} and we have not received it.",
        "Our booking system was down this morning from 9:00 to 11:30, and your appointment was lost.",
        "The {product} you received is the wrong model; you ordered the 40 litre version.",
        "The campaign brought {count} leads in {month}, against the 300 we promised.",
        "We sent your parcel to your old address, and it is now on its way back to our warehouse.",
    ],
    "cause": [
        "Our supplier's factory stopped for two days, and we found out this morning.",
        "A change we made to our billing system on Monday created the second charge.",
        "We packed the order from the wrong shelf, and nobody checked it before it left.",
        "The carrier had no trucks on {weekday} because of the storm, and we did not plan around it.",
        "We don't know yet why the server failed; our engineers are looking at it now.",
        "We underestimated how long the customs documents would take.",
    ],
    "admission": [
        "It is our job to plan around that, and we did not.",
        "That was our mistake.",
        "We should have told you on {weekday}.",
        "",
    ],
    "action": [
        "We can ship the {count} units we have today and the rest on {date}.",
        "We have refunded the second charge of {amount}; you will see it in three to five days.",
        "A new {product} leaves our warehouse today, and the courier will collect the wrong one when it delivers.",
        "I have booked you a new appointment on {weekday} at 10:00, with our senior technician.",
        "We are sending the parcel again today with express delivery at our cost.",
        "Our team is moving the campaign budget to the two channels that worked, starting on {date}.",
    ],
    "options": [
        "If you prefer, we can cancel the order and refund the full {amount} today.",
        "You can choose between a refund and a replacement; tell us which you prefer.",
        "Would you rather keep the item with a 20% discount, or return it for free?",
        "",
    ],
    "update": [
        "I will write again by {weekday} 5 pm with the tracking number.",
        "Next update: {weekday} at 10:00, whatever the news.",
        "I will call you on {date} at 11:00 to confirm.",
    ],
    "contact": [
        "You can reach me directly on +1 555 01{d2}.",
        "If anything is unclear, just reply to this email or call me on +1 555 02{d2}.",
        "My direct email is {first}.{last}@example.com.",
    ],
    "bad": [
        "We apologize for any inconvenience this may have caused.",
        "Due to unforeseen circumstances, we are experiencing supply chain headwinds.",
        "It's the shipping company's fault, not ours.",
        "We will get back to you as soon as possible.",
        "It might perhaps be a slight delay of only a few days.",
        "Mistakes were made in processing your order.",
        "This is NOT something we can change!!",
        "Going forward, we will leverage synergies to optimize our processes.",
        "If you had read the instructions, this would not have happened.",
        "We are so very sorry. We can't apologize enough.",
    ],
    "close": ["I'm sorry for the trouble this causes you.", "Thank you for your patience.", ""],
    "sign": [
        "Best regards,\n{first} {last}\nCustomer care",
        "Kind regards,\n{first} {last}",
        "{first}",
    ],
    "weekday": ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday"],
    "month": ["March", "April", "May", "June"],
    "product": ["coffee machine", "water heater", "office chair", "router", "printer", "fridge"],
    "first": ["Ana", "James", "Priya", "Tom", "Lucy", "Omar", "Sara", "Mark"],
    "last": ["Garcia", "Smith", "Patel", "Brown", "Jones", "Khan", "Wilson", "Lee"],
}

ES = {
    "greeting": ["Estimado {name}:", "Estimada {name}:", "Hola, {name}:", "Buenos días, {name}:"],
    "news": [
        "Su pedido {order} no llegará el {date_es} como le prometimos.",
        "Le cobramos dos veces la factura {order}: {amount_es} el {date_es} y otra vez al día siguiente.",
        "La pieza de repuesto de su {product_es} no está en stock, así que la reparación tardará más de lo que le dijimos.",
        "Su pago de {amount_es} de la factura {order} vencía el {date_es} y todavía no lo hemos recibido.",
        "Nuestro sistema de reservas estuvo caído esta mañana de 9:00 a 11:30 y perdimos su cita.",
        "El {product_es} que recibió no es el modelo correcto; usted pidió la versión de 40 litros.",
        "La campaña trajo {count} contactos en {month_es}, frente a los 300 que le prometimos.",
        "Enviamos su paquete a su dirección antigua y ahora vuelve a nuestro almacén.",
    ],
    "cause": [
        "La fábrica de nuestro proveedor paró dos días y nos enteramos esta mañana.",
        "Un cambio que hicimos el lunes en nuestro sistema de facturación generó el segundo cargo.",
        "Preparamos el pedido desde la estantería equivocada y nadie lo revisó antes de enviarlo.",
        "El transportista no tuvo camiones el {weekday_es} por el temporal, y no lo tuvimos en cuenta.",
        "Todavía no sabemos por qué falló el servidor; nuestros técnicos lo están revisando ahora.",
        "Calculamos mal lo que tardarían los documentos de aduana.",
    ],
    "admission": [
        "Nuestro trabajo era prever eso, y no lo hicimos.",
        "Fue un error nuestro.",
        "Debimos avisarle el {weekday_es}.",
        "",
    ],
    "action": [
        "Podemos enviarle hoy las {count} unidades que tenemos y el resto el {date_es}.",
        "Le hemos devuelto el segundo cargo de {amount_es}; lo verá en su cuenta en tres a cinco días.",
        "Hoy sale de nuestro almacén un {product_es} nuevo, y el transportista recogerá el equivocado al entregarlo.",
        "Le he reservado una nueva cita el {weekday_es} a las 10:00 con nuestro técnico más veterano.",
        "Hoy le volvemos a enviar el paquete con entrega urgente a nuestro cargo.",
        "Nuestro equipo va a mover el presupuesto a los dos canales que funcionaron, a partir del {date_es}.",
    ],
    "options": [
        "Si lo prefiere, podemos cancelar el pedido y devolverle hoy los {amount_es}.",
        "Puede elegir entre el reembolso o un producto nuevo; díganos qué prefiere.",
        "¿Prefiere quedarse el artículo con un 20 % de descuento o devolverlo sin coste?",
        "",
    ],
    "update": [
        "Le escribiré de nuevo el {weekday_es} antes de las 17:00 con el número de seguimiento.",
        "Próxima actualización: el {weekday_es} a las 10:00, haya novedades o no.",
        "Le llamaré el {date_es} a las 11:00 para confirmarlo.",
    ],
    "contact": [
        "Puede llamarme directamente al +34 600 000 1{d2}.",
        "Si algo no queda claro, basta con responder a este correo o llamarme al +34 600 000 2{d2}.",
        "Mi correo directo es {first_l}.{last_l}@example.com.",
    ],
    "bad": [
        "Disculpe las molestias que esto le haya podido ocasionar.",
        "Debido a circunstancias sobrevenidas, tenemos tensiones en la cadena de suministro.",
        "El retraso es culpa de la empresa de transporte, no nuestra.",
        "Le responderemos lo antes posible.",
        "Quizás tal vez sea un pequeño retraso de solo unos días.",
        "Se cometieron errores en la tramitación de su pedido.",
        "¡¡Esto NO lo podemos cambiar!!",
        "Vamos a aprovechar sinergias para optimizar capacidades operativas.",
        "Si hubiera leído las instrucciones, esto no habría pasado.",
        "Mil disculpas. No sabemos cómo disculparnos.",
    ],
    "close": ["Siento las molestias que esto le causa.", "Gracias por su paciencia.", ""],
    "sign": [
        "Un saludo,\n{first} {last}\nAtención al cliente",
        "Atentamente,\n{first} {last}",
        "{first}",
    ],
    "weekday_es": ["lunes", "martes", "miércoles", "jueves", "viernes"],
    "month_es": ["marzo", "abril", "mayo", "junio"],
    "product_es": ["cafetera", "calentador", "sillón de oficina", "router", "frigorífico"],
    "first": ["Ana", "Javier", "Lucía", "Carlos", "Marta", "Pablo", "Elena", "Diego"],
    "last": ["García", "López", "Martín", "Sánchez", "Pérez", "Gómez", "Ruiz", "Díaz"],
}

_ORDER = ("{parts}", "news", "cause", "admission", "action", "options", "update", "contact")


def _fill(template: str, rng: random.Random, lex: dict[str, list[str]]) -> str:
    first = rng.choice(lex["first"])
    last = rng.choice(lex["last"])
    values = {
        "name": f"{first} {last}" if rng.random() < 0.5 else first,
        "first": first,
        "last": last,
        "first_l": first.lower().replace("í", "i").replace("á", "a"),
        "last_l": last.lower()
        .replace("í", "i")
        .replace("á", "a")
        .replace("é", "e")
        .replace("ó", "o"),
        "order": f"{rng.randint(1000, 99999)}",
        "date": f"{rng.randint(1, 28)} {rng.choice(['May', 'June', 'July'])}",
        "date_es": f"{rng.randint(1, 28)} de {rng.choice(['mayo', 'junio', 'julio'])}",
        "amount": f"${rng.randint(20, 2000)}.{rng.randint(10, 99)}",
        "amount_es": f"{rng.randint(20, 2000)},{rng.randint(10, 99)} €",
        "count": str(rng.randint(10, 400)),
        "d2": f"{rng.randint(10, 99)}",
    }
    for key in ("weekday", "month", "product", "weekday_es", "month_es", "product_es"):
        if key in lex:
            values[key] = rng.choice(lex[key])
    return template.format(**{k: v for k, v in values.items() if "{" + k + "}" in template})


def message(rng: random.Random, lang: str) -> str:
    """One message in ``lang`` ("en" or "es"), 80-250 words."""
    lex = EN if lang == "en" else ES
    while True:
        parts = [_fill(rng.choice(lex["greeting"]), rng, lex), ""]
        body: list[str] = []
        for key in ("news", "cause", "admission", "action", "options", "update", "contact"):
            sentence = _fill(rng.choice(lex[key]), rng, lex)
            if sentence:
                body.append(sentence)
            if key in ("cause", "action") and rng.random() < 0.6:
                # A second sentence of the same kind: real messages repeat and elaborate.
                extra = _fill(rng.choice(lex[key]), rng, lex)
                if extra and extra not in body:
                    body.append(extra)
        if rng.random() < 0.35:
            for _ in range(rng.randint(1, 3)):
                body.insert(rng.randint(1, len(body)), rng.choice(lex["bad"]))
        close = _fill(rng.choice(lex["close"]), rng, lex)
        if close:
            body.append(close)
        # Paragraphs of two or three sentences, as people write emails.
        paragraphs, i = [], 0
        while i < len(body):
            step = rng.randint(2, 3)
            paragraphs.append(" ".join(body[i : i + step]))
            i += step
        text = (
            "\n".join(parts)
            + "\n\n".join(paragraphs)
            + "\n\n"
            + _fill(rng.choice(lex["sign"]), rng, lex)
        )
        words = len(text.split())
        if 80 <= words <= 250:
            return text


def corpus(size: int = 5000, seed: int = 20261123) -> list[tuple[str, str]]:
    """``size`` messages as ``(lang, text)``, half English and half Spanish, reproducible."""
    rng = random.Random(seed)
    return [(lang, message(rng, lang)) for lang in ("en", "es") * (size // 2)]


if __name__ == "__main__":
    sample = corpus(4, seed=1)
    for lang, text in sample:
        print(f"--- {lang} ({len(text.split())} words)\n{text}\n")
