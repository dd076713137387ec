from __future__ import annotations

from flask import current_app

from marketplace.api.core import load_body, operation
from marketplace.auth import services
from marketplace.auth.limits import login_limits
from marketplace.auth.schemas import RegisterSchema, TokenRequestSchema, TokenSchema
from marketplace.extensions import db
from marketplace.workers.api import me_body
from marketplace.workers.schemas import MeSchema


@operation("/auth/register", methods=["POST"],
           summary="Register a worker, firm or HR agency account", tags=["auth"],
           body=RegisterSchema, response=MeSchema, status=201, auth=False, errors=(409,))
def register():
    data = load_body(RegisterSchema())
    if data["role"] == "worker":
        user = services.register_worker(phone=data["phone"], password=data["password"],
                                        name=data["name"])
    elif data["role"] == "agency":
        from marketplace.agencies.services import register_agency

        user = register_agency(
            phone=data["phone"], password=data["password"], name=data["name"],
            agency_name=data.get("agency_name") or data["name"],
            credit_code=data["credit_code"], licence_no=data["licence_no"],
            district=data.get("district"), address=data.get("address"),
        )
    else:
        user = services.register_firm(
            phone=data["phone"], password=data["password"], name=data["name"],
            firm_name=data.get("firm_name") or data["name"], credit_code=data["credit_code"],
            size=data["size"], industry=data["industry"], district=data.get("district"),
            address=data.get("address"),
        )
    db.session.commit()
    return me_body(user), 201


@operation("/auth/token", methods=["POST"], summary="Exchange phone and password for a token",
           tags=["auth"], body=TokenRequestSchema, response=TokenSchema, auth=False,
           errors=(401, 403, 429))
@login_limits
def issue_token():
    data = load_body(TokenRequestSchema())
    user = services.authenticate(phone=data["phone"], password=data["password"])
    ttl = current_app.config["API_TOKEN_TTL_DAYS"]
    token = services.issue_token(user=user, ttl_days=ttl)
    db.session.commit()
    return {"token": token, "token_type": "Bearer", "expires_in_days": ttl}
