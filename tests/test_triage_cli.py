"""`frankly triage` from the command line."""

from __future__ import annotations

import json
from pathlib import Path

from typer.testing import CliRunner

from frankly.cli import app

runner = CliRunner()
ANGRY = "This is the third time I ask: where is my order? You are useless idiots. Fix it by Friday!"


def test_text_report_shows_what_matters(tmp_path: Path) -> None:
    path = tmp_path / "mail.txt"
    path.write_text(ANGRY, encoding="utf-8")
    result = runner.invoke(app, ["triage", str(path)])
    assert result.exit_code == 0, result.output
    for heading in ("Language:", "Complaint:", "Anger:", "Risks:", "Questions:", "Advice:"):
        assert heading in result.output
    assert "insult" in result.output and "idiots" in result.output


def test_json_from_stdin() -> None:
    result = runner.invoke(app, ["triage", "--format", "json", "-"], input="¿Dónde está mi pedido?")
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["language"]["code"] == "es"
    assert data["questions"][0]["text"] == "¿Dónde está mi pedido?"


def test_batch_jsonl_gives_one_report_per_line(tmp_path: Path) -> None:
    path = tmp_path / "inbox.jsonl"
    rows = [
        {"id": "m1", "text": ANGRY},
        {"id": "m2", "text": "Thanks, all perfect!"},
        {"id": "m3", "text": ""},
    ]
    path.write_text("\n".join(json.dumps(r) for r in rows) + "\n", encoding="utf-8")
    result = runner.invoke(app, ["triage", "--batch", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    lines = [json.loads(line) for line in result.output.splitlines()]
    assert [line["id"] for line in lines] == ["m1", "m2", "m3"]
    assert lines[0]["complaint"]["is_complaint"] and not lines[1]["complaint"]["is_complaint"]
    assert lines[2]["notices"][0]["code"] == "empty"


def test_batch_csv_text_summary(tmp_path: Path) -> None:
    path = tmp_path / "inbox.csv"
    path.write_text('id,text\n7,"The app is down, we cannot log in!"\n', encoding="utf-8")
    result = runner.invoke(app, ["triage", "--batch", str(path)])
    assert result.exit_code == 0, result.output
    assert result.output.startswith("7\ten\t") and "service_outage" in result.output


def test_bad_input_is_one_line_and_exit_2(tmp_path: Path) -> None:
    path = tmp_path / "bad.jsonl"
    path.write_text('{"text": "ok"}\n{not json\n', encoding="utf-8")
    result = runner.invoke(app, ["triage", "--batch", str(path)])
    assert result.exit_code == 2
    assert "bad.jsonl:2" in result.output
    csv_path = tmp_path / "bad.csv"
    csv_path.write_text("id,body\n1,hello\n", encoding="utf-8")
    assert runner.invoke(app, ["triage", "--batch", str(csv_path)]).exit_code == 2
    assert runner.invoke(app, ["triage", "--format", "xml", "-"], input="hi").exit_code == 2
    assert runner.invoke(app, ["triage", str(tmp_path / "missing.txt")]).exit_code == 2
    assert runner.invoke(app, ["triage", "--lang", "xx", "-"], input="hello there").exit_code == 2


# Input the Hardening probe found read as if it were the message.


def test_binary_and_non_utf8_files_are_refused_like_check_does(tmp_path: Path) -> None:
    binary = tmp_path / "photo.txt"
    binary.write_bytes(b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    latin = tmp_path / "latin1.txt"
    latin.write_bytes("¿Dónde está mi pedido?".encode("latin-1"))
    for path, why in ((binary, "binary file"), (latin, "not UTF-8")):
        result = runner.invoke(app, ["triage", str(path)])
        assert result.exit_code == 2, result.output
        assert why in result.output and str(path.name) in result.output


def test_an_eml_is_read_as_mail_without_headers_quote_or_signature(tmp_path: Path) -> None:
    path = tmp_path / "reply.eml"
    path.write_text(
        "From: Ana Ruiz <ana@ruiz.example>\n"
        "To: support@northwind.example\n"
        "Subject: Re: Pedido 7781\n"
        "X-Spam-Score: idiots useless terrible lawsuit\n"
        "Content-Type: text/plain; charset=utf-8\n\n"
        "Gracias, todo perfecto. ¿Me confirman la fecha de entrega?\n\n"
        "--\nAna Ruiz · Compras · Esto es una vergüenza inútiles\n\n"
        "El lun, 23 nov 2026 a las 10:00, Soporte <support@northwind.example> escribió:\n"
        "> Sois unos inútiles, vamos a demandar.\n",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["triage", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["language"]["code"] == "es"
    assert [q["text"] for q in data["questions"]] == ["¿Me confirman la fecha de entrega?"]
    text = json.dumps(data, ensure_ascii=False)
    for leaked in ("X-Spam-Score", "idiots", "inútiles", "demandar", "Compras"):
        assert leaked not in text, leaked


def test_an_mbox_gives_one_report_per_mail(tmp_path: Path) -> None:
    import mailbox
    from email.message import EmailMessage

    path = tmp_path / "inbox.mbox"
    box = mailbox.mbox(str(path))
    for i, body in enumerate(
        ["Where is my order?\n\nOn Mon, 23 Nov 2026, Support wrote:\n> You are idiots", "Thanks!"]
    ):
        mail = EmailMessage()
        mail["From"] = f"c{i}@x.example"
        mail["Subject"] = "Re: order"
        mail.set_content(body)
        box.add(mail)
    box.close()
    result = runner.invoke(app, ["triage", "--format", "json", str(path)])
    assert result.exit_code == 0, result.output
    first, second = json.loads(result.output)
    assert first["source"].endswith("#1") and second["source"].endswith("#2")
    assert "idiots" not in json.dumps(first)
