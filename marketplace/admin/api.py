from __future__ import annotations

from marketplace.admin import services
from marketplace.admin.schemas import VerifySchema
from marketplace.api.core import current_api_user, load_body, operation
from marketplace.auth.schemas import FirmSchema
from marketplace.extensions import db


@operation("/admin/firms/<int:firm_id>/verify", methods=["POST"],
           summary="Verify (or reject, with approve=false and a note) a firm",
           tags=["admin"], body=VerifySchema, response=FirmSchema, roles=("admin",))
def verify_firm(firm_id: int):
    data = load_body(VerifySchema())
    firm = services.decide_firm(actor=current_api_user(), firm_id=firm_id,
                                approve=data["approve"], note=data["note"])
    db.session.commit()
    return FirmSchema().dump(firm)
