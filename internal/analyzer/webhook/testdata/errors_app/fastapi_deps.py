import os

import stripe
from fastapi import APIRouter, Depends, Header, HTTPException, Request

router = APIRouter()
SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


async def stripe_event(request: Request, stripe_signature: str = Header(None)):
    return stripe.Webhook.construct_event(await request.body(), stripe_signature, SECRET)  # expect: webhook/failure-answered-5xx


async def stripe_event_400(request: Request, stripe_signature: str = Header(None)):  # expect: clean
    try:
        return stripe.Webhook.construct_event(await request.body(), stripe_signature, SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400, detail="bad signature")


@router.post("/stripe/dep-500")
async def dep_500(event=Depends(stripe_event)):
    if event["type"] == "invoice.paid":
        print(event["data"]["object"]["id"])
    return {}


@router.post("/stripe/dep-400")
async def dep_400(event=Depends(stripe_event_400)):  # expect: clean
    if event["type"] == "invoice.paid":
        print(event["data"]["object"]["id"])
    return {}
