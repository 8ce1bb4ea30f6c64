# One callback route for several payment providers, chosen by a path
# parameter. Each provider's branch verifies that provider's signature; the
# PayPal branch's body read is not an unverified Stripe payload.
import json
import os

import stripe
from fastapi import APIRouter, HTTPException, Request

from providers import handle_paypal_event, handle_stripe_event, verify_paypal

router = APIRouter(prefix="/api/v1/callback")
STRIPE_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def check_stripe_signature(payload: bytes, sig_header, secret: str) -> None:
    try:
        stripe.Webhook.construct_event(payload, sig_header, secret)
    except (ValueError, stripe.error.SignatureVerificationError) as exc:
        raise HTTPException(status_code=400, detail="invalid signature") from exc


@router.post("/{provider_name}")
async def generic_callback(provider_name: str, request: Request):  # expect: clean
    if provider_name.lower() == "stripe":
        payload = await request.body()
        check_stripe_signature(payload, request.headers.get("Stripe-Signature"), STRIPE_SECRET)
        event = json.loads(payload)
        await handle_stripe_event(event)
        return {"ok": True}

    if provider_name.lower() == "paypal":
        payload = await request.body()
        await verify_paypal(request.headers, payload)
        await handle_paypal_event(json.loads(payload))
        return {"ok": True}

    return {"ok": False, "message": f"unknown provider {provider_name}"}


@router.post("/v2/{provider}")
async def callback_stripe_twice(provider: str, request: Request):
    # Twin: a second branch also takes Stripe events, without verification.
    if provider == "stripe":  # expect: webhook/optional-verification
        payload = await request.body()
        check_stripe_signature(payload, request.headers.get("Stripe-Signature"), STRIPE_SECRET)
        await handle_stripe_event(json.loads(payload))
        return {"ok": True}
    if provider == "stripe-legacy":
        await handle_stripe_event(await request.json())
        return {"ok": True}
    return {"ok": False}
