"""What staff see about a submission besides its text (`/inbox`, `cocreate submissions`):
read from rows already loaded, so listing many submissions costs no query per fact."""

from __future__ import annotations

from conversations.context import Facts, OfferTerms, Submitter
from conversations.messages import Location
from storage.api_key_models import PARTNER_CHANNEL
from storage.models import A_RESIDENT, FORGOTTEN_CHANNEL, Citizen, DesignOffer, Idea, Problem


def submitter_of(citizen: Citizen) -> Submitter:
    if citizen.channel == FORGOTTEN_CHANNEL:  # forgotten at their request: no identity left
        return Submitter(channel=FORGOTTEN_CHANNEL, user_id="", name=A_RESIDENT)
    if citizen.channel == PARTNER_CHANNEL:  # sent through the Open311 API: "<key name> (partner)"
        return Submitter(channel=PARTNER_CHANNEL, user_id="", name=citizen.display_name)
    return Submitter(channel=citizen.channel, user_id=citizen.channel_user_id, name=citizen.display_name or None)


def facts_of(item: Problem | Idea | DesignOffer, citizen: Citizen) -> Facts:
    """The facts of one submission, given the person who sent it."""
    submitter = submitter_of(citizen)
    if isinstance(item, Problem):
        return Facts(
            submitter=submitter,
            place=item.place,
            location=_location(item.latitude, item.longitude),
            affected=item.affected,
            photo=item.photo_file_id,
            moderation=item.moderation,
            private=item.private,
        )
    if isinstance(item, Idea):
        for_problem = ("problem", item.problem_id) if item.problem_id else None
        return Facts(submitter=submitter, for_item=for_problem, moderation=item.moderation, private=item.private)
    terms = OfferTerms(skills=tuple(item.skills), hours=item.hours, contact_ok=item.contact_ok)
    return Facts(submitter=submitter, for_item=("idea", item.idea_id), offer=terms)


def _location(latitude: float | None, longitude: float | None) -> Location | None:
    return Location(latitude, longitude) if latitude is not None and longitude is not None else None
