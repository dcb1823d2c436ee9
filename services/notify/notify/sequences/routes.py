"""Sequences as admins and managers run them: save one, enroll contacts (by id or by a filter), read
its report; and the tracked links of its emails (no login). A manager sees the sequences made in their
department (and below), an admin every one."""
from flask import g, redirect

from crm_common.auth import require_user
from crm_common.kernel.refusals import NotFound
from crm_common.web import answers, runtime

from ..api import admin as blp, public
from . import audience, clicks, enrollments, goals, report as reports, store
from .schemas import Enrolled, EnrollIn, Report, SequenceIn, SequenceOut

MAKERS = ("admin", "manager")


def _visible(sequence_id: str) -> dict:
    sequence = store.get(runtime(), sequence_id)
    me = g.principal
    if not me.is_admin and sequence.get("department_path", [])[:len(me.department_path)] != me.department_path:
        raise NotFound("no such sequence")
    return sequence


@blp.route("/sequences", methods=["POST"])
@require_user(*MAKERS)
@blp.arguments(SequenceIn)
@blp.response(201, SequenceOut)
def create_sequence(body):
    """Each step's template must exist, fit its channel and share one language with the others."""
    me = g.principal
    return store.create(runtime(), body, me.user_id, me.department_path), 201


@blp.route("/sequences/<sequence_id>", methods=["GET"])
@require_user(*MAKERS)
@blp.response(200, SequenceOut)
def get_sequence(sequence_id):
    return _visible(sequence_id)


@blp.route("/sequences/<sequence_id>/enrollments", methods=["POST"])
@require_user(*MAKERS)
@blp.arguments(EnrollIn)
@blp.response(200, Enrolled)
def enroll(body, sequence_id):
    """One contact, or every contact a filter names (at most 20,000 a call); the answer counts those
    enrolled and those skipped, by why."""
    rt, sequence = runtime(), _visible(sequence_id)
    by = {"user_id": g.principal.user_id}
    ids = [body["contact_id"]] if "contact_id" in body else audience.contact_ids(rt, body["filter"])
    return enrollments.enroll_many(rt, sequence, ids, by, visible=audience.scope_of(rt, g.principal))


@blp.route("/sequences/<sequence_id>/report", methods=["GET"])
@require_user(*MAKERS)
@blp.response(200, Report)
def sequence_report(sequence_id):
    return reports.report(runtime(), _visible(sequence_id)["_id"])


@public.route("/c/<token>", methods=["GET"])
@public.doc(**answers(302, None, "text/html", description="On to the link; the click counts as the contact's"))
def followed_link(token):
    """A tracked link of a sequence's email: a click goal ends the enrollment, the reader goes on."""
    rt = runtime()
    opened = clicks.opened(rt, token)
    if opened is None:
        raise NotFound("this link is not valid")
    rt.transaction(lambda session: goals.clicked(rt, session, opened[0]))
    return redirect(opened[1], 302)
