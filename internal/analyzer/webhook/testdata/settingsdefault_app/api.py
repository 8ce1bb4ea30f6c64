import stripe
from fastapi import APIRouter, Header, HTTPException, Request

from .config import settings

router = APIRouter()


def handle(event):
    print(event["type"], event["data"]["object"]["id"])


@router.post("/stripe/webhook")
async def stripe_webhook(request: Request, stripe_signature: str = Header(None)):
    body = await request.body()
    try:
        event = stripe.Webhook.construct_event(body, stripe_signature, settings.stripe_webhook_secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400)
    handle(event)
    return {"ok": True}


@router.post("/stripe/legacy")
async def legacy_webhook(request: Request, stripe_signature: str = Header(None)):
    body = await request.body()
    try:
        event = stripe.Webhook.construct_event(body, stripe_signature, settings.legacy_webhook_secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400)
    handle(event)
    return {"ok": True}


@router.post("/stripe/connect")
async def connect_webhook(request: Request, stripe_signature: str = Header(None)):  # expect: clean
    # A required field (no default): the app does not start without it.
    body = await request.body()
    try:
        event = stripe.Webhook.construct_event(body, stripe_signature, settings.connect_webhook_secret)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400)
    handle(event)
    return {"ok": True}


def verify_delivery(body, signature):
    if not settings.require_webhook_signature:  # expect: webhook/optional-verification
        return True
    stripe.Webhook.construct_event(body, signature, settings.connect_webhook_secret)
    return True


@router.post("/stripe/switchable")
async def switchable_webhook(request: Request, stripe_signature: str = Header(None)):
    body = await request.body()
    try:
        verify_delivery(body, stripe_signature)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400)
    event = await request.json()
    handle(event)
    return {"ok": True}
