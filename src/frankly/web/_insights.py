"""The Insights page: the figures ``cases.insight_figures`` computes, drawn as server-side
SVG charts for managers."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Query, Request
from fastapi.responses import Response

from frankly import cases
from frankly.store import Agent
from frankly.web import _i18n, charts
from frankly.web._session import render, require_manager

router = APIRouter(include_in_schema=False)


@router.get("/insights")
def insights(
    request: Request,
    me: Annotated[Agent, Depends(require_manager)],
    weeks: Annotated[int, Query(ge=1, le=52)] = 8,
) -> Response:
    data = cases.insight_figures(request.app.state.db, weeks=weeks)
    t = _i18n.translator(me.language)
    weeks_shown = [w.split("-")[-1] for w in data["weeks"]]
    drawn = {
        "tell_kind": charts.bars(
            list(data["tell_hours_by_kind"]), list(data["tell_hours_by_kind"].values()), unit=" h"
        ),
        "tell_agent": charts.bars(
            list(data["tell_hours_by_agent"]),
            list(data["tell_hours_by_agent"].values()),
            unit=" h",
        ),
        "chased": charts.bars(
            list(data["chased_share_by_kind"]),
            list(data["chased_share_by_kind"].values()),
            unit="%",
            color=charts.PALETTE[3],
        ),
        "resolve": charts.bars(
            list(data["resolve_days_by_kind"]),
            list(data["resolve_days_by_kind"].values()),
            unit=" d",
            color=charts.PALETTE[2],
        ),
        "commitments": charts.stacked(
            weeks_shown,
            {t("kept"): data["commitments"]["kept"], t("missed"): data["commitments"]["missed"]},
        ),
        "follow_ups": charts.stacked(weeks_shown, {t("follow-ups"): data["follow_ups"]}),
        "tell_week": charts.stacked(
            weeks_shown, {t("median hours to tell"): data["tell_hours_by_week"]}
        ),
        "codes": charts.stacked(
            weeks_shown,
            {
                t("redeemed"): data["codes"]["redeemed"],
                t("issued, not redeemed"): data["codes"]["not_redeemed"],
            },
        ),
        "findings": charts.stacked(weeks_shown, data["findings"]) if data["findings"] else None,
        "findings_kind": charts.bars(
            list(data["findings_per_message_by_kind"]),
            list(data["findings_per_message_by_kind"].values()),
            color=charts.PALETTE[1],
        ),
        "findings_agent": charts.bars(
            list(data["findings_per_message_by_agent"]),
            list(data["findings_per_message_by_agent"].values()),
            color=charts.PALETTE[1],
        ),
    }
    return render(request, "insights.html", {"data": data, "charts": drawn, "weeks": weeks})
