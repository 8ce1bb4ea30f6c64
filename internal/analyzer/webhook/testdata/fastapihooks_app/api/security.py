import os

import stripe
from fastapi import Header, HTTPException, Request
from starlette.middleware.base import BaseHTTPMiddleware
from starlette.responses import JSONResponse

SECRET = os.environ["STRIPE_WEBHOOK_SECRET"]


async def verify_stripe(request: Request, stripe_signature: str = Header(None)):
    try:
        stripe.Webhook.construct_event(await request.body(), stripe_signature, SECRET)
    except (ValueError, stripe.error.SignatureVerificationError):
        raise HTTPException(status_code=400, detail="invalid signature")


async def require_json(request: Request):
    if request.headers.get("content-type") != "application/json":
        raise HTTPException(status_code=415)


class StripeSignatureMiddleware(BaseHTTPMiddleware):
    async def dispatch(self, request, call_next):
        if request.url.path.startswith("/mw/stripe"):
            try:
                stripe.Webhook.construct_event(await request.body(), request.headers.get("stripe-signature"), SECRET)
            except (ValueError, stripe.error.SignatureVerificationError):
                return JSONResponse({"error": "invalid signature"}, status_code=400)
        return await call_next(request)
