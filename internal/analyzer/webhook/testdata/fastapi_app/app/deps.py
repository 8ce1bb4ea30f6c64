import os

import stripe
from fastapi import Header, HTTPException, Request

WEBHOOK_SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


async def verified_event(request: Request, stripe_signature: str = Header(None)) -> stripe.Event:
    payload = await request.body()
    try:
        return stripe.Webhook.construct_event(payload, stripe_signature, WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400, detail="invalid signature")


async def parsed_event(request: Request) -> dict:
    return await request.json()  # expect: webhook/unverified-payload
