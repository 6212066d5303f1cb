"""The arms of a record do not add up to its enrollment, its stated group count or its design.

What it detects (one finding per kind of mismatch and record):

* ``planned-sizes``: every arm states a planned size, and the sizes do not add up to the
  enrollment count (e.g. arms of 30 and 30 with an enrollment of 80). When the enrollment is
  ACTUAL the finding is only ``info``: a finished trial rarely recruits exactly the plan.
* ``stated-groups``: the record says "N participants in K groups" (or the registry's number
  of arms) and lists a different number of arms.
* ``single-group``: the intervention model is SINGLE_GROUP but the record randomizes between
  several arms (allocation RANDOMIZED): a randomized comparison has parallel groups. Several
  arms that are not randomized are the cohorts of one group (dose-escalation levels, age,
  weight or disease cohorts, the parts of a study) and are not reported.
* ``flow-started``: the results' participant flow says more or fewer participants STARTED
  than the ACTUAL enrollment count, and its recruitment and pre-assignment details do not
  explain the difference. They explain it when they give the enrollment, the number started or the
  difference ("62 participants were registered but only fifty (50) were randomized", "27
  patients ... were excluded"), or tell of participants lost before assignment (excluded,
  withdrawn, screen failures, ineligible, not randomized, treated or included, a run-in),
  or of a flow pooled with another study's ("pooled data from studies NCT00479557 and
  NCT00498602").
  A flow with a group that starts no one in its first period is not judged: its groups start
  in different periods (a run-in, cross-sectional samples, phases), so the first period's
  STARTED is not the whole. The results' baseline population description explains it too
  when it gives both counts or their difference ("71 subjects were in baseline. But only 31
  subjects enrolled into the study intervention portion").

Records without arm sizes, without a stated group count, without arms or without results
are not judged on that point. Arm sizes come from arm descriptions ("30 patients will be
enrolled ...") and from ICTRP per-group target sizes ("experimental group:100;control
group:100;"); the latter are summed into the enrollment on import, so they always agree.

Why it matters: enrollment and arm sizes feed sample-size and pooling analyses; when they
disagree, at least one of them is wrong and readers cannot tell which.

How to fix: check the registry page. Correct the enrollment count, the arm list or the
design (a randomized comparison is not SINGLE_GROUP), or the arm description that states a
size.
If the difference is real (e.g. a run-in period before randomization), waive the finding
with that reason.

Example: arms "Drug A: 30 participants" and "Placebo: 30 participants" with an estimated
enrollment of 80 -> "planned arm sizes add up to 60, enrollment is 80".
"""

from __future__ import annotations

import re
from collections.abc import Iterator

import pandas as pd

from audit.findings import Finding
from audit.frames import value, where
from audit.rules import Context, rule
from audit.tables import Tables


def _planned_sums(arms: pd.DataFrame) -> pd.DataFrame:
    """Per record file: the sum of planned arm sizes, only where every arm states one."""
    grouped = arms.groupby("record_file", sort=False)["planned_size"]
    sums = pd.DataFrame(
        {"planned_sum": grouped.sum(), "stated": grouped.count(), "arms": grouped.size()}
    )
    sums = sums[(sums["stated"] == sums["arms"]) & (sums["arms"] > 0)]
    return sums[["planned_sum"]].reset_index()


# Pre-assignment details telling of participants enrolled but not started or assigned.
_ATTRITION = re.compile(
    r"exclu|withdr|drop(?:ped)?\s+out|dropout|screen(?:ing)?\s+fail|fail(?:ed)?\s+screening|"
    r"ineligible|not\s+(?:be(?:en)?\s+)?(?:eligible|randomi[sz]ed|assigned|treated|dosed|"
    r"included|allocated|started)|never\s+(?:received|started|dosed|treated)|run-?in|lead-?in|"
    r"wash-?out|discontinu|removed|lost\s+to|"
    # or of a flow that is not this study's alone ("pooled data from studies NCT00479557 and")
    r"\bpool(?:ed|ing)\b|\bcombined\s+(?:data|results|analysis)|\b(?:studies|trials)\s+NCT\d{8}",
    re.IGNORECASE,
)


def _explained(details: str | None, enrolled: int, started: int) -> bool:
    """Do the participant flow's pre-assignment details explain why ``started`` differs from
    the ``enrolled`` count: they give one of the numbers or the difference, or tell of
    participants lost before assignment?"""
    if not details:
        return False
    numbers = {str(int(n)) for n in (enrolled, started, abs(enrolled - started))}
    return bool(
        any(re.search(rf"(?<![\d.,]){n}(?![\d.,]\d|\d)", details) for n in numbers)
        or _ATTRITION.search(details)
    )


def _population_explains(population: str | None, enrolled: int, started: int) -> bool:
    """Does the baseline population description explain the gap: does it give both counts
    ("71 subjects were in baseline. But only 31 subjects enrolled into the study intervention
    portion") or their difference? One count alone ("all 71 randomized participants") does
    not say why the flow started another number."""
    if not population:
        return False

    def gives(number: int) -> bool:
        return bool(re.search(rf"(?<![\d.,]){number}(?![\d.,]\d|\d)", population))

    difference = abs(enrolled - started)
    return (gives(enrolled) and gives(started)) or (difference > 1 and gives(difference))


@rule("enrollment-arm-mismatch", severity="warning", scope="record")
def check(tables: Tables, ctx: Context) -> Iterator[Finding]:
    studies = tables.studies.merge(_planned_sums(tables.arms), on="record_file", how="left")
    count, arms = studies["enrollment_count"], studies["arm_count"]
    actual = studies["enrollment_type"] == "ACTUAL"

    planned = studies[
        studies["planned_sum"].notna() & count.notna() & (studies["planned_sum"] != count)
    ]
    for row in planned.itertuples(index=False):
        kind = value(row.enrollment_type)
        yield ctx.finding(
            f"planned arm sizes add up to {row.planned_sum}, enrollment is "
            f"{row.enrollment_count} ({(kind or 'type not given').lower()})",
            **where([row]),
            field="enrollment_count",
            key="planned-sizes",
            severity="info" if kind == "ACTUAL" else None,
            evidence={
                "planned_sum": row.planned_sum,
                "enrollment_count": row.enrollment_count,
                "enrollment_type": kind,
            },
        )

    stated = studies[
        studies["stated_arm_count"].notna() & (arms > 0) & (studies["stated_arm_count"] != arms)
    ]
    for row in stated.itertuples(index=False):
        yield ctx.finding(
            f"the record states {row.stated_arm_count} groups but lists {row.arm_count} arms",
            **where([row]),
            field="stated_arm_count",
            key="stated-groups",
            evidence={"stated_arm_count": row.stated_arm_count, "arm_count": row.arm_count},
        )

    single = studies[
        (studies["intervention_model"] == "SINGLE_GROUP")
        & (arms > 1)
        & (studies["allocation"] == "RANDOMIZED")
    ]
    for row in single.itertuples(index=False):
        yield ctx.finding(
            f"intervention model is SINGLE_GROUP but the record randomizes between "
            f"{row.arm_count} arms",
            **where([row]),
            field="intervention_model",
            key="single-group",
            evidence={
                "intervention_model": row.intervention_model,
                "allocation": row.allocation,
                "arm_count": row.arm_count,
            },
        )

    flow = studies[
        actual
        & count.notna()
        & studies["flow_started_total"].notna()
        & (studies["flow_started_total"] != count)
        & (studies["flow_started_least"] > 0).fillna(False)
    ]
    for row in flow.itertuples(index=False):
        enrolled, started = int(row.enrollment_count), int(row.flow_started_total)
        if _explained(value(row.flow_details), enrolled, started):
            continue
        if _population_explains(value(row.baseline_population), enrolled, started):
            continue
        yield ctx.finding(
            f"{row.flow_started_total} participants started (participant flow, "
            f"{row.flow_group_count} group{'s' if row.flow_group_count != 1 else ''}), "
            f"actual enrollment is {row.enrollment_count}",
            **where([row]),
            field="enrollment_count",
            key="flow-started",
            evidence={
                "flow_started_total": row.flow_started_total,
                "flow_group_count": row.flow_group_count,
                "enrollment_count": row.enrollment_count,
            },
        )
