from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import pytest

from assist.importing import (
    ImportFileError,
    ImportRejected,
    export_customers,
    export_knowledge,
    import_customers,
    import_knowledge,
)
from assist.matching import search_knowledge
from assist.store import Store

KB_CSV = (
    "id,title,body,tags,language,aliases\n"
    "kb-1,解約の手続き,解約をご希望の場合は引き止め特典をご案内します,解約;契約,ja,退会;やめたい\n"
    "kb-2,Reset a password,Send a reset link to the registered address,account,en,"
    "forgot password;locked out\n"
)


def write(path: Path, text: str, encoding: str = "utf-8") -> Path:
    path.write_bytes(text.encode(encoding))
    return path


@pytest.mark.parametrize("encoding", ["utf-8", "utf-8-sig", "cp932"])
def test_csv_in_each_encoding_imports_and_is_searchable(store: Store, tmp_path: Path, encoding: str) -> None:
    report = import_knowledge(store, write(tmp_path / "kb.csv", KB_CSV, encoding))
    assert report.imported == 2 and report.created == 2
    entry = store.get_knowledge("kb-1")
    assert entry is not None
    assert (
        entry.title == "解約の手続き"
        and entry.tags == ("解約", "契約")
        and entry.aliases == ("退会", "やめたい")
    )
    assert search_knowledge(store, "えーと退会したいんです")[0].id == "kb-1"


def test_an_explicit_encoding_overrides_detection(store: Store, tmp_path: Path) -> None:
    path = write(tmp_path / "kb.csv", KB_CSV, "cp932")
    assert import_knowledge(store, path, encoding="cp932").encoding == "cp932"
    with pytest.raises(ImportFileError, match=r"kb\.csv: not valid utf-8"):
        import_knowledge(store, path, encoding="utf-8")


def test_a_file_in_no_known_encoding_asks_for_one(store: Store, tmp_path: Path) -> None:
    path = tmp_path / "kb.csv"
    path.write_bytes(b"id,title\nk1,\x85\x40\x81 \n")  # neither UTF-8 nor CP932
    with pytest.raises(ImportFileError, match="--encoding"):
        import_knowledge(store, path)


def test_a_bad_row_names_file_row_and_field_and_nothing_is_imported(store: Store, tmp_path: Path) -> None:
    text = KB_CSV + "kb-3,,body without a title,,ja,\n" + "kb-4,Title,Body,,english!,\n"
    path = write(tmp_path / "faq.csv", text)
    with pytest.raises(ImportRejected) as caught:
        import_knowledge(store, path)
    messages = [str(e) for e in caught.value.errors]
    assert messages[0].startswith(f"{path}: row 4, field 'title'")
    assert "row 5, field 'language'" in messages[1]
    assert store.count("knowledge") == 0


def test_skip_invalid_imports_the_good_rows_and_reports_the_rest(store: Store, tmp_path: Path) -> None:
    text = KB_CSV + "kb-3,,no title,,ja,\n"
    report = import_knowledge(store, write(tmp_path / "faq.csv", text), skip_invalid=True)
    assert report.imported == 2
    assert [e.row for e in report.errors] == [4]
    assert store.get_knowledge("kb-3") is None and store.get_knowledge("kb-2") is not None


def test_duplicate_ids_in_one_file_are_an_error_but_reimport_updates(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportRejected, match="duplicate id 'kb-1' \\(first on row 2\\)"):
        import_knowledge(store, write(tmp_path / "dup.csv", KB_CSV + "kb-1,Again,,,,\n"))
    import_knowledge(store, write(tmp_path / "kb.csv", KB_CSV))
    report = import_knowledge(
        store, write(tmp_path / "kb2.csv", KB_CSV.replace("解約の手続き", "解約・退会"))
    )
    assert (report.created, report.updated, report.unchanged) == (0, 1, 1)
    assert store.count("knowledge") == 2
    entry = store.get_knowledge("kb-1")
    assert entry is not None and entry.title == "解約・退会"


def test_jsonl_errors_name_the_line(store: Store, tmp_path: Path) -> None:
    lines = [
        json.dumps({"id": "k1", "title": "ok", "tags": ["a", "b"]}),
        "{not json",
        json.dumps(["a list"]),
        json.dumps({"id": "k4", "title": "t", "tags": {"not": "a list"}}),
        json.dumps({"title": "no id"}),
    ]
    with pytest.raises(ImportRejected) as caught:
        import_knowledge(store, write(tmp_path / "kb.jsonl", "\n".join(lines)))
    rows = [(e.row, e.field) for e in caught.value.errors]
    assert rows == [(2, ""), (3, ""), (4, "tags"), (5, "id")]


def test_empty_lines_and_rows_are_ignored(store: Store, tmp_path: Path) -> None:
    text = KB_CSV.replace("\nkb-2", "\n,,,,,\n\nkb-2")
    assert import_knowledge(store, write(tmp_path / "kb.csv", text)).imported == 2


def test_customers_with_notes_import_redacted_and_round_trip(store: Store, tmp_path: Path) -> None:
    rows = [
        {
            "id": "c1",
            "name": "山田 太郎",
            "kana": "やまだ たろう",
            "company": "青空商事",
            "phones": ["090-1234-5678"],
            "email": "taro@example.jp",
            "tags": ["VIP"],
            "traits": ["パソコン操作に不慣れ"],
            "preferred_language": "ja",
            "notes": [
                {
                    "text": "支払いはカード 4111 1111 1111 1111 で",
                    "author": "佐藤",
                    "created_at": "2026-01-05",
                }
            ],
        },
        {"id": "c2", "name": "Jane Doe", "phones": ["+1 415 555 0199"], "traits": ["prefers short answers"]},
    ]
    source = write(tmp_path / "customers.jsonl", "\n".join(json.dumps(r, ensure_ascii=False) for r in rows))
    assert import_customers(store, source).imported == 2
    notes = store.notes_for("c1")
    assert len(notes) == 1 and "4111" not in notes[0].text and "[CARD]" in notes[0].text
    # Re-importing does not duplicate notes.
    import_customers(store, source)
    assert len(store.notes_for("c1")) == 1

    for suffix in ("jsonl", "csv"):
        exported = tmp_path / f"out.{suffix}"
        assert export_customers(store, exported) == 2
        other = Store.open(":memory:")
        assert import_customers(other, exported).imported == 2
        # Everything the file carries comes back; updated_at is stamped by each import (it may be a second
        # later).
        assert [replace(c, updated_at="") for c in other.all_customers()] == [
            replace(c, updated_at="") for c in store.all_customers()
        ]
        assert other.notes_for("c1") == store.notes_for("c1")
        other.close()


def test_customer_rows_with_bad_phone_or_email_are_named(store: Store, tmp_path: Path) -> None:
    text = "id,name,phones,email\nc1,A,090-1234-5678;abc,a@b.jp\nc2,B,03-1234-5678,not-an-email\nc3,,,\n"
    with pytest.raises(ImportRejected) as caught:
        import_customers(store, write(tmp_path / "crm.csv", text, "cp932"))
    assert [(e.row, e.field) for e in caught.value.errors] == [(2, "phones"), (3, "email"), (4, "name")]
    assert store.count("customers") == 0


@pytest.mark.parametrize("suffix", ["jsonl", "csv"])
def test_knowledge_export_round_trips(store: Store, tmp_path: Path, suffix: str) -> None:
    import_knowledge(store, write(tmp_path / "kb.csv", KB_CSV))
    exported = tmp_path / f"export.{suffix}"
    assert export_knowledge(store, exported) == 2
    other = Store.open(":memory:")
    import_knowledge(other, exported)
    strip = [e.to_dict() | {"updated_at": ""} for e in store.all_knowledge()]
    assert [e.to_dict() | {"updated_at": ""} for e in other.all_knowledge()] == strip
    other.close()


def test_csv_export_opens_in_excel_as_utf8_with_bom(store: Store, tmp_path: Path) -> None:
    import_knowledge(store, write(tmp_path / "kb.csv", KB_CSV))
    exported = tmp_path / "export.csv"
    export_knowledge(store, exported)
    assert exported.read_bytes().startswith(b"\xef\xbb\xbf")
    export_knowledge(store, exported, encoding="cp932")
    assert "解約の手続き" in exported.read_bytes().decode("cp932")


def test_unknown_file_type_and_missing_file_are_reported(store: Store, tmp_path: Path) -> None:
    with pytest.raises(ImportFileError, match="unknown file type"):
        import_knowledge(store, write(tmp_path / "kb.xlsx", "x"))
    with pytest.raises(ImportFileError, match=r"missing\.csv: cannot read"):
        import_knowledge(store, tmp_path / "missing.csv")


def test_trigger_phrases_import_as_rules_and_round_trip(store: Store, tmp_path: Path) -> None:
    text = "id,title,body,triggers\nretention,引き止めトーク,特典のご案内を先に,解約;やめたい\n"
    import_knowledge(store, write(tmp_path / "kb.csv", text, "cp932"))
    rules = store.trigger_rules()
    assert [(r.entry_id, r.phrases) for r in rules] == [("retention", ("解約", "やめたい"))]
    exported = tmp_path / "out.jsonl"
    export_knowledge(store, exported)
    assert json.loads(exported.read_text("utf-8"))["triggers"] == ["解約", "やめたい"]
    # A file without a triggers column leaves the rule alone; an empty triggers cell removes it.
    import_knowledge(store, write(tmp_path / "kb2.csv", "id,title\nretention,引き止めトーク\n"))
    assert [r.phrases for r in store.trigger_rules()] == [("解約", "やめたい")]
    import_knowledge(store, write(tmp_path / "kb3.csv", "id,title,triggers\nretention,引き止めトーク,\n"))
    assert store.trigger_rules() == []


def test_a_note_imported_before_notes_had_a_stable_key_is_updated_not_duplicated(
    file_store: Store, tmp_path: Path
) -> None:
    import hashlib

    from assist.domain import Customer, Note

    # How an earlier version keyed a note without an id: by its text, author and time.
    old_id = "note-" + hashlib.sha1("c1\x00旧メモ\x00佐藤\x002026-01-05".encode()).hexdigest()[:16]
    file_store.upsert_customer(Customer(id="c1", name="山田 太郎"))
    file_store.upsert_note(Note(old_id, "c1", "旧メモ", author="佐藤", created_at="2026-01-05"))
    app_note = Note("note-0123456789ab", "c1", "通話中のメモ", author="佐藤", created_at="2026-01-05")
    file_store.upsert_note(app_note)
    row = {"id": "c1", "notes": [{"text": "新メモ", "author": "佐藤", "created_at": "2026-01-05"}]}
    report = import_customers(file_store, write(tmp_path / "crm.jsonl", json.dumps(row, ensure_ascii=False)))
    assert report.updated == 1
    notes = {n.id: n.text for n in file_store.notes_for("c1")}
    assert notes == {old_id: "新メモ", app_note.id: "通話中のメモ"}  # the agent's own note is never touched
