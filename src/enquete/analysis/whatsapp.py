"""Group dynamics of WhatsApp and social-network groups: activity over time, concentration,
media mix, rhythms, replies."""

from __future__ import annotations

import networkx as nx
import numpy as np
import pandas as pd

from enquete.schema import document_names

WEEKDAYS = ["monday", "tuesday", "wednesday", "thursday", "friday", "saturday", "sunday"]
GROUP_SOURCES = ("whatsapp", "social")  # sources whose documents are groups of members


def messages(segments: pd.DataFrame) -> pd.DataFrame:
    """Members' messages (system lines excluded) with a timestamp, in WhatsApp and social-network
    groups, with their ``group``'s readable name (:func:`enquete.schema.document_names`)."""
    wa = segments[segments["source_type"].isin(GROUP_SOURCES) & (segments["speaker_role"] == "member")]
    wa = wa[wa["timestamp"].notna()]
    return wa.assign(group=wa["document_id"].map(document_names(wa)).astype(object))


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
    for name, group in messages(segments).groupby("group", sort=True):
        per_member = group["speaker"].value_counts()
        total = int(per_member.sum())
        types = group["message_type"].value_counts()
        rows.append(
            {
                "group": name,
                "initiative": group["initiative"].iloc[0],
                "first_message": group["timestamp"].min(),
                "last_message": group["timestamp"].max(),
                "messages": total,
                "active_members": int(per_member.size),
                "top1_share": round(per_member.iloc[:1].sum() / total, 4),
                "top3_share": round(per_member.iloc[:3].sum() / total, 4),
                "gini": round(gini(per_member.to_numpy()), 4),
                "media_share": round(types.get("media", 0) / total, 4),
                "text_share": round(types.get("text", 0) / total, 4),
            }
        )
    return pd.DataFrame(rows)


def weekly_activity(segments: pd.DataFrame) -> pd.DataFrame:
    """Messages per week and group (weeks without messages included, as zeros)."""
    wa = messages(segments)
    frames = []
    for name, group in wa.groupby("group", sort=True):
        weekly = group.set_index("timestamp").resample("W-MON", label="left", closed="left")["segment_id"].count()
        frames.append(pd.DataFrame({"group": name, "week": weekly.index, "messages": weekly.to_numpy()}))
    return pd.concat(frames, ignore_index=True) if frames else pd.DataFrame(columns=["group", "week", "messages"])


def monthly_members(segments: pd.DataFrame) -> pd.DataFrame:
    """Distinct active members per month and group."""
    wa = messages(segments)
    wa["month"] = wa["timestamp"].dt.to_period("M").dt.to_timestamp()
    return wa.groupby(["group", "month"])["speaker"].nunique().rename("active_members").reset_index()


def rhythms(segments: pd.DataFrame) -> pd.DataFrame:
    """Messages per group, weekday and hour of the day."""
    wa = messages(segments)
    table = wa.groupby(["group", wa["timestamp"].dt.day_of_week, wa["timestamp"].dt.hour]).size()
    table.index.names = ["group", "day", "hour"]
    table = table.rename("messages").reset_index()
    table["day"] = table["day"].map(dict(enumerate(WEEKDAYS)))
    return table


def reply_edges(segments: pd.DataFrame, window_minutes: int = 30) -> pd.DataFrame:
    """Who answers whom: the author of the message a message answers, when the export says
    (``reply_to``: Telegram replies), else the author of the previous message when it came
    within ``window_minutes`` (WhatsApp).

    Each message counts once, towards someone else. Returns weighted edges (group, sender, recipient, replies).
    """
    wa = messages(segments).sort_values(["group", "timestamp", "position"], kind="stable")
    previous_speaker = wa.groupby("group")["speaker"].shift()
    previous_time = wa.groupby("group")["timestamp"].shift()
    recent = (wa["timestamp"] - previous_time) <= pd.Timedelta(minutes=window_minutes)
    answered = wa["reply_to"].map(segments.set_index("segment_id")["speaker"]) if "reply_to" in wa else pd.Series(pd.NA, index=wa.index)
    explicit = wa["reply_to"].notna() if "reply_to" in wa else pd.Series(False, index=wa.index)
    recipient = answered.where(explicit, previous_speaker.where(recent))
    is_reply = recipient.notna() & (recipient != wa["speaker"])
    edges = pd.DataFrame({"group": wa["group"], "sender": wa["speaker"], "recipient": recipient})[is_reply.fillna(False).astype(bool)]
    return edges.groupby(["group", "sender", "recipient"]).size().rename("replies").reset_index()


def reply_graph(edges: pd.DataFrame, group: str | None = None) -> nx.DiGraph:
    """Directed, weighted reply graph (all groups, or one)."""
    graph = nx.DiGraph()
    rows = edges if group is None else edges[edges["group"] == group]
    for row in rows.itertuples(index=False):
        if graph.has_edge(row.sender, row.recipient):
            graph[row.sender][row.recipient]["weight"] += int(row.replies)
        else:
            graph.add_edge(row.sender, row.recipient, weight=int(row.replies))
    return graph


def member_centrality(edges: pd.DataFrame) -> pd.DataFrame:
    """Per group and member: replies given and received (weighted degrees) and betweenness."""
    rows = []
    for group in sorted(edges["group"].unique()):
        graph = reply_graph(edges, group)
        betweenness = nx.betweenness_centrality(graph, normalized=True)
        for member in sorted(graph.nodes):
            rows.append(
                {
                    "group": group,
                    "member": member,
                    "replies_given": int(graph.out_degree(member, weight="weight")),
                    "replies_received": int(graph.in_degree(member, weight="weight")),
                    "partners": int(len(set(graph.successors(member)) | set(graph.predecessors(member)))),
                    "betweenness": round(betweenness[member], 4),
                }
            )
    return pd.DataFrame(rows, columns=["group", "member", "replies_given", "replies_received", "partners", "betweenness"])
