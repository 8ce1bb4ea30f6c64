import os

import stripe
from litestar import Controller, Litestar, Request, post
from litestar.exceptions import HTTPException

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


def fulfil(event):
    if event["type"] == "invoice.payment_failed":
        print("dunning", event["data"]["object"]["customer"])


@post("/stripe/webhook")
async def litestar_webhook(request: Request) -> dict:  # expect: clean
    try:
        event = stripe.Webhook.construct_event(await request.body(), request.headers.get("stripe-signature"), SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400, detail="invalid signature")
    fulfil(event)
    return {"received": True}


@post("/stripe/data")
async def litestar_data(data: dict) -> dict:  # expect: webhook/unverified-payload
    fulfil(data)
    return {"received": True}


@post("/stripe/json")
async def litestar_json(request: Request) -> dict:
    event = await request.json()  # expect: webhook/unverified-payload
    fulfil(event)
    return {"received": True}


@post("/stripe/no-await")
async def litestar_no_await(request: Request) -> dict:
    try:
        event = stripe.Webhook.construct_event(request.body(), request.headers.get("stripe-signature"), SECRET)  # expect: webhook/body-not-raw
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400, detail="invalid signature")
    fulfil(event)
    return {"received": True}


class StripeController(Controller):
    path = "/stripe-controller"

    @post("/events")
    async def controller_events(self, request: Request) -> dict:  # expect: clean
        try:
            event = stripe.Webhook.construct_event(await request.body(), request.headers.get("stripe-signature"), SECRET)
        except (ValueError, stripe.error.SignatureVerificationError):
            raise HTTPException(status_code=400)
        fulfil(event)
        return {"received": True}

    @post("/unverified")
    async def controller_unverified(self, request: Request) -> dict:
        fulfil(await request.json())  # expect: webhook/unverified-payload
        return {"received": True}


app = Litestar(route_handlers=[litestar_webhook, litestar_data, litestar_json, litestar_no_await, StripeController])
