"""Analyses: each table against a small hand-made coded table with known answers; figures."""

from __future__ import annotations

import xml.etree.ElementTree as ET

import matplotlib.dates as mdates
import pandas as pd
import pytest

from enquete.analysis import analyse, figures, write_analyses, write_figures
from enquete.analysis.tables import (
    cooccurrence,
    factors_by_initiative,
    factors_by_role,
    factors_by_source,
    mapping_table,
    trim,
    verbatims,
)
from enquete.analysis.whatsapp import gini, group_summary, member_centrality, monthly_members, reply_edges, weekly_activity
from enquete.codebook import Codebook, load_codebook
from enquete.io import word_counts

CODEBOOK = Codebook(
    id="mini",
    label="Mini",
    codes=[
        {"id": "a", "label": "Alpha", "definition": "premier", "color": "#FF0000", "maps_to": {"leviers_action": ["composter"]}},
        {"id": "b", "label": "Bêta", "definition": "second", "color": "#00FF00", "maps_to": {"leviers_action": ["composter", "valoriser_cooperer"]}},
    ],
)


def coded_table() -> pd.DataFrame:
    """8 coded segments: 4 interview turns (2 documents), 4 WhatsApp messages (1 group)."""
    rows = [
        # document, source, initiative, role, speaker, speaker_role, type, time, codes, score_a, score_b, text
        ("E1", "interview", "i1", "élu", "E", "interviewer", "turn", None, "", 0, 0, "Question ?"),
        ("E1", "interview", "i1", "élu", "R", "respondent", "turn", None, "a", 0.9, 0.1, "Une réponse assez longue qui parle du facteur alpha pour de vrai."),
        ("E1", "interview", "i1", "élu", "R", "respondent", "turn", None, "a;b", 0.8, 0.7, "Alpha et bêta ensemble dans une phrase plutôt longue et claire."),
        ("E2", "interview", "i2", "gardien", "R", "respondent", "turn", None, "b", 0.2, 0.95, "Bêta dit par le gardien dans une réponse longue et précise."),
        ("G1", "whatsapp", "i1", None, "Zoé", "member", "text", "2021-01-04 10:00", "a", 0.6, 0.0, "alpha court mais assez de mots ici"),
        ("G1", "whatsapp", "i1", None, "Léo", "member", "text", "2021-01-04 10:10", "", 0.1, 0.1, "ok"),
        ("G1", "whatsapp", "i1", None, "Zoé", "member", "media", "2021-01-04 11:00", None, 0, 0, "<Médias omis>"),
        ("G1", "whatsapp", "i1", None, "Léo", "member", "text", "2021-01-12 09:00", "a;b", 0.7, 0.6, "alpha et bêta, on fait ça ensemble samedi"),
        ("G1", "whatsapp", "i1", None, None, "system", "system", "2021-01-12 09:05", None, 0, 0, "Zoé a quitté"),
    ]
    df = pd.DataFrame(
        rows,
        columns=["document_id", "source_type", "initiative", "respondent_role", "speaker", "speaker_role", "message_type",
                 "timestamp", "codes", "score_a", "score_b", "text"],
    )
    df["timestamp"] = pd.to_datetime(df["timestamp"])
    df["segment_id"] = [f"{d}-{i:06d}" for i, d in enumerate(df["document_id"])]
    df["position"] = range(len(df))
    df["evidence"] = ""
    return df


def test_factors_by_initiative_counts_shares_and_speakers():
    table = factors_by_initiative(coded_table(), CODEBOOK).set_index(["code", "initiative"])
    # i1 has 5 coded segments (2 interview turns of E1's respondent + 3 member texts); i2 has 1
    assert table.loc[("a", "i1"), ["segments", "share", "speakers"]].tolist() == [4, 0.8, 3]
    assert table.loc[("b", "i1"), ["segments", "share", "speakers"]].tolist() == [2, 0.4, 2]
    assert table.loc[("b", "i2"), ["segments", "share", "speakers"]].tolist() == [1, 1.0, 1]
    assert table.loc[("a", "i2"), "segments"] == 0
    assert table.loc[("a", "i1"), "factor"] == "Alpha"


def test_factors_by_source_and_role():
    source = factors_by_source(coded_table(), CODEBOOK).set_index(["code", "source"])
    assert source.loc[("a", "interview"), ["segments", "share"]].tolist() == [2, pytest.approx(2 / 3, abs=1e-4)]
    assert source.loc[("a", "whatsapp"), ["segments", "share"]].tolist() == [2, pytest.approx(2 / 3, abs=1e-4)]
    role = factors_by_role(coded_table(), CODEBOOK).set_index(["code", "role"])
    assert role.loc[("b", "gardien"), "segments"] == 1 and role.loc[("a", "élu"), "segments"] == 2
    assert role.loc[("a", "whatsapp_member"), "speakers"] == 2


def test_cooccurrence_counts_jaccard_lift():
    table = cooccurrence(coded_table(), CODEBOOK)
    row = table.iloc[0]
    # 6 coded segments; a on 4, b on 3, both on 2: Jaccard 2/5, lift 2*6/(4*3)
    assert (row["code_a"], row["code_b"], row["segments"]) == ("a", "b", 2)
    assert row["jaccard"] == pytest.approx(0.4) and row["lift"] == pytest.approx(1.0)


def test_mapping_table_weights_targets_by_factor_frequency():
    table = mapping_table(coded_table(), CODEBOOK, load_codebook("leviers_action")).set_index("code")
    assert table.loc["composter", "segments"] == 4 + 3 and table.loc["valoriser_cooperer", "segments"] == 3
    assert "Alpha (4)" in table.loc["composter", "factors"]


def test_verbatims_bounds_ranking_diversity_attribution():
    table = verbatims(coded_table(), CODEBOOK, per_factor=5, min_words=6, initiatives={"i1": "Initiative Un", "i2": "Deux"})
    a = table[table["code"] == "a"]
    # "ok" is too short; one verbatim per speaker (E1|R counts once); best score first
    assert a["segment_id"].tolist() == ["E1-000001", "G1-000007", "G1-000004"]
    assert a["attribution"].iloc[0] == "E1, élu, Initiative Un"
    assert a["attribution"].iloc[1] == "G1, membre du groupe WhatsApp, Initiative Un"
    b = table[table["code"] == "b"]
    assert b["initiative"].iloc[0] == "i2" and b["initiative"].iloc[1] == "i1"  # initiatives take turns


def test_trim_keeps_the_sentences_carrying_the_cues():
    text = " ".join(f"Phrase numéro {i} sans intérêt particulier ici." for i in range(20)) + " Le gardien nous a prêté la salle. Fin."
    out = trim(text, ["gardien"], min_words=6, max_words=25)
    assert "gardien" in out and out.startswith("[…] ") and len(out.split()) <= 27
    assert trim("Court texte.", [], 6, 25) == "Court texte."


def test_gini():
    assert gini([5, 5, 5]) == 0.0
    assert gini([0, 0, 10]) == pytest.approx(2 / 3)
    assert gini([1, 3]) == pytest.approx(0.25)


def test_whatsapp_summary_weeks_members_and_replies():
    df = coded_table()
    summary = group_summary(df).iloc[0]
    assert summary["messages"] == 4 and summary["active_members"] == 2
    assert summary["top1_share"] == 0.5 and summary["media_share"] == 0.25 and summary["gini"] == 0.0
    weeks = weekly_activity(df)
    assert weeks["messages"].tolist() == [3, 1] and weeks["week"].iloc[0] == pd.Timestamp("2021-01-04")
    assert monthly_members(df)["active_members"].tolist() == [2]
    edges = reply_edges(df, window_minutes=30)
    # Léo answers Zoé at 10:10 (10 min); Zoé's 11:00 media is 50 min after Léo: no reply; Léo 12/01 is days later
    assert edges[["sender", "recipient", "replies"]].values.tolist() == [["Léo", "Zoé", 1]]
    assert len(reply_edges(df, window_minutes=60)) == 2
    centrality = member_centrality(edges).set_index("member")
    assert centrality.loc["Léo", "replies_given"] == 1 and centrality.loc["Zoé", "replies_received"] == 1


def test_analyse_and_write_everything(tmp_path):
    tables = analyse(coded_table(), CODEBOOK, {"i1": "Un", "i2": "Deux"})
    assert {"facteurs_par_initiative", "cooccurrences", "verbatims", "leviers_action", "whatsapp_groupes"} <= set(tables)
    paths = write_analyses(tables, tmp_path / "tables")
    with pd.ExcelFile(tmp_path / "tables" / "analyses.xlsx") as workbook:
        assert set(workbook.sheet_names) == set(tables) and len(paths) == len(tables) + 1
    figs = write_figures(tables, CODEBOOK, tmp_path / "figures", {"i1": "Un", "i2": "Deux"})
    assert {p.suffix for p in figs} == {".png", ".svg"} and len(figs) == 10


@pytest.mark.parametrize(
    ("make", "expected"),
    [
        (lambda t: figures.heatmap_by_initiative(t["facteurs_par_initiative"], CODEBOOK), ["Alpha", "Bêta", "Part des segments codés (%)"]),
        (lambda t: figures.shares_by_source(t["facteurs_par_source"], CODEBOOK), ["Alpha", "%"]),
        (lambda t: figures.activity_timeline(t["whatsapp_semaines"]), ["Semaine", "Messages par semaine"]),
        (lambda t: figures.reply_network(t["whatsapp_reponses"], "G1"), ["Qui répond à qui : G1", "Léo"]),
    ],
)
def test_figures_render_with_their_labels(make, expected):
    tables = analyse(coded_table(), CODEBOOK, {"i1": "Un", "i2": "Deux"})
    fig = make(tables)
    texts = {t.get_text() for t in fig.findobj(lambda o: hasattr(o, "get_text"))}
    for ax in fig.axes:
        texts |= {ax.get_xlabel(), ax.get_ylabel(), ax.get_title()} | {t.get_text() for t in ax.get_yticklabels()}
    for label in expected:
        assert label in texts, (label, sorted(texts)[:30])


def test_factor_colours_are_the_codebook_colours(tmp_path):
    tables = analyse(coded_table(), CODEBOOK, {"i1": "Un"})
    fig = figures.shares_by_source(tables["facteurs_par_source"], CODEBOOK)
    dots = [c for ax in fig.axes for c in ax.collections]
    colours = {tuple(round(x, 3) for x in rgba[:3]) for dot in dots for rgba in dot.get_edgecolor()}  # hollow: not corrected
    assert (1.0, 0.0, 0.0) in colours and (0.0, 1.0, 0.0) in colours
    assert "non corrigé" in " ".join(fig.get_suptitle().split())
    paths = figures.save(fig, tmp_path / "barres")
    svg = ET.parse(paths[1]).getroot()
    assert svg.tag.endswith("svg") and paths[0].stat().st_size > 5000


def test_figures_are_byte_identical_when_redrawn(tmp_path):
    first = figures.save(figures.cooccurrence_heatmap(pd.DataFrame([[None, 0.4], [0.4, None]], index=["a", "b"], columns=["a", "b"]), CODEBOOK), tmp_path / "x")
    second = figures.save(figures.cooccurrence_heatmap(pd.DataFrame([[None, 0.4], [0.4, None]], index=["a", "b"], columns=["a", "b"]), CODEBOOK), tmp_path / "y")
    assert [p.read_bytes() for p in first] == [p.read_bytes() for p in second]


@pytest.mark.parametrize("dtype", [object, "string[pyarrow]"])
def test_word_counts_are_those_of_str_split(dtype):
    texts = ["", "  un  deux\ttrois\n", "a\u00a0b\u202fc\u2028d\x85e\u3000f\x0bg", "fin. 😊 ok", "l'apéro-vélo"]
    counted = word_counts(pd.Series([*texts, None], dtype=dtype))
    assert counted.tolist() == [len(t.split()) for t in texts] + [0]


@pytest.mark.parametrize(("language", "percent"), [("fr", '0.0"\u202f"%'), ("en", "0.0%")])
def test_workbook_numbers_have_the_formats_of_their_language(tmp_path, language, percent):
    """Shares show as percentages (a narrow no-break space before % in French), indexes with two
    decimals, counts with a thousands separator; the reader's spreadsheet writes the decimal mark."""
    from openpyxl import load_workbook

    tables = analyse(coded_table(), CODEBOOK, {"i1": "Un", "i2": "Deux"}, language=language)
    write_analyses(tables, tmp_path, language=language)
    book = load_workbook(tmp_path / "analyses.xlsx")
    formats = {}
    for sheet in ("facteurs_par_initiative", "cooccurrences"):
        rows = list(book[sheet].iter_rows(min_row=1, max_row=2))
        formats.update({header.value: cell.number_format for header, cell in zip(rows[0], rows[1])})
    share = "part" if language == "fr" else "share"
    assert formats[share] == percent and formats["jaccard"] == "0.00" and formats["lift"] == "0.00" and formats["segments"] == "#,##0"


def test_segments_of_no_known_initiative_get_a_column_of_their_own():
    """A folder without corpus.yaml: no initiative is known, and the figure still says what it shows."""
    coded = coded_table().assign(initiative=None)
    fig = figures.heatmap_by_initiative(analyse(coded, CODEBOOK)["facteurs_par_initiative"], CODEBOOK)
    assert any(label.get_text().startswith("initiative non précisée") for label in fig.axes[0].get_xticklabels())


def test_each_group_of_the_weekly_activity_has_its_own_time_axis():
    """A three-week group beside one of ten years: its panel spans its own weeks (the newcomer's
    figure 5 put every group on one 2016–2026 axis), with French dates on every panel."""
    short = pd.DataFrame({"group": "court", "week": pd.date_range("2026-01-26", periods=3, freq="W-MON"), "messages": [5, 2, 4]})
    long = pd.DataFrame({"group": "long", "week": pd.date_range("2016-08-01", "2026-01-26", freq="W-MON"), "messages": 1})
    fig = figures.activity_timeline(pd.concat([short, long], ignore_index=True))
    first, second = fig.axes[:2]
    low, high = (mdates.num2date(x) for x in first.get_xlim())
    assert (high - low).days < 60 and low.year == 2026 - (low.month == 12)
    assert (mdates.num2date(second.get_xlim()[1]) - mdates.num2date(second.get_xlim()[0])).days > 3000
    fig.canvas.draw()
    labels = " ".join(t.get_text() for t in first.get_xticklabels())
    assert "février" in labels and not any(month in labels for month in ("Feb", "Jan"))
    assert max(bar.get_height() for bar in first.patches) == 5
