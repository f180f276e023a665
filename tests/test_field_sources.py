"""The survey's other sources: observation notes, documents (PDF and others), social-network
groups (Telegram, Facebook), read from real files and layouts, then coded and analysed."""

from __future__ import annotations

import re

import pandas as pd
import pytest

from enquete.ingest import detect_kind, ingest_paths
from enquete.ingest.field import pdf_paragraphs, read_field_document, read_observation
from enquete.ingest.social import read_social, repair
from tests.conftest import DEMO, FIXTURES, reading_warnings

REAL = FIXTURES / "real"
DOCUMENTS = REAL / "documents"
SOCIAL = REAL / "social"


# --- documents ----------------------------------------------------------------------------------


def test_a_libreoffice_pdf_is_read_as_passages_of_its_page():
    read = read_field_document(DOCUMENTS / "002-trivial-libre-office-writer.pdf")
    assert set(read["message_type"]) == {"passage"} and set(read["page"]) == {1}
    assert read["text"].str.startswith("Lorem ipsum dolor sit amet").iloc[0] and read["source_type"].eq("document").all()


def test_every_page_of_a_latex_pdf_and_no_word_lost():
    from pypdf import PdfReader

    read = read_field_document(DOCUMENTS / "pdflatex-4-pages.pdf")
    assert sorted(set(read["page"])) == [1, 2, 3, 4]
    words = [w for page in PdfReader(DOCUMENTS / "pdflatex-4-pages.pdf").pages for w in page.extract_text().split()]
    kept = " ".join(read["text"]).split()
    assert len(kept) >= len(words) - sum(w.endswith("-") for w in words)  # only hyphenated line ends are joined


def test_a_google_docs_pdf_heading_becomes_the_section():
    read = read_field_document(DOCUMENTS / "google-doc-document.pdf")
    assert read.loc[0, "message_type"] == "metadata" and read.loc[0, "text"] == "Example document"
    assert read.loc[read["message_type"] == "passage", "section"].eq("Example document").all()


def test_pdf_paragraphs_follow_the_lines_of_a_justified_page():
    page = ("Le collectif se réunit chaque mois dans le local commun du bâtiment C et rend compte\n"
            "de ses décisions aux locataires par voie d'affichage dans les halls.\n"
            "Article 2 - Objet\n"
            "L'association a pour objet de représenter les locataires auprès du bailleur et de favo-\n"
            "riser les liens entre habitants.")
    assert pdf_paragraphs(page) == [
        "Le collectif se réunit chaque mois dans le local commun du bâtiment C et rend compte de ses décisions aux locataires par voie d'affichage dans les halls.",
        "Article 2 - Objet",
        "L'association a pour objet de représenter les locataires auprès du bailleur et de favoriser les liens entre habitants.",
    ]


def test_scans_and_locked_pdfs_are_rejected_with_their_reason_and_the_rest_goes_on(tmp_path):
    from pypdf import PdfWriter

    scan = tmp_path / "scan.pdf"
    writer = PdfWriter()
    writer.add_blank_page(595, 842)
    writer.write(scan)
    with reading_warnings("page\\(s\\) sans texte"):
        segments, rejects = ingest_paths([scan, DOCUMENTS / "libreoffice-writer-password.pdf", DOCUMENTS / "imagemagick-images.pdf"])
    reasons = dict(zip(rejects["source_path"], rejects["reason"]))
    assert "OCR nécessaire" in reasons["scan.pdf"] and "protégé par mot de passe" in reasons["libreoffice-writer-password.pdf"]
    assert set(segments["document_id"]) == {"imagemagick_images"}  # read, its pages without text said


def test_the_demo_documents_keep_their_headings_pages_and_author():
    statutes = read_field_document(DEMO / "documents" / "statuts_collectif_batiment_c.pdf")
    passages = statutes[statutes["message_type"] == "passage"]
    assert len(passages) == 7 and passages["speaker_role"].eq("author").all()
    assert passages["section"].str.match(r"Article \d - ").all() and set(passages["page"]) == {1}
    minutes = read_field_document(DEMO / "documents" / "compte_rendu_rencontre_bailleur.docx")
    assert minutes.loc[minutes["message_type"] == "metadata", "text"].str.match(r"(Compte rendu|\d\. )").all()
    assert minutes["message_type"].eq("passage").sum() == 5


# --- observation notes --------------------------------------------------------------------------


def test_observation_notes_are_dated_entries_written_by_the_observer():
    notes = read_observation(DEMO / "terrain" / "carnet_observation_batiment_c.md")
    entries = notes[notes["message_type"] == "metadata"]
    assert len(entries) == 5 and entries["timestamp"].notna().sum() == 4  # the notebook's title has no date
    body = notes[notes["message_type"] == "note"]
    assert len(body) == 11 and body["speaker_role"].eq("observer").all() and body["timestamp"].notna().all()
    first = body.iloc[0]
    assert first["timestamp"] == pd.Timestamp("2020-10-03 18:00") and first["section"] == "Réunion d'information dans la cour, 18h"


def test_a_notebook_is_recognised_without_being_declared_and_interviews_are_not(tmp_path):
    import docx

    notebook = docx.Document()
    notebook.add_heading("Jeudi 12 mai 2022, 18h30 — Conseil citoyen, maison de quartier", level=2)
    notebook.add_paragraph("Une vingtaine de présents, surtout des retraités ; la présidente ouvre la séance.")
    notebook.add_heading("14/05/2022 - Marché, stand de l'amicale", level=2)
    notebook.add_paragraph("Beaucoup de passage, des familles s'arrêtent pour signer la pétition.")
    notebook.save(tmp_path / "carnet.docx")
    assert detect_kind(tmp_path / "carnet.docx") == "observation"
    segments, _ = ingest_paths([tmp_path / "carnet.docx"])
    assert segments["source_type"].eq("observation").all()
    assert segments.loc[segments["message_type"] == "note", "timestamp"].tolist() == [pd.Timestamp("2022-05-12 18:30"), pd.Timestamp("2022-05-14")]
    transcripts = sorted((REAL / "transcripts").iterdir())
    assert {p.name: detect_kind(p) for p in transcripts} == {p.name: "interview" for p in transcripts}


# --- social-network groups ----------------------------------------------------------------------


def test_a_telegram_group_with_its_replies_media_poll_and_edits():
    chat = read_social(SOCIAL / "telegram_groupe_fr.json")
    assert chat["message_type"].tolist() == ["system", "text", "text", "text", "media", "poll"]
    assert chat.loc[0, "text"] == "Nadia Ferreira a créé le groupe « Voisins de la rue Hoche » avec Nadia Ferreira, Paul Lemoine"
    assert chat.loc[2, "text"] == "Super idée. J'ai des outils à prêter, voir https://example.org/outils 👍"
    assert chat.loc[2, "reply_to"] == chat.loc[1, "segment_id"] and chat.loc[4, "reply_to"] == chat.loc[3, "segment_id"]
    assert bool(chat.loc[3, "media"]) and bool(chat.loc[3, "edited"]) and chat.loc[5, "text"] == "Quel jour pour planter ? / Samedi / Dimanche"
    assert chat["section"].eq("Voisins de la rue Hoche").all() and chat["timestamp"].is_monotonic_increasing
    assert chat.loc[1, "reactions"] == 4 and chat.loc[2, "reactions"] is pd.NA


def test_a_whole_telegram_account_gives_each_chat_its_section():
    export = read_social(SOCIAL / "telegram_compte_complet.json")
    assert export["section"].tolist() == ["Amicale des locataires", "Amicale des locataires", "Karim Ouali"]
    assert export.loc[1, "reply_to"] == export.loc[0, "segment_id"]
    assert export.loc[0, "timestamp"] == pd.Timestamp("2022-05-10 00:23:53")  # Unix time read as Paris time


def test_facebook_messenger_is_repaired_put_in_order_and_nothing_is_lost():
    thread = read_social(SOCIAL / "facebook_messenger_message_1.json")
    assert thread["timestamp"].is_monotonic_increasing and len(thread) == 5
    assert thread["message_type"].tolist() == ["system", "deleted", "text", "media", "text"]
    assert thread.loc[2, "speaker"] == "Hélène Marchal" and thread.loc[2, "text"].endswith("très réussi ! 🎉")
    assert thread.loc[3, "attachment"] == "278_1234.jpg" and repair("Ã©tÃ©") == "été" and repair("déjà") == "déjà"
    assert thread.loc[2, "reactions"] == 1


def test_facebook_group_posts_and_comments_name_their_author_and_group():
    posts = read_social(SOCIAL / "facebook_group_posts_and_comments.json")
    assert posts["speaker"].eq("Hélène Marchal").all() and posts["section"].eq("Voisins du quartier Hoche").all()
    assert posts["message_type"].tolist() == ["text", "media", "text"]
    comments = read_social(SOCIAL / "facebook_comments.json")
    assert comments["message_type"].tolist() == ["text", "media"] and comments.loc[0, "text"] == "J'apporte des livres pour les petits."


def test_json_files_are_told_apart_and_an_unknown_one_is_rejected(tmp_path):
    assert detect_kind(SOCIAL / "telegram_groupe_fr.json") == "social"
    assert detect_kind(REAL / "transcripts" / "whisperx_fr.json") == "interview"
    (tmp_path / "autre.json").write_text('{"segments": "non"}', encoding="utf-8")
    _, rejects = ingest_paths([tmp_path / "autre.json"])
    assert re.search("Whisper", rejects.loc[0, "reason"])


# --- coded, analysed, pseudonymised --------------------------------------------------------------


@pytest.mark.slow
def test_the_other_sources_are_coded_shown_as_sources_and_pseudonymised(tmp_path):
    import shutil

    import yaml
    from typer.testing import CliRunner

    from enquete.cli import app
    from enquete.io import read_table
    from enquete.private import KEY_FILE
    from enquete.vocabulary import internal
    from tests.conftest import small_corpus

    corpus = small_corpus(tmp_path / "corpus")
    for folder in ("terrain", "documents", "reseaux"):
        shutil.copytree(DEMO / folder, corpus / folder)
    manifest = yaml.safe_load((corpus / "corpus.yaml").read_text(encoding="utf-8"))
    demo = yaml.safe_load((DEMO / "corpus.yaml").read_text(encoding="utf-8"))
    manifest["documents"] += [d for d in demo["documents"] if d["kind"] in ("observation", "document", "social")]
    (corpus / "corpus.yaml").write_text(yaml.safe_dump(manifest, allow_unicode=True), encoding="utf-8")
    result = CliRunner().invoke(app, ["run", str(corpus), "--out", str(tmp_path / "out")])
    assert result.exit_code == 0, result.output
    segments = pd.read_parquet(tmp_path / "out" / "segments.parquet")
    field = segments[segments["message_type"].isin(["note", "passage"])]
    assert len(field) == 11 + 7 + 5 and field["codes"].notna().all()  # coded
    by_source = internal(read_table(tmp_path / "out" / "tables" / "facteurs_par_source.csv"))
    assert {"observation", "document", "social"} <= set(by_source["source"])
    by_initiative = internal(read_table(tmp_path / "out" / "tables" / "facteurs_par_initiative.csv"))
    speech = segments[segments["message_type"].isin(["turn", "paragraph", "text", "poll"]) & ~segments["speaker_role"].isin(["interviewer", "system"])]
    assert by_initiative.groupby("initiative")["segments"].sum().sum() <= speech["codes"].fillna("").str.count(r"\w+").sum()
    originals = set(read_table(corpus / ".enquete-private" / KEY_FILE)["original"].astype(str))
    social = segments[segments["source_type"] == "social"]
    assert not originals & set(social["speaker"].dropna()) and not originals & set(segments["section"].dropna())
    assert social["reply_to"].dropna().isin(segments["segment_id"]).all() and social["reply_to"].notna().sum() == 7
    edges = read_table(tmp_path / "out" / "tables" / "whatsapp_reponses.csv")
    assert (edges.iloc[:, 0] == "Les Peupliers — entraide").any()  # the reply network reaches the Telegram group, by its name
    import zipfile

    with zipfile.ZipFile(tmp_path / "out" / "exports" / "projet.qdpx") as project:
        sources = set(re.findall(r'<TextSource [^>]*name="([^"]+)"', project.read("project.qde").decode("utf-8")))
    assert {"OBS_batiment_c", "DOC_statuts_batiment_c", "DOC_cr_bailleur", "SOC_peupliers"} <= sources  # REFI-QDA text sources
