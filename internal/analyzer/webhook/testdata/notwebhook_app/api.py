import stripe
from fastapi import FastAPI

api = FastAPI()


@api.post("/checkout-sessions")
async def create_checkout_session(payload: dict):  # expect: clean
    session = stripe.checkout.Session.create(mode="payment", line_items=payload["items"], success_url=payload["success_url"])
    return {"id": session.id}


@api.post("/stripe/subscriptions")
async def create_subscription(payload: dict):  # expect: clean
    return stripe.Subscription.create(customer=payload["customer"], items=[{"price": payload["price"]}])


@api.post("/stripe/webhook-in")
async def webhook_in(payload: dict):  # expect: webhook/unverified-payload
    if payload["type"] == "invoice.paid":
        print(payload["data"]["object"]["id"])
    return {}
