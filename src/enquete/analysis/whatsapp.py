"""WhatsApp group dynamics: activity over time, concentration, media mix, rhythms, replies."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

WEEKDAYS = ["lundi", "mardi", "mercredi", "jeudi", "vendredi", "samedi", "dimanche"]


def messages(segments: pd.DataFrame) -> pd.DataFrame:
    """Members' messages (system lines excluded) with a timestamp."""
    wa = segments[(segments["source_type"] == "whatsapp") & (segments["speaker_role"] == "member")]
    return wa[wa["timestamp"].notna()].copy()


def gini(values) -> float:
    """Gini coefficient of non-negative values (0: equal shares, →1: one holds everything)."""
    x = np.sort(np.asarray(values, dtype=float))
    n = len(x)
    if n == 0 or x.sum() == 0:
        return 0.0
    return float((2 * np.arange(1, n + 1) - n - 1).dot(x) / (n * x.sum()))


def group_summary(segments: pd.DataFrame) -> pd.DataFrame:
    """Per group: period, messages, members, share of the top 1 and top 3 members, Gini, media mix."""
    rows = []
    for doc_id, group in messages(segments).groupby("document_id", sort=True):
        per_member = group["speaker"].value_counts()
        total = int(per_member.sum())
        types = group["message_type"].value_counts()
        rows.append(
            {
                "groupe": doc_id,
                "initiative": group["initiative"].iloc[0],
                "premier_message": group["timestamp"].min(),
                "dernier_message": group["timestamp"].max(),
                "messages": total,
                "membres_actifs": int(per_member.size),
                "part_top1": round(per_member.iloc[:1].sum() / total, 4),
                "part_top3": round(per_member.iloc[:3].sum() / total, 4),
                "gini": round(gini(per_member.to_numpy()), 4),
                "part_medias": round(types.get("media", 0) / total, 4),
                "part_textes": round(types.get("text", 0) / total, 4),
            }
        )
    return pd.DataFrame(rows)


def weekly_activity(segments: pd.DataFrame) -> pd.DataFrame:
    """Messages per week and group (weeks without messages included, as zeros)."""
    wa = messages(segments)
    frames = []
    for doc_id, group in wa.groupby("document_id", sort=True):
        weekly = group.set_index("timestamp").resample("W-MON", label="left", closed="left")["segment_id"].count()
        frames.append(pd.DataFrame({"groupe": doc_id, "semaine": weekly.index, "messages": weekly.to_numpy()}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["groupe", "semaine", "messages"])


def monthly_members(segments: pd.DataFrame) -> pd.DataFrame:
    """Distinct active members per month and group."""
    wa = messages(segments)
    wa["mois"] = wa["timestamp"].dt.to_period("M").dt.to_timestamp()
    table = wa.groupby(["document_id", "mois"])["speaker"].nunique().rename("membres_actifs").reset_index()
    return table.rename(columns={"document_id": "groupe"})


def rhythms(segments: pd.DataFrame) -> pd.DataFrame:
    """Messages per group, weekday and hour of the day."""
    wa = messages(segments)
    table = wa.groupby(["document_id", wa["timestamp"].dt.day_of_week, wa["timestamp"].dt.hour]).size()
    table.index.names = ["groupe", "jour", "heure"]
    table = table.rename("messages").reset_index()
    table["jour"] = table["jour"].map(dict(enumerate(WEEKDAYS)))
    return table


def reply_edges(segments: pd.DataFrame, window_minutes: int = 30) -> pd.DataFrame:
    """Who answers whom: a message within ``window_minutes`` after another member's message.

    Each message counts once, towards the previous message's author when that author is
    someone else. Returns weighted edges (groupe, de, vers, reponses).
    """
    wa = messages(segments).sort_values(["document_id", "timestamp", "position"], kind="stable")
    previous_speaker = wa.groupby("document_id")["speaker"].shift()
    previous_time = wa.groupby("document_id")["timestamp"].shift()
    is_reply = (
        previous_speaker.notna()
        & (previous_speaker != wa["speaker"])
        & ((wa["timestamp"] - previous_time) <= pd.Timedelta(minutes=window_minutes))
    )
    edges = pd.DataFrame({"groupe": wa["document_id"], "de": wa["speaker"], "vers": previous_speaker})[is_reply]
    return edges.groupby(["groupe", "de", "vers"]).size().rename("reponses").reset_index()


def reply_graph(edges: pd.DataFrame, group: str | None = None) -> nx.DiGraph:
    """Directed, weighted reply graph (all groups, or one)."""
    graph = nx.DiGraph()
    rows = edges if group is None else edges[edges["groupe"] == group]
    for row in rows.itertuples(index=False):
        if graph.has_edge(row.de, row.vers):
            graph[row.de][row.vers]["weight"] += int(row.reponses)
        else:
            graph.add_edge(row.de, row.vers, weight=int(row.reponses))
    return graph


def member_centrality(edges: pd.DataFrame) -> pd.DataFrame:
    """Per group and member: replies given and received (weighted degrees) and betweenness."""
    rows = []
    for group in sorted(edges["groupe"].unique()):
        graph = reply_graph(edges, group)
        betweenness = nx.betweenness_centrality(graph, normalized=True)
        for member in sorted(graph.nodes):
            rows.append(
                {
                    "groupe": group,
                    "membre": member,
                    "reponses_donnees": int(graph.out_degree(member, weight="weight")),
                    "reponses_recues": int(graph.in_degree(member, weight="weight")),
                    "interlocuteurs": int(len(set(graph.successors(member)) | set(graph.predecessors(member)))),
                    "intermediarite": round(betweenness[member], 4),
                }
            )
    return pd.DataFrame(rows, columns=["groupe", "membre", "reponses_donnees", "reponses_recues", "interlocuteurs", "intermediarite"])
