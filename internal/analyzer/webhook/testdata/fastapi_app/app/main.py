import os

import stripe
from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Request
from fastapi.responses import JSONResponse
from stripe import StripeClient

from .deps import WEBHOOK_SECRET, parsed_event, verified_event

app = FastAPI()
router = APIRouter(prefix="/stripe")
client = StripeClient(os.environ["STRIPE_API_KEY"])


def fulfil(event):
    if event["type"] == "checkout.session.completed":
        print("fulfil", event["data"]["object"]["id"])


@app.post("/webhook")
async def webhook(request: Request, stripe_signature: str = Header(None)):  # expect: clean
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(payload, stripe_signature, WEBHOOK_SECRET)
    except ValueError:
        raise HTTPException(status_code=400, detail="invalid payload")
    except stripe.error.SignatureVerificationError:
        raise HTTPException(status_code=400, detail="invalid signature")
    fulfil(event)
    return {"received": True}


@app.post("/webhook-no-await")
async def webhook_no_await(request: Request):
    payload = request.body()  # expect: webhook/body-not-raw
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature"), WEBHOOK_SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        return JSONResponse({"error": "bad signature"}, status_code=400)
    fulfil(event)
    return {"received": True}


@app.post("/webhook-json")
async def webhook_json(request: Request):
    event = await request.json()  # expect: webhook/unverified-payload
    fulfil(event)
    return {"received": True}


@router.post("/webhook-dep")
async def webhook_dependency(event: stripe.Event = Depends(verified_event)):  # expect: clean  # observe: webhook.signature-verified
    fulfil(event)
    return {"received": True}


@router.post("/webhook-dep-unverified")
async def webhook_dependency_unverified(event: dict = Depends(parsed_event)):
    fulfil(event)
    return {"received": True}


@router.post("/webhook-client")
async def webhook_client(request: Request):  # expect: clean
    payload = await request.body()
    try:
        event = client.construct_event(payload, request.headers.get("stripe-signature"), WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(status_code=400)
    fulfil(event)
    return {"received": True}


@router.post("/webhook-tolerance")
async def webhook_tolerance(request: Request):
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature"), WEBHOOK_SECRET, 0)  # expect: webhook/replay-window-disabled
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(status_code=400)
    fulfil(event)
    return {"received": True}


REPLAY_WINDOW = 60 * 60 * 24 * 7  # expect: webhook/replay-window-disabled


@router.post("/webhook-week")
async def webhook_week(request: Request):
    payload = await request.body()
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature"), WEBHOOK_SECRET, tolerance=REPLAY_WINDOW)
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(status_code=400)
    fulfil(event)
    return {"received": True}


@router.post("/webhook-header")
async def webhook_header(request: Request):
    sig = request.headers["stripe-signature"]  # expect: webhook/signature-header-no-default
    try:
        event = stripe.Webhook.construct_event(await request.body(), sig, WEBHOOK_SECRET)
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(status_code=400)
    fulfil(event)
    return {"received": True}


@router.post("/webhook-literal-secret")
async def webhook_literal_secret(request: Request):
    try:
        event = stripe.Webhook.construct_event(await request.body(), request.headers.get("stripe-signature"), "my-webhook-password")  # expect: webhook/wrong-secret-kind
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(status_code=400)
    fulfil(event)
    return {"received": True}


@router.post("/webhook-query-secret")
async def webhook_query_secret(request: Request, secret: str):
    payload = await request.body()
    key = request.query_params.get("secret")  # expect: webhook/secret-from-request
    try:
        event = stripe.Webhook.construct_event(payload, request.headers.get("stripe-signature"), key)
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(status_code=400)
    fulfil(event)
    return {"received": True}


app.include_router(router)


@app.post("/webhook-body-param")
async def webhook_body_param(payload: dict):  # expect: webhook/unverified-payload
    fulfil(payload)
    return {"received": True}


@app.post("/webhook-api-key-literal")
async def webhook_api_key_literal(request: Request):
    try:
        event = stripe.Webhook.construct_event(await request.body(), request.headers.get("stripe-signature"), "sk_live_FAKEFAKEFAKE0000000000000009")  # expect: webhook/wrong-secret-kind
    except (ValueError, stripe.SignatureVerificationError):
        raise HTTPException(status_code=400)
    return {"received": event.id}
