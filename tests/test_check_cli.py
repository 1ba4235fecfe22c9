"""``frankly check`` on the command line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from typer.testing import CliRunner

from frankly.cli import app

runner = CliRunner()


# Every test here runs twice: with the C accelerator (when built) and in pure Python.
pytestmark = pytest.mark.usefixtures("checker_path")


BAD = (
    "Dear customer,\n\nYour order will ship soon. It's the shipping company's fault.\n"
    "If you had read the instructions, this would not have happened.\n"
)
GOOD = (
    "Your order 4471 will not arrive on 12 May because our supplier's factory stopped.\n"
    "We are shipping the 40 units we have today. I will write again by Thursday 5 pm.\n"
    "You can reach me directly on +1 555 0100.\n"
)


@pytest.fixture
def files(tmp_path: Path) -> dict[str, Path]:
    paths = {}
    for name, text in (("bad.txt", BAD), ("good.txt", GOOD)):
        paths[name] = tmp_path / name
        paths[name].write_text(text, encoding="utf-8")
    return paths


def test_text_output_shows_line_column_words_message_and_suggestion(
    files: dict[str, Path],
) -> None:
    result = runner.invoke(app, ["check", str(files["bad.txt"])])
    out = result.stdout
    assert result.exit_code == 1  # blaming the customer is an error
    assert f"{files['bad.txt']}:3:22: warning [vague-promise]" in out
    assert "“soon” is a promise with no date or time" in out
    assert "    Your order will ship soon." in out
    assert "^^^^" in out
    assert "Suggestion: by Thursday 5 pm" in out
    assert f"{files['bad.txt']}:4:1: error [blame]" in out
    assert "score" in out and "language en" in out


def test_a_clean_message_exits_0(files: dict[str, Path]) -> None:
    result = runner.invoke(app, ["check", str(files["good.txt"]), "--stage", "first_notice"])
    assert result.exit_code == 0, result.stdout
    assert "0 findings · score 100/100 · language en" in result.stdout


def test_fail_on_and_min_severity(files: dict[str, Path]) -> None:
    text = files["good.txt"].read_text() + "Please be advised that we care.\n"
    files["good.txt"].write_text(text)
    quiet = runner.invoke(app, ["check", str(files["good.txt"]), "--min-severity", "warning"])
    assert quiet.exit_code == 0 and "doublespeak" not in quiet.stdout
    strict = runner.invoke(app, ["check", str(files["good.txt"]), "--fail-on", "suggestion"])
    assert strict.exit_code == 1 and "[doublespeak]" in strict.stdout


def test_json_output(files: dict[str, Path]) -> None:
    result = runner.invoke(
        app, ["check", str(files["bad.txt"]), "--format", "json", "--stage", "first_notice"]
    )
    data = json.loads(result.stdout)
    assert data["file"] == str(files["bad.txt"])
    assert data["language"] == "en" and data["stage"] == "first_notice"
    categories = {f["category"] for f in data["findings"]}
    assert {"vague-promise", "blame", "missing-next-update", "missing-contact"} <= categories
    first = data["findings"][0]
    assert {"line", "column", "start", "end", "text", "message", "suggestion"} <= set(first)


def test_several_files_give_a_json_list(files: dict[str, Path]) -> None:
    result = runner.invoke(
        app, ["check", str(files["good.txt"]), str(files["bad.txt"]), "--format", "json"]
    )
    data = json.loads(result.stdout)
    assert [d["file"] for d in data] == [str(files["good.txt"]), str(files["bad.txt"])]
    assert result.exit_code == 1


def test_standard_input_and_reply_to(files: dict[str, Path], tmp_path: Path) -> None:
    customer = tmp_path / "customer.txt"
    customer.write_text("You clowns. When will it arrive? Will you refund the shipping cost?")
    result = runner.invoke(
        app,
        ["check", "-", "--reply-to", str(customer), "--format", "json"],
        input="Dear customer, you clowns: your order will arrive on Friday 16 May.",
    )
    data = json.loads(result.stdout)
    assert data["file"] == "<stdin>"
    categories = [f["category"] for f in data["findings"]]
    assert "mirroring" in categories
    (unanswered,) = [f for f in data["findings"] if f["category"] == "unanswered-question"]
    assert "Will you refund the shipping cost?" in unanswered["message"]


def test_fault_ours_asks_for_an_admission(files: dict[str, Path]) -> None:
    result = runner.invoke(app, ["check", str(files["good.txt"]), "--fault", "ours"])
    assert "[missing-admission]" in result.stdout


def test_spanish_is_detected_and_can_be_forced(tmp_path: Path) -> None:
    draft = tmp_path / "borrador.txt"
    draft.write_text("Le enviaremos su pedido pronto. Mil disculpas.", encoding="utf-8")
    auto = runner.invoke(app, ["check", str(draft), "--format", "json"])
    data = json.loads(auto.stdout)
    assert data["language"] == "es"
    assert {f["category"] for f in data["findings"]} >= {"vague-promise", "over-apology"}
    forced = json.loads(
        runner.invoke(app, ["check", str(draft), "--lang", "es", "--format", "json"]).stdout
    )
    assert forced["language_confidence"] == 1.0


def test_an_unsupported_language_says_so(tmp_path: Path) -> None:
    draft = tmp_path / "fr.txt"
    draft.write_text("Bonjour, votre commande est en retard. Nous sommes désolés.", "utf-8")
    result = runner.invoke(app, ["check", str(draft)])
    assert result.exit_code == 0
    assert "note: This text looks like 'fr'" in result.stdout


@pytest.mark.parametrize(
    ("args", "content", "message"),
    [
        (["--stage", "someday"], GOOD, "Unknown stage 'someday'"),
        (["--fault", "gremlins"], GOOD, "Unknown fault 'gremlins'"),
        (["--lang", "fr"], GOOD, "Unknown language 'fr'"),
        (["--format", "xml"], GOOD, "Unknown format 'xml'"),
        (["--fail-on", "panic"], GOOD, "Unknown level 'panic'"),
        ([], "", "is empty"),
        ([], "   \n", "is empty"),
        ([], b"\x00\x01binary", "looks like a binary file"),
        ([], b"caf\xe9 latin-1", "is not UTF-8 text"),
    ],
)
def test_bad_input_exits_2_with_one_line(
    tmp_path: Path, args: list[str], content: str | bytes, message: str
) -> None:
    path = tmp_path / "draft.txt"
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), *args])
    assert result.exit_code == 2
    assert message in result.stderr
    assert result.stderr.count("\n") == 1


def test_a_missing_file_exits_2(tmp_path: Path) -> None:
    result = runner.invoke(app, ["check", str(tmp_path / "nope.txt")])
    assert result.exit_code == 2 and "no such file" in result.stderr


def test_rules_option_loads_a_business_pack(files: dict[str, Path], tmp_path: Path) -> None:
    pack = tmp_path / "pack" / "en"
    pack.mkdir(parents=True)
    (pack / "house.yml").write_text(
        """\
rules:
  - id: house.customer-word
    category: doublespeak
    level: error
    kind: substitution
    message: "We say “{suggestion}”, not “{text}”."
    swap: {"dear customer": "Dear Ms Patel"}
    examples:
      fire: [Dear customer, hello.]
      quiet: [Dear Ms Patel, hello.]
""",
        encoding="utf-8",
    )
    result = runner.invoke(app, ["check", str(files["bad.txt"]), "--rules", str(pack.parent)])
    assert "[doublespeak] We say “Dear Ms Patel”, not “Dear customer”." in result.stdout
    broken = tmp_path / "broken" / "en"
    broken.mkdir(parents=True)
    (broken / "x.yml").write_text("rules:\n  - id: Bad Id\n", encoding="utf-8")
    result = runner.invoke(app, ["check", str(files["bad.txt"]), "--rules", str(broken.parent)])
    assert result.exit_code == 2
    assert f"{broken / 'x.yml'}:2:" in result.stderr


def test_a_huge_listing_is_capped_in_text_but_complete_in_json(tmp_path: Path) -> None:
    path = tmp_path / "big.txt"
    path.write_text("We will ship it soon.\n" * 600, encoding="utf-8")
    text = runner.invoke(app, ["check", str(path)])
    assert "… and 100 more findings (--format json lists all)" in text.stdout
    assert "600 findings" in text.stdout
    data = json.loads(runner.invoke(app, ["check", str(path), "--format", "json"]).stdout)
    assert len(data["findings"]) == 600


@pytest.mark.parametrize("lang", ["en", "es"])
def test_text_output_on_a_megabyte_single_line_stays_small(tmp_path: Path, lang: str) -> None:
    sentence = "We will ship it soon. " if lang == "en" else "Se lo enviaremos pronto. "
    text = sentence * (1_000_000 // len(sentence))
    path = tmp_path / "one-line.txt"
    path.write_text(text, encoding="utf-8")
    result = runner.invoke(app, ["check", str(path), "--lang", lang])
    out = result.stdout
    listed = out.count("[vague-promise]")
    assert listed == 500  # the cap; JSON lists all
    # Each finding shows a window of the line, not the megabyte line itself.
    # (the file's path heads every finding: its length is the test machine's, not ours)
    assert len(out.encode("utf-8")) - listed * len(str(path)) < 400 * listed
    word = "soon" if lang == "en" else "pronto"
    lines = out.splitlines()
    snippet = next(line for line in lines if line.startswith("    ") and word in line)
    assert len(snippet) <= 4 + 80 and snippet.endswith("…")
    caret = lines[lines.index(snippet) + 1]
    assert snippet[caret.index("^") : caret.index("^") + len(word)] == word
