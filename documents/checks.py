"""Templates checked before a run commits anything: every staff template compiles, and the
pages a nightly run writes render against a sample recommendation.

A staff template that cannot be used is found here, as one line naming the template and its
line (``TemplateProblem``), before the evaluation changes a recommendation; what only some
data can trigger is still caught per document when the documents are written.
"""

from __future__ import annotations

from collections import Counter
from datetime import date
from pathlib import Path

from documents.contexts import (
    DecisionContext,
    IndexContext,
    IndexRow,
    RecommendationContext,
    Statement,
    render,
)
from documents.environment import ConfinedLoader, chinese_period, environment
from documents.errors import TemplateProblem, template_problem
from documents.fonts import FontSet
from engine.rulebook import Rulebook
from engine.sanction.explanation import Explanation

SAMPLE_ID = "R0000000000000000"
SUFFIXES = (".html", ".css", ".txt", ".xml", ".svg")  # what a staff folder's templates end with


def sample_explanation(rulebook: Rulebook, as_of: date) -> Explanation:
    """An explanation with every part a document can show filled in (grounds, factors of each
    kind, several steps, a discipline route), with the rulebook's own form codes and bodies."""
    forms = list(rulebook.labels.forms)[:2]
    bodies = list(rulebook.county.bodies)
    basis = {"document": "sample document", "article": "sample article", "text": "sample"}
    return Explanation.model_validate({
        "rule_id": "sample", "rule_version": 1, "rule_title": "sample", "rule_file": "sample.yaml",
        "circumstance": 3, "circumstance_label": "sample", "severity": "serious", "basis": [basis],
        "conduct_date": as_of, "as_of": as_of,
        "subject": {"id": "P-SAMPLE", "name": "sample", "category": "sample", "category_label": "sample"},
        "post": {"post_id": "POST-SAMPLE", "unit": "U-SAMPLE", "unit_name": "sample",
                 "role": "secretary", "role_label": "sample role", "start": as_of, "end": as_of},
        "responsibility": "leadership", "responsibility_label": "sample", "degree": "main",
        "degree_label": "sample",
        "evidence": [{"alias": "violation", "kind": "violation", "id": f"V-{i}", "src": "sample.jsonl:1",
                      "date": as_of if i == 1 else None, "summary": "sample", "fields": {}}
                     for i in (1, 2)],
        "factors": [{"type": kind, "code": kind, "label": "sample", "source": "sample"}
                    for kind in ("aggravating", "mitigating", "exempt")],
        "steps": [{"step": "base", "before": None, "after": forms[0], "reason": "sample"},
                  {"step": "aggravating", "before": forms[0], "after": forms[-1], "reason": "sample"},
                  {"step": "combined", "before": forms[-1], "after": forms[0], "reason": "sample"}],
        "base_form": forms[0], "forms": forms, "form_labels": [rulebook.labels.forms[f] for f in forms],
        "proposer": bodies[0], "proposer_label": rulebook.county.bodies[bodies[0]].name,
        "decider": bodies[-1], "decider_label": rulebook.county.bodies[bodies[-1]].name,
        "proposer_may_impose": False, "route": "discipline_handling", "route_note": "sample",
        "rulebook_hash": "0" * 64,
        "grounds": [{"rule_id": "sample-2", "rule_version": 1, "rule_title": "sample",
                     "rule_file": "sample.yaml", "circumstance": 1, "circumstance_label": "sample",
                     "basis": [basis], "forms": forms[:1]}],
    })


def check_templates(templates_dir: Path | None, rulebook: Rulebook, as_of: date | None = None) -> None:
    """Raise ``TemplateProblem`` when a template of the staff folder does not compile, leads
    out of the folder, or the recommendation, decision and index pages do not render for a
    sample."""
    as_of = as_of or date.today()
    env = environment(templates_dir)
    if templates_dir is not None:
        for name in sorted(ConfinedLoader(str(templates_dir)).list_templates()):
            if name.endswith(SUFFIXES):
                try:
                    env.get_template(name)
                except Exception as exc:
                    raise (template_problem(exc, name) or TemplateProblem(f"template {name}: {exc}")
                           ) from exc
    fonts = FontSet(body="serif", title="serif", heading="sans-serif", page="serif", files={})
    e = sample_explanation(rulebook, as_of)
    body = rulebook.county.bodies[e.proposer]
    number = f"{body.number_prefix} {as_of.year} 1"
    render(RecommendationContext(fonts=fonts, rec_id=SAMPLE_ID, status="pending", e=e,
                                 number=number, issued=as_of, issuer=e.proposer_label,
                                 addressee=e.decider_label,
                                 labels=rulebook.labels.forms), templates_dir)
    decider = rulebook.county.bodies[e.decider]
    render(DecisionContext(fonts=fonts, rec_id=SAMPLE_ID, e=e, number=number, issued=as_of,
                           issuer=decider.name, decided_in=decider.decides_in, meeting=as_of,
                           form_labels=e.form_labels, amended=False,
                           statements=[Statement(as_of, e.subject.name, False, None)],
                           appeal_period=chinese_period(rulebook.review.appeal.period,
                                                        rulebook.labels.period_unit),
                           appeal_body=decider.name), templates_dir)
    render(IndexContext(fonts=fonts, rows=[IndexRow(id=SAMPLE_ID, number=number, e=e,
                                                    formats=("html", "pdf", "docx"))],
                        as_of=as_of, rulebook="0" * 64, run_id=0, counts=Counter()), templates_dir)
