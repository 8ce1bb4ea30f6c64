import os

import stripe
from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse

other = FastAPI()


@other.middleware("http")
async def stripe_guard(request: Request, call_next):
    if request.url.path == "/webhooks/stripe":
        try:
            stripe.Webhook.construct_event(await request.body(), request.headers.get("stripe-signature"), os.environ["STRIPE_WEBHOOK_SECRET"])
        except (ValueError, stripe.error.SignatureVerificationError):
            return JSONResponse({"error": "bad signature"}, status_code=400)
    return await call_next(request)


@other.post("/webhooks/stripe")
async def guarded(request: Request):  # expect: clean
    event = await request.json()
    if event["type"] == "invoice.paid":
        print(event["data"]["object"]["id"])
    return {}
