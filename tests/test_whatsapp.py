"""WhatsApp exports: every header variant, message type, sender form, zip and bad input."""

from __future__ import annotations

import datetime as dt
import zipfile

import numpy as np
import pandas as pd
import pytest

from enquete.corpus import Document
from enquete.ingest import IngestError, Reject, read_whatsapp
from enquete.ingest.whatsapp import count_lines, infer_date_order, parse_whatsapp
from enquete.schema import document_text, validate_segments
from enquete.settings import Settings
from tests.conftest import reading_warnings

NNBSP, NBSP, LRM = "\u202f", "\u00a0", "\u200e"


def parse(text: str, **kwargs):
    """Parse an export given as text; check conservation of lines and the offsets invariant."""
    rejects: list[Reject] = []
    data = text.encode(kwargs.pop("encoding", "utf-8"))
    df = parse_whatsapp(data, Document(id="chat", path=None, relpath="chat.txt"), rejects=rejects, **kwargs)
    validate_segments(df)
    plain = document_text(df)
    assert all(plain[s:e] == t for s, e, t in zip(df["start_char"], df["end_char"], df["text"]))
    data = text.replace("\r\n", "\n").encode()
    assert lines_read(df, data) + len(rejects) == count_lines(data), "every input line is in a message or the rejects"
    return df, rejects


def lines_read(df, data: bytes) -> int:
    """The lines of an export its messages account for: each text's lines, the media marker line
    above a caption, and the blank lines that end a message (WhatsApp sends no message ending
    with a line break: the reader leaves them out). Read from the file, by the messages' source lines."""
    lines = data.replace(b"\r\n", b"\n").decode("utf-8-sig", "replace").split("\n")
    lines = lines[:-1] if data.endswith(b"\n") else lines
    starts = df["source_line"].astype(int).tolist()
    count = 0
    for start, end, text, marker in zip(starts, starts[1:] + [len(lines) + 1], df["text"], df["media"] & (df["message_type"] == "text")):
        region = lines[start - 1 : end - 1]
        blank = len(region) - len("\n".join(region).rstrip("\n").split("\n"))
        above = bool(marker) and text.split("\n")[0] not in region[0]  # "IMG-1.jpg (file attached)" then the caption
        count += text.count("\n") + 1 + above + blank
    return count


def rows(df, *columns):
    columns = columns or ("speaker", "message_type", "text")
    return [tuple(None if pd.isna(v) else v for v in row) for row in df[list(columns)].itertuples(index=False)]


# --- header variants --------------------------------------------------------------------

VARIANTS = {
    "android_fr": ("26/09/2023 22:39 - Amélie: Bonjour", dt.datetime(2023, 9, 26, 22, 39)),
    "android_fr_comma": ("26/09/2023, 22:39 - Amélie: Bonjour", dt.datetime(2023, 9, 26, 22, 39)),
    "android_fr_old": ("26/09/2019 à 22:39 - Amélie: Bonjour", dt.datetime(2019, 9, 26, 22, 39)),
    "android_en_nnbsp": (f"1/14/23, 7:02{NNBSP}PM - Amélie: Bonjour", dt.datetime(2023, 1, 14, 19, 2)),
    "android_en_nbsp": (f"1/14/23, 7:02{NBSP}AM - Amélie: Bonjour", dt.datetime(2023, 1, 14, 7, 2)),
    "android_am_dots": ("14/1/23, 12:05 a.m. - Amélie: Bonjour", dt.datetime(2023, 1, 14, 0, 5)),
    "android_pm_spaced": (f"14/1/23, 3:05{NBSP}p. m. - Amélie: Bonjour", dt.datetime(2023, 1, 14, 15, 5)),
    "android_dots_2digit": ("26.09.23, 22:39 - Amélie: Bonjour", dt.datetime(2023, 9, 26, 22, 39)),
    "android_dashes_ymd": ("2023-09-26 22:39 - Amélie: Bonjour", dt.datetime(2023, 9, 26, 22, 39)),
    "ios_fr": ("[26/09/2023 22:39:05] Amélie: Bonjour", dt.datetime(2023, 9, 26, 22, 39, 5)),
    "ios_fr_comma": ("[26/09/2023, 22:39:05] Amélie: Bonjour", dt.datetime(2023, 9, 26, 22, 39, 5)),
    "ios_en": (f"[1/14/23, 7:02:15{NNBSP}PM] Amélie: Bonjour", dt.datetime(2023, 1, 14, 19, 2, 15)),
    "ios_lrm_before_bracket": (f"{LRM}[26/09/2023 22:39:05] Amélie: Bonjour", dt.datetime(2023, 9, 26, 22, 39, 5)),
}


@pytest.mark.parametrize("name", VARIANTS)
def test_header_variants(name):
    line, expected = VARIANTS[name]
    with reading_warnings("ordre des dates ambigu"):  # a single message: its date order may be a guess
        df, rejects = parse(line + "\n")
    assert rows(df, "speaker", "timestamp", "text") == [("Amélie", pd.Timestamp(expected), "Bonjour")]
    assert not rejects
    assert df.attrs["header_format"] == ("ios" if "ios" in name else "android")


def test_bom_crlf_and_bom_at_line_start():
    text = "\ufeff26/09/2023 22:39 - Amélie: Un\r\n\ufeff26/09/2023 22:40 - Karim: Deux\r\nsuite\r\n"
    df, _ = parse(text)
    assert rows(df) == [("Amélie", "text", "Un"), ("Karim", "text", "Deux\nsuite")]


def test_text_is_kept_exactly_as_written():
    text = "26/09/2023 22:39 - Amélie: 45 m² 👩‍👩‍👧‍👦 ﬁn ½ « citation »  \n"
    df, _ = parse(text)
    assert df["text"].iloc[0] == "45 m² 👩‍👩‍👧‍👦 ﬁn ½ « citation »  "


def test_multiline_messages_with_colons_brackets_and_dates():
    text = (
        "26/09/2023 22:39 - Amélie: Ordre du jour :\n"
        "1. AG : 18h [salle]\n"
        "\n"
        "le 26/09/2023 on vote\n"
        "26/09/2023 22:41 - Karim: ok\n"
    )
    df, _ = parse(text)
    assert rows(df) == [
        ("Amélie", "text", "Ordre du jour :\n1. AG : 18h [salle]\n\nle 26/09/2023 on vote"),
        ("Karim", "text", "ok"),
    ]
    assert df["source_line"].tolist() == [1, 5]


SENDERS = [
    "Jean-Pierre Morel",
    "Zoé Lefèvre-Dupont",
    "Karim 🌻",
    "Manuel (gardien)",
    "+33 6 12 34 56 78",
    "Dr. N'Diaye",
]


@pytest.mark.parametrize("sender", SENDERS)
def test_sender_forms(sender):
    df, _ = parse(f"26/09/2023 22:39 - {sender}: Bonjour\n")
    assert rows(df) == [(sender, "text", "Bonjour")]


def test_sender_marks_tilde_prefix_and_space_before_colon():
    text = (
        "26/09/2023 22:39 - \u202a+33 6 12 34 56 78\u202c: Allô\n"
        f"26/09/2023 22:40 - ~{NNBSP}Lucie: Coucou\n"
        "26/09/2023 22:41 - ~ Samia: Salut\n"
        "26/09/2023 22:42 - Amélie Durand : Bonsoir\n"
    )
    df, _ = parse(text)
    assert rows(df, "speaker") == [("+33 6 12 34 56 78",), ("Lucie",), ("Samia",), ("Amélie Durand",)]


# --- message types ----------------------------------------------------------------------


def test_android_french_types():
    text = (
        "26/09/2023 22:30 - Les messages et les appels sont chiffrés de bout en bout. Aucun tiers ne peut les lire.\n"
        "26/09/2023 22:31 - Amélie a créé le groupe « Locataires »\n"
        "26/09/2023 22:32 - Amélie a ajouté Karim\n"
        "26/09/2023 22:33 - Amélie a changé le sujet de « Locataires » en « AG : 18h »\n"
        "26/09/2023 22:34 - Amélie a changé l'icône de ce groupe\n"
        "26/09/2023 22:35 - Amélie a modifié la description du groupe\n"
        "26/09/2023 22:36 - Karim a changé son numéro de téléphone. Appuyez pour envoyer un message.\n"
        "26/09/2023 22:37 - Lucie a rejoint ce groupe via le lien d'invitation\n"
        "26/09/2023 22:38 - Amélie a retiré Lucie\n"
        "26/09/2023 22:39 - Karim est parti\n"
        "26/09/2023 22:40 - Vous êtes désormais admin\n"
        "26/09/2023 22:41 - Amélie: <Médias omis>\n"
        "26/09/2023 22:42 - Amélie: IMG-20230926-WA0001.jpg (fichier joint)\n"
        "Photo de la fête\n"
        "26/09/2023 22:43 - Amélie: Ce message a été supprimé\n"
        "26/09/2023 22:44 - Amélie: Vous avez supprimé ce message\n"
        "26/09/2023 22:45 - Amélie: RDV 18h <Ce message a été modifié>\n"
        "26/09/2023 22:46 - Amélie: SONDAGE :\nQuelle date ?\nOPTION : samedi (3 votes)\nOPTION : dimanche (1 vote)\n"
        "26/09/2023 22:47 - Amélie: position : https://maps.google.com/?q=48.85,2.35\n"
        "26/09/2023 22:48 - Amélie: Karim.vcf (fichier joint)\n"
    )
    df, _ = parse(text)
    got = rows(df, "speaker", "speaker_role", "message_type")
    assert got[:11] == [(None, "system", "system")] * 11
    assert got[11:] == [("Amélie", "member", t) for t in ("media", "text", "deleted", "deleted", "text", "poll", "location", "contact")]
    assert df["text"].iloc[3] == "Amélie a changé le sujet de « Locataires » en « AG : 18h »"
    assert df["attachment"].iloc[12] == "IMG-20230926-WA0001.jpg"
    assert df["text"].iloc[12] == "Photo de la fête" and df["media"].iloc[12], "the caption is the text, the media flagged"
    assert df["text"].iloc[15] == "RDV 18h" and bool(df["edited"].iloc[15])
    assert not df["edited"].iloc[:15].any()
    assert df.attrs["language"] == "fr"


def test_android_english_types():
    text = (
        f"1/14/23, 7:00{NNBSP}PM - Messages and calls are end-to-end encrypted. No one outside of this chat can read them.\n"
        f'1/14/23, 7:01{NNBSP}PM - Amelie created group "Tenants"\n'
        f"1/14/23, 7:02{NNBSP}PM - Amelie added Karim\n"
        f'1/14/23, 7:03{NNBSP}PM - Amelie changed the subject from "Tenants" to "AGM: 6pm"\n'
        f"1/14/23, 7:04{NNBSP}PM - Karim left\n"
        f"1/14/23, 7:05{NNBSP}PM - Lucie joined using this group's invite link\n"
        f"1/14/23, 7:06{NNBSP}PM - Amelie: <Media omitted>\n"
        f"1/14/23, 7:07{NNBSP}PM - Amelie: This message was deleted\n"
        f"1/14/23, 7:08{NNBSP}PM - Amelie: You deleted this message\n"
        f"1/14/23, 7:09{NNBSP}PM - Amelie: see you <This message was edited>\n"
        f"1/14/23, 7:10{NNBSP}PM - Amelie: POLL:\nWhen?\nOPTION: Sat (2 votes)\n"
        f"1/14/23, 7:11{NNBSP}PM - Amelie: location: https://maps.google.com/?q=48.85,2.35\n"
        f"1/14/23, 7:12{NNBSP}PM - Amelie: DOC-20230114-WA0003.pdf (file attached)\n"
    )
    df, _ = parse(text)
    assert df["message_type"].tolist() == ["system"] * 6 + ["media", "deleted", "deleted", "text", "poll", "location", "media"]
    assert df["text"].iloc[3] == 'Amelie changed the subject from "Tenants" to "AGM: 6pm"'
    assert df["text"].iloc[9] == "see you" and bool(df["edited"].iloc[9])
    assert df["attachment"].iloc[12] == "DOC-20230114-WA0003.pdf"
    assert df.attrs["language"] == "en"


def test_ios_french_types_with_group_name_and_marks():
    text = (
        f"[26/09/2023 22:30:00] Locataires: {LRM}Les messages et les appels sont chiffrés de bout en bout.\n"
        f"[26/09/2023 22:31:00] Locataires: {LRM}Amélie a créé le groupe « Locataires »\n"
        f"[26/09/2023 22:32:00] Locataires: {LRM}Amélie a ajouté Karim\n"
        f"[26/09/2023 22:33:00] Amélie: {LRM}<pièce jointe : 00000012-PHOTO-2023-09-26-22-33-00.jpg>\n"
        f"[26/09/2023 22:34:00] Amélie: {LRM}image absente\n"
        f"[26/09/2023 22:35:00] Karim: {LRM}Ce message a été supprimé.\n"
        f"[26/09/2023 22:36:00] Karim: Salut : ça va ?\n"
        f"[26/09/2023 22:37:00] Karim: {LRM}Carte de contact omise\n"
    )
    df, _ = parse(text, group="Locataires")
    assert rows(df, "speaker", "message_type") == [
        (None, "system"), (None, "system"), (None, "system"),
        ("Amélie", "media"), ("Amélie", "media"), ("Karim", "deleted"), ("Karim", "text"), ("Karim", "contact"),
    ]
    assert df["text"].tolist()[1] == "Amélie a créé le groupe « Locataires »"
    assert df["text"].tolist()[6] == "Salut : ça va ?"
    assert df["attachment"].iloc[3] == "00000012-PHOTO-2023-09-26-22-33-00.jpg"


def test_ios_system_lines_found_without_the_group_name():
    text = f"[26/09/2023 22:31:00] Voisins: {LRM}Amélie a ajouté Karim\n[26/09/2023 22:32:00] Amélie: Bonjour\n"
    df, _ = parse(text)
    assert rows(df, "speaker", "message_type") == [(None, "system"), ("Amélie", "text")]


def test_a_colon_in_a_system_line_does_not_invent_a_sender():
    df, _ = parse("26/09/2023 22:33 - Amélie a changé le sujet de « Locataires » en « AG : 18h »\n"
                  "26/09/2023 22:34 - Amélie: ok\n")
    assert rows(df, "speaker", "speaker_role") == [(None, "system"), ("Amélie", "member")]


def test_a_member_message_that_looks_like_a_system_phrase_keeps_its_sender():
    df, _ = parse("26/09/2023 22:33 - Karim: Nadia a ajouté des photos sur le drive\n"
                  "26/09/2023 22:34 - Karim: Amélie a quitté la réunion tôt\n")
    assert rows(df, "speaker", "message_type") == [("Karim", "text"), ("Karim", "text")]


# --- date order -------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("lines", "expected"),
    [
        (["13/01/2023 10:00", "14/01/2023 10:00"], "DMY"),  # a field above 12
        (["01/13/2023 10:00", "01/14/2023 10:00"], "MDY"),
        (["2023-01-02 10:00", "2023-01-03 10:00"], "YMD"),
        (["12/01/2023 10:00", "01/02/2023 10:00", "05/02/2023 10:00"], "DMY"),  # chronology
        (["01/12/2023 10:00", "02/01/2023 10:00", "02/05/2023 10:00"], "MDY"),
        (["01/01/2023 10:00", "02/01/2023 10:00", "03/01/2023 10:00", "03/01/2023 11:00"], "DMY"),  # day changes more
    ],
)
def test_date_order_is_inferred_from_the_data(lines, expected):
    text = "".join(f"{line} - A: m{i}\n" for i, line in enumerate(lines))
    df, _ = parse(text)
    assert df.attrs["date_order"] == expected


def test_ambiguous_dates_fall_back_to_the_locale_with_a_warning_naming_the_file():
    text = "01/02/2023 10:00 - A: un\n"
    with pytest.warns(UserWarning, match="chat.txt : ordre des dates ambigu, DMY"):
        df, _ = parse(text)
    assert df["timestamp"].iloc[0] == pd.Timestamp("2023-02-01 10:00")
    with pytest.warns(UserWarning, match="MDY"):
        df, _ = parse(f"1/2/23, 10:00{NNBSP}AM - A: un\n")
    assert df["timestamp"].iloc[0] == pd.Timestamp("2023-01-02 10:00")


def test_the_user_can_force_the_date_order():
    df, _ = parse("01/02/2023 10:00 - A: un\n", date_order="MDY")
    assert df["timestamp"].iloc[0] == pd.Timestamp("2023-01-02 10:00")
    df, _ = parse("01/02/2023 10:00 - A: un\n", settings=Settings(date_order="MDY"))
    assert df["timestamp"].iloc[0] == pd.Timestamp("2023-01-02 10:00")


def test_infer_date_order_returns_none_when_undecidable():
    import numpy as np

    one = np.array([1])
    assert infer_date_order(one, one, np.array([23])) is None


# --- zip exports ------------------------------------------------------------------------

CHAT = "[26/09/2023 22:33:00] Amélie: \u200e<pièce jointe : 00000001-PHOTO-2023-09-26.jpg>\n[26/09/2023 22:34:00] Karim: \u200e<pièce jointe : 00000002-PHOTO-2023-09-26.jpg>\n"


def _zip(tmp_path, members: dict[str, bytes], name="export.zip"):
    path = tmp_path / name
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as zf:
        for member, data in members.items():
            zf.writestr(member, data)
    return path


@pytest.mark.parametrize("member", ["_chat.txt", "WhatsApp Chat with Voisins.txt", "Discussion WhatsApp avec Voisins.txt"])
def test_zip_reads_the_chat_and_links_media(tmp_path, member):
    path = _zip(tmp_path, {member: CHAT.encode(), "00000001-PHOTO-2023-09-26.jpg": b"\xff\xd8jpeg"})
    df = read_whatsapp(path)
    assert df["attachment"].tolist() == ["00000001-PHOTO-2023-09-26.jpg", "00000002-PHOTO-2023-09-26.jpg"]
    assert df["attachment_found"].tolist() == [True, False]


def test_zip_slip_is_refused(tmp_path):
    path = _zip(tmp_path, {"_chat.txt": CHAT.encode(), "../../evil.sh": b"rm -rf /"})
    with pytest.raises(IngestError, match="zip slip"):
        read_whatsapp(path)
    path = _zip(tmp_path, {"_chat.txt": CHAT.encode(), "/etc/passwd": b"x"}, "abs.zip")
    with pytest.raises(IngestError, match="chemin dangereux"):
        read_whatsapp(path)


def test_zip_bomb_is_refused(tmp_path):
    path = _zip(tmp_path, {"_chat.txt": CHAT.encode(), "big.bin": b"\0" * 5_000_000})
    with pytest.raises(IngestError, match="bombe|compression"):
        read_whatsapp(path)
    with pytest.raises(IngestError, match="octets une fois décompressé"):
        read_whatsapp(_zip(tmp_path, {"_chat.txt": CHAT.encode()}, "small.zip"), settings=Settings(max_zip_bytes=100))


def test_truncated_zip_is_a_clear_error(tmp_path):
    path = _zip(tmp_path, {"_chat.txt": CHAT.encode() * 50, "photo.jpg": bytes(range(256)) * 40})
    cut = tmp_path / "cut.zip"
    cut.write_bytes(path.read_bytes()[: path.stat().st_size // 2])
    with pytest.raises(IngestError, match="cut.zip.*(zip illisible|tronqué)"):
        read_whatsapp(cut)


def test_zip_without_chat(tmp_path):
    with pytest.raises(IngestError, match="sans discussion"):
        read_whatsapp(_zip(tmp_path, {"photo.jpg": b"x"}))


# --- bad input --------------------------------------------------------------------------


def test_not_a_whatsapp_export(tmp_path):
    path = tmp_path / "notes.txt"
    path.write_text("Compte rendu de réunion\nPrésents : Amélie, Karim\n", encoding="utf-8")
    with pytest.raises(IngestError, match="notes.txt : ce n'est pas un export WhatsApp"):
        read_whatsapp(path)


def test_binary_and_empty_files(tmp_path):
    binary = tmp_path / "image.txt"
    binary.write_bytes(bytes(range(256)) * 10)
    with pytest.raises(IngestError, match="image.txt : données binaires"):
        read_whatsapp(binary)
    empty = tmp_path / "vide.txt"
    empty.write_bytes(b"")
    with pytest.raises(IngestError, match="vide.txt : fichier vide"):
        read_whatsapp(empty)


@pytest.mark.parametrize("encoding", ["cp1252", "utf-16"])
def test_other_encodings_are_detected(encoding):
    text = "26/09/2023 22:39 - Amélie: Réunion à l'école, été 2023\n26/09/2023 22:40 - Karim: Très bien\n"
    df, _ = parse(text, encoding=encoding)
    assert df["text"].tolist() == ["Réunion à l'école, été 2023", "Très bien"]


def test_truncated_file_rejects_the_partial_header_line():
    df, rejects = parse("26/09/2023 22:39 - Amélie: Bonjour\n26/09/2023 22:40 - Karim: Salut\n26/09/20")
    assert rows(df) == [("Amélie", "text", "Bonjour"), ("Karim", "text", "Salut")]
    assert [(r.line, r.reason, r.content) for r in rejects] == [(3, "ligne tronquée (fichier coupé ?)", "26/09/20")]


def test_lines_before_the_first_message_are_rejected_not_lost():
    df, rejects = parse("garbage line\nanother\n26/09/2023 22:39 - Amélie: Bonjour\n")
    assert len(df) == 1 and [r.line for r in rejects] == [1, 2]


def test_impossible_dates_keep_the_message_without_a_timestamp():
    df, _ = parse("31/02/2023 22:39 - Amélie: Bonjour\n13/03/2023 10:00 - Karim: ok\n")
    assert df["timestamp"].isna().tolist() == [True, False]


def test_demo_exports_conserve_every_line(demo_segments):
    from tests.conftest import DEMO

    segments, _ = demo_segments
    for path in (DEMO / "whatsapp").glob("*.txt"):
        data = path.read_bytes()
        doc = segments[segments["source_path"] == f"whatsapp/{path.name}"]
        assert lines_read(doc, data) == count_lines(data)


def test_years_of_headers_without_a_year_turn_with_the_months():
    from enquete.ingest.whatsapp.dates import month_number, years_of

    months, days = np.array([11, 12, 1, 2]), np.array([30, 31, 1, 20])
    assert years_of(months, days, first_year=2014).tolist() == [2014, 2014, 2015, 2015]
    assert years_of(months, days, export=dt.datetime(2015, 3, 1)).tolist() == [2014, 2014, 2015, 2015]
    assert years_of(months, days, export=dt.datetime(2015, 2, 10)).tolist() == [2013, 2013, 2014, 2014]  # 20 Feb is after the export
    assert [month_number(w) for w in ("Mar", "sept.", "févr", "Dez", "agosto", "mei", "Marzipan")] == [3, 9, 2, 12, 8, 5, None]
