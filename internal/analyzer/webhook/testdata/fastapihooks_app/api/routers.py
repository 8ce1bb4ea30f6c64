from fastapi import APIRouter, Depends, Request

from .security import require_json, verify_stripe

signed = APIRouter(prefix="/signed", dependencies=[Depends(verify_stripe)])
plain = APIRouter(prefix="/plain", dependencies=[Depends(require_json)])
included = APIRouter(prefix="/included")


def fulfil(event):
    if event["type"] == "invoice.paid":
        print("paid", event["data"]["object"]["id"])


@signed.post("/stripe-webhook")
async def signed_webhook(request: Request):  # expect: clean
    fulfil(await request.json())
    return {}


@plain.post("/stripe-webhook")
async def plain_webhook(request: Request):
    fulfil(await request.json())  # expect: webhook/unverified-payload
    return {}


@included.post("/stripe-webhook")
async def included_webhook(request: Request):  # expect: clean
    fulfil(await request.json())
    return {}
