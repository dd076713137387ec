from __future__ import annotations

from marketplace.api.core import current_api_user, load_body, operation
from marketplace.auth.models import Role, User
from marketplace.extensions import db
from marketplace.workers import services
from marketplace.workers.schemas import AvailabilitySchema, MePatchSchema, MeSchema

me_schema = MeSchema()


def me_body(user: User) -> dict:
    profile = user.worker_profile if user.role == Role.WORKER else None
    return me_schema.dump({
        "id": user.id, "phone": user.phone, "name": user.name, "role": user.role,
        "status": user.status, "locale": user.locale, "firm": user.firm,
        "agency": user.agency, "profile": profile,
    })


@operation("/me", methods=["GET"], summary="The signed-in account", tags=["me"],
           response=MeSchema)
def get_me():
    return me_body(current_api_user())


@operation("/me", methods=["PATCH"], summary="Update the signed-in account and worker profile",
           tags=["me"], body=MePatchSchema, response=MeSchema, errors=(409,))
def patch_me():
    user = current_api_user()
    changes = load_body(MePatchSchema(), partial=True)
    if "locale" in changes:
        user.locale = changes.pop("locale")
    if user.role == Role.WORKER:
        services.update_profile(actor=user, changes=changes)
    elif set(changes) - {"name"}:
        from marketplace.errors import ValidationFailed

        raise ValidationFailed("Only name and locale apply to this account",
                               fields={k: ["Not for this account"] for k in changes if k != "name"})
    elif "name" in changes:
        user.name = changes["name"].strip()
    db.session.commit()
    return me_body(user)


@operation("/me/availability", methods=["GET"], summary="The worker's availability",
           tags=["me"], response=AvailabilitySchema, roles=("worker",))
def get_availability():
    return services.get_availability(actor=current_api_user())


@operation("/me/availability", methods=["PUT"], summary="Replace the worker's availability",
           tags=["me"], body=AvailabilitySchema, response=AvailabilitySchema, roles=("worker",))
def put_availability():
    data = load_body(AvailabilitySchema())
    dates = [{**d, "date": d["date"].isoformat()} for d in data["dates"]]
    result = services.set_availability(actor=current_api_user(), weekly=data["weekly"],
                                       dates=dates)
    db.session.commit()
    return result
