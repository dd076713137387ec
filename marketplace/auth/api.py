from __future__ import annotations

from flask import current_app, g, request

from marketplace.api.core import current_api_user, load_body, operation
from marketplace.auth import services
from marketplace.auth.limits import login_limits, password_change_limits, register_limits
from marketplace.auth.schemas import (
    PasswordChangeSchema,
    RegisterSchema,
    TokenInfoSchema,
    TokenListSchema,
    TokenRequestSchema,
    TokenSchema,
)
from marketplace.extensions import db
from marketplace.workers.api import me_body
from marketplace.workers.schemas import MeSchema


@operation("/auth/register", methods=["POST"],
           summary="Register a worker, firm or HR agency account", tags=["auth"],
           body=RegisterSchema, response=MeSchema, status=201, auth=False, errors=(409, 429))
@register_limits
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
    label = data.get("label") or request.headers.get("User-Agent")
    token = services.issue_token(user=user, ttl_days=ttl, label=label)
    db.session.commit()
    return {"token": token, "token_type": "Bearer", "expires_in_days": ttl}


@operation("/auth/token", methods=["DELETE"], summary="Sign out: revoke the token sent",
           tags=["auth"], status=204)
def revoke_current_token():
    services.revoke_token(user=current_api_user(), token_id=g.api_token_id)
    db.session.commit()
    return "", 204


_token_info = TokenInfoSchema()


@operation("/auth/tokens", methods=["GET"], summary="The account's live tokens (never the "
           "tokens themselves)", tags=["auth"], response=TokenListSchema)
def list_tokens():
    tokens = services.active_tokens(current_api_user())
    return {"items": [_token_info.dump({
        "id": t.id, "prefix": t.prefix, "label": t.label, "created_at": t.created_at,
        "last_used_at": t.last_used_at, "expires_at": t.expires_at,
        "current": t.id == g.api_token_id}) for t in tokens]}


@operation("/auth/tokens/<int:token_id>", methods=["DELETE"],
           summary="Revoke one of the account's tokens", tags=["auth"], status=204)
def revoke_own_token(token_id: int):
    services.revoke_token(user=current_api_user(), token_id=token_id)
    db.session.commit()
    return "", 204


@operation("/auth/password", methods=["POST"], summary="Change the password: every other "
           "token and every web session is signed out", tags=["auth"],
           body=PasswordChangeSchema, status=204, errors=(409, 429))
@password_change_limits
def change_password():
    data = load_body(PasswordChangeSchema())
    services.change_password(user=current_api_user(), current=data["current_password"],
                             new=data["new_password"], keep_token_id=g.api_token_id)
    db.session.commit()
    return "", 204
