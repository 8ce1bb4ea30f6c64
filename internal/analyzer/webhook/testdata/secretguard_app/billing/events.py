# A FastAPI dependency object: the empty secret some endpoints get is
# refused in __call__ before verification (the endpoint is disabled).
import os

import stripe
from fastapi import APIRouter, Depends, HTTPException, Request

router = APIRouter()
RISK_SECRET = os.getenv("STRIPE_RISK_WEBHOOK_SECRET", "")
PLACEHOLDER_SECRET = os.getenv("STRIPE_PAYOUT_WEBHOOK_SECRET", "whsec_...")  # expect: webhook/empty-secret
GUARDED_PLACEHOLDER = os.getenv("STRIPE_DISPUTE_WEBHOOK_SECRET", "whsec_")
REAL_DEFAULT = os.getenv("STRIPE_REFUND_WEBHOOK_SECRET", "whsec_FAKEFAKEFAKE0007")


class EventGetter:
    def __init__(self, secret: str) -> None:
        self.secret = secret

    async def __call__(self, request: Request) -> stripe.Event:
        if not self.secret:
            raise HTTPException(status_code=404)
        try:
            return stripe.Webhook.construct_event(await request.body(), request.headers.get("Stripe-Signature"), self.secret)
        except (ValueError, stripe.error.SignatureVerificationError) as exc:
            raise HTTPException(status_code=400) from exc


@router.post("/risk")
async def risk_hook(event: stripe.Event = Depends(EventGetter(RISK_SECRET))):
    return {"id": event.id}


class PrefixGetter:
    def __init__(self, secret: str) -> None:
        self.secret = secret

    async def __call__(self, request: Request) -> stripe.Event:
        if len(self.secret) < 38:
            raise HTTPException(status_code=404)
        try:
            return stripe.Webhook.construct_event(await request.body(), request.headers.get("Stripe-Signature"), self.secret)
        except (ValueError, stripe.error.SignatureVerificationError) as exc:
            raise HTTPException(status_code=400) from exc


@router.post("/dispute")
async def dispute_hook(event: stripe.Event = Depends(PrefixGetter(GUARDED_PLACEHOLDER))):
    return {"id": event.id}


# Twin: the placeholder default reaches verification.
@router.post("/payout")
async def payout_hook(request: Request):
    try:
        event = stripe.Webhook.construct_event(await request.body(), request.headers.get("Stripe-Signature"), PLACEHOLDER_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError) as exc:
        raise HTTPException(status_code=400) from exc
    return {"id": event.id}


# A real-format default is a committed secret (codekeys reports it), not a
# placeholder.
@router.post("/refund")
async def refund_hook(request: Request):
    try:
        event = stripe.Webhook.construct_event(await request.body(), request.headers.get("Stripe-Signature"), REAL_DEFAULT)
    except (ValueError, stripe.error.SignatureVerificationError) as exc:
        raise HTTPException(status_code=400) from exc
    return {"id": event.id}
