# FastAPI dependencies that are instances: Depends(EventGetter(secret))
# runs EventGetter.__call__, a module variable holding an instance runs its
# __call__, Depends(SomeClass) runs SomeClass.__init__. Verification there
# runs before the route.
import json
import os

import stripe
from fastapi import APIRouter, Depends, HTTPException, Request

router = APIRouter(prefix="/billing")


def enqueue(event) -> None:
    print(event["type"])


class EventGetter:
    def __init__(self, secret: str) -> None:
        self.secret = secret

    async def __call__(self, request: Request) -> stripe.Event:
        payload = await request.body()
        try:
            return stripe.Webhook.construct_event(payload, request.headers.get("Stripe-Signature"), self.secret)
        except (ValueError, stripe.error.SignatureVerificationError) as exc:
            raise HTTPException(status_code=400) from exc


@router.post("/stripe")
async def stripe_hook(event: stripe.Event = Depends(EventGetter(os.environ["STRIPE_WEBHOOK_SECRET"]))):  # expect: clean  # observe: webhook.signature-verified
    if event["type"] == "invoice.paid":
        enqueue(event)


connect_event = EventGetter(os.environ["STRIPE_CONNECT_WEBHOOK_SECRET"])


@router.post("/stripe-connect")
async def stripe_connect_hook(event=Depends(connect_event)):  # expect: clean  # observe: webhook.signature-verified
    if event["type"] == "account.updated":
        enqueue(event)


class VerifiedEvent:
    def __init__(self, request: Request) -> None:
        self.event = stripe.Webhook.construct_event(
            request.scope["raw_body"], request.headers.get("Stripe-Signature"), os.environ["STRIPE_WEBHOOK_SECRET"]
        )


@router.post("/stripe-class")
async def stripe_class_hook(verified: VerifiedEvent = Depends(VerifiedEvent)):  # expect: clean  # observe: webhook.signature-verified
    if verified.event["type"] == "invoice.paid":
        enqueue(verified.event)


# Twin: the instance's __call__ parses the body without verifying.
class TrustingGetter:
    def __init__(self, secret: str) -> None:
        self.secret = secret

    async def __call__(self, request: Request) -> dict:
        return json.loads(await request.body())  # expect: webhook/unverified-payload


@router.post("/stripe-trusting")
async def stripe_trusting_hook(event=Depends(TrustingGetter(os.environ["STRIPE_WEBHOOK_SECRET"]))):
    if event["type"] == "invoice.paid":
        enqueue(event)
